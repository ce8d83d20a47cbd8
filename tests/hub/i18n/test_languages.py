"""Error messages in French or English: every one written in both, and chosen per request."""

import ast
import string
from pathlib import Path

import httpx
import pytest

from hub.i18n import language

HUB = Path(__file__).resolve().parents[3] / "hub"
ERRORS = {
    "HubError",
    "NotFound",
    "Conflict",
    "Forbidden",
    "Invalid",
    "Unauthenticated",
    "TooManyRequests",
    "RoutingUnavailable",
}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _marked(node: ast.expr) -> list[str] | None:
    """The English templates of ``_("...")`` or ``N_("one", "many", "n")``, else ``None``."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return None
    if node.func.id == "_" and isinstance(node.args[0], ast.Constant):
        return [str(node.args[0].value)]
    if node.func.id == "N_" and all(isinstance(a, ast.Constant) for a in node.args[:2]):
        return [str(a.value) for a in node.args[:2]]  # type: ignore[attr-defined]
    return None


def _scan() -> tuple[list[tuple[str, ast.Call]], dict[str, list[str]]]:
    """Every error call in the hub, and every module-level table of marked messages."""
    calls, tables = [], {}
    for path in sorted(HUB.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            target = node.target if isinstance(node, ast.AnnAssign) else None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            value = getattr(node, "value", None)
            if isinstance(target, ast.Name) and isinstance(value, ast.Dict):
                found = [_marked(v) for v in value.values]
                if found and all(found):
                    tables[target.id] = [t for ts in found for t in ts or []]
        for node in ast.walk(tree):
            named = isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            if named and node.func.id in ERRORS:  # type: ignore[attr-defined]
                calls.append((f"{path.relative_to(HUB)}:{node.lineno}", node))  # type: ignore[arg-type]
    return calls, tables


def _templates(node: ast.expr, tables: dict[str, list[str]]) -> list[str] | None:
    """The templates an error's first argument may be: a marked message or a table's entries."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        return tables.get(node.value.id)
    return _marked(node)


def test_every_error_is_a_catalogue_message_with_its_fields() -> None:
    """Each error the hub raises is a marked catalogue message (so the catalogue test sees
    its French), and every field of its template is given: a message never fails to format."""
    calls, tables = _scan()
    assert len(calls) > 50  # the scan sees the services, not nothing
    for where, call in calls:
        given = {k.arg for k in call.keywords}
        english = _templates(call.args[0], tables) if call.args else None
        assert english is not None, f"{where}: not a marked catalogue message"
        assert len(call.args) == 1, where
        for template in english:
            assert _fields(template) <= given, f"{where}: fields not given"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("fr", "fr"),
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("en-GB,en;q=0.9,fr;q=0.8", "en"),
        ("de-DE,fr;q=0.5", "fr"),
        ("en;q=0.4,fr;q=0.6", "fr"),
        ("fr;q=0,en", "en"),
        ("fr;q=nonsense", "en"),
        ("de", "en"),
    ],
)
def test_language_follows_accept_language(header: str | None, expected: str) -> None:
    """French when the client ranks it above English; English otherwise."""
    assert language(header) == expected


FR = {"Accept-Language": "fr-FR,fr;q=0.9"}


async def test_conflict_validation_and_missing_page_in_french(
    hub, client: httpx.AsyncClient
) -> None:
    """A French client reads French errors; the same requests in English stay English."""
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    maker = await hub.account("maker")
    lab = await hub.site(maker, "labs")
    need = await hub.need(staff, hospital["id"], quantity=10)
    claim = {"lab_id": lab["id"], "quantity": 11}
    url = f"/api/v1/needs/{need['id']}/claims"

    fr = await client.post(url, json=claim, headers={**maker.headers, **FR})
    en = await client.post(url, json=claim, headers=maker.headers)
    assert fr.status_code == en.status_code == 409
    assert fr.json()["detail"] == (
        f"Il ne reste que 10 unités du besoin {need['id']} à prendre\u00a0; vous en demandez 11."
    )
    assert en.json()["detail"].startswith("Only 10 units of need")

    bad = {"lab_id": lab["id"], "quantity": 0}
    fr = await client.post(url, json=bad, headers={**maker.headers, **FR})
    assert fr.status_code == 422
    assert fr.json()["detail"] == "quantity: doit être supérieur à 0"
    assert fr.json()["errors"] == [{"field": "quantity", "message": "doit être supérieur à 0"}]

    gone = await client.get("/api/v1/nowhere", headers=FR)
    assert gone.status_code == 404
    assert gone.json()["detail"] == "Il n’y a rien à cette adresse."


async def test_state_words_and_schema_checks_in_french(hub, client: httpx.AsyncClient) -> None:
    """Codes inside a message (a batch's state) and a schema's own check read in French."""
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    maker = await hub.account("maker")
    lab = await hub.site(maker, "labs")
    need = await hub.need(staff, hospital["id"], quantity=10)
    batch = await hub.claim(maker, need["id"], lab["id"], 5)
    ready = await client.post(
        f"/api/v1/batches/{batch['id']}/ready", headers={**maker.headers, **FR}
    )
    assert ready.status_code == 409
    assert "n’a encore rien de fabriqué" in ready.json()["detail"]
    receipt = await client.post(
        f"/api/v1/batches/{batch['id']}/receipt",
        json={"accepted": 0, "rejected": 0},
        headers={**staff.headers, **FR},
    )
    assert receipt.status_code == 422
    assert "au moins une unité acceptée ou refusée" in receipt.json()["detail"]
    wrong_state = await client.post(
        f"/api/v1/batches/{batch['id']}/accept", headers={**maker.headers, **FR}
    )
    assert wrong_state.status_code == 409
    assert wrong_state.json()["detail"] == (
        f"Impossible d’accepter le lot {batch['code']}\u00a0: il est pris en charge "
        "(possible seulement s’il est proposé)."
    )
