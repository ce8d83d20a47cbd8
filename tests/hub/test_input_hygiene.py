"""Input hygiene: control characters, blank names and malformed bodies, on both databases.

Every refusal is a 422 in the hub's one error shape, in the reader's language, and changes
nothing. The last tests walk the OpenAPI document, so that a field or an operation added
later is held to the same rules without anyone remembering to.
"""

import json
import re
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from support.scenario import Hub

from hub.validation import (
    LINE_PATTERN,
    NAME_PATTERN,
    TEXT_PATTERN,
    Address,
    LongText,
    Name,
    Secret,
)

FR = {"Accept-Language": "fr"}
#: One of each kind the hub refuses: C0, DEL, C1 (NEL) and a lone surrogate.
CONTROLS = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\ud800"]


def _json(value: Any) -> bytes:
    # ensure_ascii keeps a lone surrogate writable, as the escape \ud800 any client may send.
    return json.dumps(value).encode()


def _refused(r: httpx.Response, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == 422, (r.status_code, r.text)
    body = r.json()
    assert body["type"] == "invalid" and body["detail"], body
    if field is not None:
        assert field in {e["field"] for e in body.get("errors", [])}, body
    return dict(body)


def _site(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Fablab de test",
        "kind": "fablab",
        "address": "1 rue du Test",
        "lat": 45.1885,
        "lon": 5.7245,
        **extra,
    }


@pytest.mark.parametrize("char", CONTROLS)
async def test_control_characters_in_a_site_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, hub: Hub, char: str
) -> None:
    maker = await hub.account("maker")
    for field in ("name", "address", "contact_name"):
        body = _site(**{field: f"Fab{char}lab"})
        r = await client.post(
            "/api/v1/labs",
            content=_json(body),
            headers={**maker.headers, "Content-Type": "application/json"},
        )
        _refused(r, field)
    listed = await client.get("/api/v1/labs", headers=maker.headers)
    assert listed.json()["total"] == 0


async def test_a_nul_anywhere_is_refused_in_french(client: httpx.AsyncClient, hub: Hub) -> None:
    maker = await hub.account("maker")
    lab = await hub.site(maker, "labs")
    r = await client.put(
        f"/api/v1/labs/{lab['id']}/offers",
        json=[{"design": "ear-saver\x00", "units_per_day": 1, "available_from": "2026-01-01"}],
        headers={**maker.headers, **FR},
    )
    body = _refused(r, "0.design")
    assert "caractères de contrôle" in body["detail"] and "U+0000" in body["detail"]


async def test_control_characters_in_unknown_fields_and_keys_are_refused(
    client: httpx.AsyncClient, hub: Hub
) -> None:
    maker = await hub.account("maker")
    for body in (_site(extra={"deep": ["\x00"]}), {**_site(), "na\x00me": "x"}):
        r = await client.post("/api/v1/labs", json=body, headers=maker.headers)
        _refused(r)


async def test_tabs_and_line_breaks_fit_long_texts_not_names(
    client: httpx.AsyncClient, hub: Hub
) -> None:
    maker = await hub.account("maker")
    r = await client.post("/api/v1/labs", json=_site(name="Fab\tlab"), headers=maker.headers)
    _refused(r, "name")
    r = await client.post("/api/v1/labs", json=_site(name="Fab\nlab"), headers=maker.headers)
    _refused(r, "name")
    assert TypeAdapter(LongText).validate_python(" two\nlines\tand a tab\r\n") == (
        "two\nlines\tand a tab"
    )


@pytest.mark.parametrize("char", ["\x00", "\x1f", "\x7f", "\x9b"])
async def test_control_characters_in_query_strings_are_refused(
    client: httpx.AsyncClient, hub: Hub, char: str
) -> None:
    maker = await hub.account("maker")
    for url in ("/api/v1/needs", "/api/v1/stats", "/api/v1/designs", "/api/v1/labs"):
        r = await client.get(url, params={"area": f"FR{char}"}, headers={**maker.headers, **FR})
        body = _refused(r, "area")
        assert "caractères de contrôle" in body["detail"]


async def test_control_characters_in_paths_are_refused(client: httpx.AsyncClient) -> None:
    for url in ("/api/v1/designs/ear%00saver", "/api/v1/designs/ear%C2%85saver"):
        _refused(await client.get(url), "path")


async def test_blank_names_are_refused_in_the_readers_language(
    client: httpx.AsyncClient, hub: Hub
) -> None:
    maker = await hub.account("maker")
    for blank in ("", " ", "        ", "\u00a0\u3000 "):
        for field in ("name", "address"):
            r = await client.post(
                "/api/v1/labs", json=_site(**{field: blank}), headers={**maker.headers, **FR}
            )
            body = _refused(r, field)
            assert "vide" in body["detail"] or "au moins" in body["detail"], body
    r = await client.post(
        "/api/v1/auth/signup",
        json={"email": "blank@example.org", "password": "a long passphrase 7", "name": "   ",
              "role": "maker"},
    )  # fmt: skip
    assert "only spaces" in _refused(r, "name")["detail"]


#: What shows nothing or lies about its order (found attacking the hub): zero-width space,
#: word joiner, byte-order mark, soft hyphen, a right-to-left override, line separators.
INVISIBLE = ["\u200b", "\u2060\ufeff\u200d", "\u00ad ", "\u200e\u200b "]
SPOOFING = ["Lab \u202egnp.exe", "a\u2028b", "a\u2029b", "x\u2066y\u2069", "\u202aLab"]


async def test_invisible_or_spoofing_names_are_refused(client: httpx.AsyncClient, hub: Hub) -> None:
    maker = await hub.account("maker")
    for blank in INVISIBLE:
        r = await client.post("/api/v1/labs", json=_site(name=blank), headers=maker.headers)
        assert "only spaces" in _refused(r, "name")["detail"], blank
    for name in SPOOFING:
        r = await client.post("/api/v1/labs", json=_site(name=name), headers=maker.headers)
        assert "control characters (U+" in _refused(r, "name")["detail"], name
    # Invisible characters at the ends go like spaces; inside a word (a joiner) they stay.
    r = await client.post(
        "/api/v1/labs", json=_site(name="\u200bFab\u200dlab\ufeff "), headers=maker.headers
    )
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "Fab\u200dlab"


async def test_names_are_stored_trimmed(client: httpx.AsyncClient, hub: Hub) -> None:
    maker = await hub.account("maker")
    r = await client.post(
        "/api/v1/labs",
        json=_site(name="  Fablab\u00a0 ", address=" 2 rue Haute ", contact_name=" Ana "),
        headers=maker.headers,
    )
    assert r.status_code == 201, r.text
    lab = (await client.get(f"/api/v1/labs/{r.json()['id']}", headers=maker.headers)).json()
    assert (lab["name"], lab["address"], lab["contact_name"]) == ("Fablab", "2 rue Haute", "Ana")


MALFORMED = {
    "invalid UTF-8": (b'{"name": "Fab\xff\xfelab"}', "application/json"),
    "invalid JSON": (b'{"name": ', "application/json"),
    "JSON with a BOM-less UTF-16": ('{"a": 1}'.encode("utf-16-le"), "application/json"),
    "a number too long to read": (b'{"lat": 1' + b"0" * 5000 + b"}", "application/json"),
    "nested past Python's stack": (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    "nested past the hub's limit": (b'{"a":' * 40 + b"1" + b"}" * 40, "application/json"),
    "text, not JSON": (b"name=Fablab", "text/plain"),
    "a form": (b"name=Fablab&kind=fablab", "application/x-www-form-urlencoded"),
    "JSON sent as text": (_json(_site()), "text/plain"),
    "no content type": (b"{not json", None),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
async def test_malformed_bodies_are_422_in_the_error_shape(
    client: httpx.AsyncClient, hub: Hub, case: str
) -> None:
    maker = await hub.account("maker")
    content, content_type = MALFORMED[case]
    headers = {**maker.headers, **FR}
    if content_type:
        headers["Content-Type"] = content_type
    r = await client.post("/api/v1/labs", content=content, headers=headers)
    body = _refused(r)
    assert set(body) <= {"type", "detail", "errors"}
    assert re.search(r"[éèà]|corps|doit", body["detail"]), body  # French
    listed = await client.get("/api/v1/labs", headers=maker.headers)
    assert listed.json()["total"] == 0


async def test_a_body_over_the_limit_is_422_in_french(client: httpx.AsyncClient, hub: Hub) -> None:
    maker = await hub.account("maker")
    r = await client.post(
        "/api/v1/labs",
        content=b'{"name": "' + b"x" * 1_100_000 + b'"}',
        headers={**maker.headers, **FR, "Content-Type": "application/json"},
    )
    assert "octets" in _refused(r)["detail"]


# --- The guard: the OpenAPI document, every operation and every string it reads. ---


def _resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = document["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _request_strings(document: dict[str, Any], node: Any, path: str) -> list[tuple[str, Any]]:
    """Every string schema a request may hold, with where it is."""
    node = _resolve(document, node)
    found: list[tuple[str, Any]] = []
    if not isinstance(node, dict):
        return found
    if node.get("type") == "string":
        found.append((path, node))
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in node.get(key, []):
            found += _request_strings(document, sub, path)
    for name, sub in node.get("properties", {}).items():
        found += _request_strings(document, sub, f"{path}.{name}")
    if "items" in node:
        found += _request_strings(document, node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        found += _request_strings(document, node["additionalProperties"], f"{path}{{}}")
    return found


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
    ]


async def test_every_string_the_api_reads_is_documented_free_of_control_characters(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    checked = 0
    for method, path, op in _operations(document):
        strings = []
        for parameter in op.get("parameters", []):
            # Headers: HTTP itself refuses control characters in them (but for obs-text).
            if parameter["in"] != "header":
                strings += _request_strings(document, parameter["schema"], parameter["name"])
        for media in op.get("requestBody", {}).get("content", {}).values():
            strings += _request_strings(document, media["schema"], "body")
        for where, string in strings:
            if {"enum", "const", "format"} & string.keys():
                continue
            pattern = string.get("pattern")
            assert pattern, f"{method} {path} {where} has no pattern"
            for char in CONTROLS[:-1]:
                assert not re.search(pattern, f"a{char}b"), (method, path, where, pattern)
            checked += 1
    assert checked > 40


async def test_every_json_body_refuses_a_nul_in_each_of_its_strings(
    client: httpx.AsyncClient, hub: Hub
) -> None:
    """Whatever the operation and whoever asks: the door refuses before anything else."""
    maker = await hub.account("maker")
    document = (await client.get("/openapi.json")).json()
    tried = 0
    for method, path, op in _operations(document):
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        for where, _ in _request_strings(document, content["application/json"]["schema"], ""):
            names = [n for n in where.split(".") if n]
            if not names or "[]" in where:
                value: Any = ["\x00"] if where.endswith("[]") else "\x00"
                body: Any = value if not names else {names[0].rstrip("[]"): value}
            else:
                body = {names[0]: "\x00"}
            r = await client.request(method, url, json=body, headers=maker.headers)
            _refused(r)
            tried += 1
    assert tried > 20


async def test_every_operation_documents_its_errors_in_the_one_shape(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["ErrorOut"]["required"]) == {"type", "detail"}
    for method, path, op in _operations(document):
        responses = op["responses"]
        assert "422" in responses, (method, path)
        for code, response in responses.items():
            if code.startswith("4"):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, code)
        if op.get("security") == [{"bearer": []}]:
            assert {"401", "403"} <= responses.keys(), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if "429" in responses:
            assert "Retry-After" in responses["429"]["headers"]
    assert "429" in document["paths"]["/api/v1/needs"]["post"]["responses"]


@pytest.mark.parametrize(
    ("kind", "pattern"),
    [
        (Name, NAME_PATTERN),
        (Address, NAME_PATTERN),
        (LongText, TEXT_PATTERN),
        (Secret, LINE_PATTERN),
    ],
)
@settings(max_examples=300, deadline=None)
@given(
    text=st.text(st.characters(codec="utf-8"), max_size=12)
    | st.sampled_from(CONTROLS + INVISIBLE + SPOOFING)
)
def test_documented_patterns_say_what_the_types_accept(kind: Any, pattern: str, text: str) -> None:
    """The pattern a client reads and the validator the hub runs agree on every text."""
    try:
        TypeAdapter(kind).validate_python(text)
        accepted = True
    except ValidationError:
        accepted = False
    # ECMA-262 reads `$` as the very end; Python needs \Z for that.
    documented = re.search(pattern.replace("$", r"\Z"), text) is not None and "\ud800" not in text
    if kind is not LongText and kind is not Secret:
        documented = documented and len(text) >= 1
    assert accepted == documented, (repr(text), accepted, documented)


@pytest.mark.parametrize("char", [b"\x00", b"\x1f", b"\x7f", b"\x85"])
async def test_control_characters_in_an_idempotency_key_are_refused(
    client: httpx.AsyncClient, hub: Hub, char: bytes
) -> None:
    """A header value the hub stores (Idempotency-Key) is one line, like any text; a C1
    character arrives as a Latin-1 byte and is refused too. Nothing is created."""
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    body = {"hospital_id": hospital["id"], "design": "face-shield-prusa-rc3", "quantity": 5}
    headers = {**staff.headers, **FR, "Idempotency-Key": b"retry-" + char + b"-1"}
    r = await client.post("/api/v1/needs", json=body, headers=headers)
    assert "caractères de contrôle" in _refused(r)["detail"]
    mine = await client.get("/api/v1/needs?mine=true", headers=staff.headers)
    assert mine.json()["items"] == []
