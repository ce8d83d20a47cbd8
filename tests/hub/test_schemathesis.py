"""Schemathesis over every operation, with all its checks, as five kinds of caller.

A real ``hub serve`` (SQLite, then PostgreSQL) with a small scenario: a maker whose lab is
verified and declares stock, hospital staff whose verified hospital posts a need, the maker's
claim on it, a national coordinator and an admin. For every operation of the OpenAPI document
and every caller (those four and nobody), Schemathesis generates requests that fit the schema
and requests that do not, sends them, and runs every check it has (status codes, content
types, headers and bodies against the document, valid input accepted and invalid input
refused, authentication enforced, unsupported methods, ...). Any failure fails the test, and
the report lists them all.

The example count per operation, caller and kind of data is bounded (``HUB_SCHEMATHESIS_EXAMPLES``,
default 4) so that a database takes about a minute on two cores; set it higher for a longer hunt.
Hypothesis keeps no example database (``database=None``): nothing is written to ``.hypothesis/``.
"""

import asyncio
import os
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance
from support.data import PASSWORD, Account
from support.scenario import declare, sign_up
from support.server import HubProcess

from hub.auth.service import create_user
from hub.db import Database
from hub.timeutil import today

EXAMPLES = int(os.environ.get("HUB_SCHEMATHESIS_EXAMPLES", "4"))

#: Operations that end the session they are called with: run last, so that the callers keep
#: a working token for every other operation.
ENDS_SESSIONS = {
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/logout-everywhere"),
    ("DELETE", "/api/v1/auth/sessions/{session_id}"),
    ("POST", "/api/v1/auth/password"),
}
#: Operations that take a new password. The password policy (zxcvbn, the account's own e-mail
#: and name) cannot be written in JSON Schema, so a password that fits the schema may still be
#: refused with a 422 that says why (see ``_accepts_valid_data``).
NEW_PASSWORD = {
    ("POST", "/api/v1/auth/signup"),
    ("POST", "/api/v1/auth/password"),
    ("POST", "/api/v1/auth/password-reset/confirm"),
}
#: Operations whose body is a file (a spreadsheet): what makes bytes a spreadsheet is not
#: for JSON Schema to say, so random bytes get a 422 "this file is not a spreadsheet".
FILES = {("POST", "/api/v1/imports/{kind}")}
#: Operations that place a site: a point outside France is refused unless confirmed
#: (``outside_france``), a rule of geography, not of JSON Schema (a 422 naming no field).
PLACES_A_SITE = {
    ("POST", "/api/v1/hospitals"),
    ("POST", "/api/v1/labs"),
    ("PATCH", "/api/v1/hospitals/{site_id}"),
    ("PATCH", "/api/v1/labs/{site_id}"),
}
#: Fields whose shape the schema states but whose check digit it cannot (SIRET's Luhn key).
CHECK_DIGITS = {"siret"}
#: The server-sent event stream never ends: a request would wait forever. It is tested by
#: tests/dashboards; its parameters are none, so there is nothing to generate.
ENDLESS = {("GET", "/api/v1/dashboard/stream")}


#: Data that fits the schema goes to every caller: what each may do differs. Data that does
#: not fit is refused before any handler looks at who asks (401 without a token, else 422),
#: so two callers are enough for it: anonymous and one signed in.
BOTH = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
MODES = {
    "anonymous": BOTH,
    "maker": BOTH,
    "hospital_staff": (GenerationMode.POSITIVE,),
    "coordinator": (GenerationMode.POSITIVE,),
    "admin": (GenerationMode.POSITIVE,),
}


async def _create(database_url: str, accounts: list[tuple[str, str]]) -> None:
    # In this process rather than with ``hub users create``: two fewer interpreters to start.
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            for email, role in accounts:
                await create_user(session, email=email, password=PASSWORD, name=role, role=role)
    finally:
        await db.dispose()


def _signed_in(c: httpx.Client, email: str, role: str) -> Account:
    r = c.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return Account(0, email, role, r.json()["access_token"])


def scenario(server: HubProcess) -> dict[str, dict[str, str]]:
    """Build the small scenario; return each caller's headers (anonymous: none)."""
    asyncio.run(
        _create(
            server.env["HUB_DATABASE_URL"],
            [("national@example.org", "coordinator"), ("admin@example.org", "admin")],
        )
    )
    with httpx.Client(base_url=server.url, timeout=60) as c:
        national = _signed_in(c, "national@example.org", "coordinator")
        admin = _signed_in(c, "admin@example.org", "admin")
        maker = sign_up(c, "maker")
        staff = sign_up(c, "hospital_staff")
        place = {"address": "1 rue du Test", "lat": 45.1885, "lon": 5.7245}
        lab = c.post(
            "/api/v1/labs",
            json={"name": "Fablab", "kind": "fablab", **place},
            headers=maker.headers,
        ).json()
        hospital = c.post(
            "/api/v1/hospitals",
            json={"name": "CHU", "kind": "hospital", **place},
            headers=staff.headers,
        ).json()
        for kind, site in (("labs", lab), ("hospitals", hospital)):
            r = c.post(f"/api/v1/{kind}/{site['id']}/verify", headers=national.headers)
            assert r.status_code == 200, r.text
        declare(c, maker.headers, lab["id"])
        need = c.post(
            "/api/v1/needs",
            json={
                "hospital_id": hospital["id"],
                "design": "face-shield-prusa-rc3",
                "quantity": 50,
                "needed_by": today().isoformat(),
                "priority": "high",
            },
            headers=staff.headers,
        )
        assert need.status_code == 201, need.text
        claim = c.post(
            f"/api/v1/needs/{need.json()['id']}/claims",
            json={"lab_id": lab["id"], "quantity": 10},
            headers=maker.headers,
        )
        assert claim.status_code == 201, claim.text
    return {
        "anonymous": {},
        "maker": maker.headers,
        "hospital_staff": staff.headers,
        "coordinator": national.headers,
        "admin": admin.headers,
    }


def _accepts_valid_data(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis's ``positive_data_acceptance``, knowing five kinds of rule JSON Schema
    cannot state.

    A 422 to data that fits the schema passes only when it is (a) a rule across fields,
    reported against the object that breaks it (``opens`` before ``closes``, a reason for
    rejected units, an offer's dates in order), (b) the password policy, on the operations
    that take a new password, (c) a file that is not a spreadsheet, (d) a site's point
    outside France without confirmation, or (e) a SIRET's check digit. A 422 naming one
    field, or any other refusal, still fails: the schema must say it.
    """
    if response.status_code == 422:
        body = response.json()
        fields = {e["field"] for e in body.get("errors") or []}
        # A rule across fields is reported against its object: the body, or an item of it.
        if fields and all(f == "body" or f.rpartition(".")[2].isdigit() for f in fields):
            return None
        if (case.method.upper(), case.path) in NEW_PASSWORD and not fields:
            return None
        if (case.method.upper(), case.path) in FILES and not fields:
            return None
        if (case.method.upper(), case.path) in PLACES_A_SITE and not fields:
            return None
        if fields and {f.rpartition(".")[2] for f in fields} <= CHECK_DIGITS:
            return None
    return positive_data_acceptance(ctx, response, case)  # type: ignore[no-any-return]


def _run(
    operation: Any,
    headers: dict[str, str],
    session: requests.Session,
    base_url: str,
    modes: tuple[GenerationMode, ...],
) -> list[str]:
    """Send generated requests to one operation as one caller; return the failures' reports."""
    failures: list[str] = []
    key = (operation.method.upper(), operation.path)
    for mode in modes:

        @settings(
            max_examples=EXAMPLES,
            database=None,
            deadline=None,
            derandomize=True,
            phases=(Phase.explicit, Phase.generate),
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def send(case: Any) -> None:
            case.call_and_validate(
                base_url=base_url,
                session=session,
                headers=headers,
                excluded_checks=[positive_data_acceptance],
                additional_checks=[_accepts_valid_data],
            )

        try:
            send()
        except Unsatisfiable:
            # No parameters and no body: there is no invalid request to make.
            assert mode == GenerationMode.NEGATIVE
        except (Exception, FailureGroup) as exc:
            # Hypothesis stops at an operation's first failure (no shrinking: time); the
            # others go on, so that one run reports every operation that fails.
            failures.append(f"{key} {mode.value}: {exc}")
    return failures


@pytest.mark.slow
def test_every_operation_passes_every_check_as_every_caller(
    database_url: str, serve_hub: Callable[..., HubProcess]
) -> None:
    server = serve_hub(database_url)
    callers = scenario(server)
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: (op.method.upper(), op.path) in ENDS_SESSIONS)
    assert len(operations) > 60
    failures: list[str] = []
    took: Counter[str] = Counter()
    started_all = time.monotonic()
    with requests.Session() as session:
        for operation in operations:
            if (operation.method.upper(), operation.path) in ENDLESS:
                continue
            # An operation that reads no token answers every caller alike: once is enough.
            reads_token = operation.definition.raw.get("security")
            for caller, headers in callers.items() if reads_token else [("anonymous", {})]:
                started = time.monotonic()
                found = _run(operation, headers, session, server.url, MODES[caller])
                failures += [f"as {caller}: {f}" for f in found]
                took[f"{operation.method.upper()} {operation.path}"] += time.monotonic() - started
    print(
        f"{len(operations)} operations, {len(callers)} callers, {EXAMPLES} examples each: "
        f"{time.monotonic() - started_all:.0f} s"
    )
    slowest = sorted(took.items(), key=lambda kv: -kv[1])[:5]
    print("slowest operations:", ", ".join(f"{k} {v:.1f} s" for k, v in slowest))
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures)
