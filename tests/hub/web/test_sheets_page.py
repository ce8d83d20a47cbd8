"""The coordinators' spreadsheets on ``/coordinate``, in a real browser against ``hub serve``.

A coordinator of région 84, on a 360 px phone in French, uploads the hospitals file French
Excel saved ("CSV UTF-8": a byte-order mark, ``;``, decimal commas), sees the preview with the
row it rejects and why, in French, confirms, and downloads the export with the session (it
used to have no button, and the export URL answered 401). Then the same in English. Each state:
one language only, axe-core's serious and critical rules, no overflow, a screenshot.
"""

import subprocess
from pathlib import Path

import httpx
import pytest
from support.browser import CHROMIUM, phone_page
from support.data import PASSWORD
from support.pagecheck import PHONE, check_page
from support.server import HUB, HubProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHEET = (
    "\ufeffNom;Type;Adresse;Latitude;Longitude;Téléphone\r\n"
    "CHU Grenoble Alpes;hôpital;Bd de la Chantourne, 38700 La Tronche;45,2006;5,7474;"
    "04 76 76 75 75\r\n"
    "Clinique des Cèdres;clinique;Échirolles;145,15;5,71;\r\n"
    "Ehpad Les Écrins;Ehpad;Grenoble;45,1885;5,7245;\r\n"
)
#: What the file and the test typed: names, addresses, the file's own headings and values.
TYPED = (
    "CHU Grenoble Alpes",
    "Clinique des Cèdres",
    "Ehpad Les Écrins",
    "Coordinatrice",
    "hopitaux-isere.csv",
    "Latitude",
    "Bd de la Chantourne, 38700 La Tronche",
)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_coordinator_imports_a_french_excel_file_then_exports(
    sqlite_server: HubProcess, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    created = subprocess.run(
        [*HUB, "users", "create", "coord@example.org", "--role", "coordinator",
         "--area", "region:84", "--name", "Coordinatrice"],
        input=PASSWORD + "\n", capture_output=True, text=True, env=sqlite_server.env, timeout=120,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    sheet = tmp_path / "hopitaux-isere.csv"
    sheet.write_bytes(SHEET.encode("utf-8"))

    errors: list[str] = []
    with sync_playwright() as p:
        browser, page = phone_page(p, errors, timeout_ms=20_000, viewport=PHONE)
        page.goto(f"{sqlite_server.url}/coordinate")
        page.fill("#signin-email", "coord@example.org")
        page.fill("#signin-password", PASSWORD)
        page.click("#signin-form button[type=submit]")
        page.wait_for_selector("#sheets")
        page.locator("#sheets").scroll_into_view_if_needed()
        check_page(page, "app-sheets-fr", allowed=TYPED)

        # Check the file: nothing changes yet; the rejected row says why, in French.
        page.select_option("#import-kind", "hospitals")
        page.set_input_files("#import-file", str(sheet))
        page.click("#import-check")
        page.wait_for_selector("#import-rejected li")
        assert page.inner_text("#import-counts") == "2 créés, 0 mis à jour, 0 inchangé, 1 refusé"
        rejected = page.inner_text("#import-rejected")
        assert "Ligne 3" in rejected, rejected
        assert "Latitude\u00a0: 145,15 est hors limites (de -90 à 90)" in rejected, rejected
        assert page.locator("#import-confirm").is_visible()
        with httpx.Client(base_url=sqlite_server.url) as c:
            token = c.post(
                "/api/v1/auth/token", json={"email": "coord@example.org", "password": PASSWORD}
            ).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            assert c.get("/api/v1/hospitals", headers=auth).json()["total"] == 0
        page.locator("#import-report").scroll_into_view_if_needed()
        check_page(page, "app-sheets-preview-fr", allowed=TYPED)

        # Confirm: the two good rows go in.
        page.click("#import-confirm")
        page.wait_for_function(
            "() => document.getElementById('import-said').textContent.startsWith('Importé')"
        )
        assert page.locator("#import-confirm").is_hidden()
        with httpx.Client(base_url=sqlite_server.url) as c:
            names = [s["name"] for s in c.get("/api/v1/hospitals", headers=auth).json()["items"]]
        assert names == ["CHU Grenoble Alpes", "Ehpad Les Écrins"]
        check_page(page, "app-sheets-imported-fr", allowed=TYPED)

        # Export with the session: French Excel's CSV by default.
        page.select_option("#export-what", "hospitals")
        assert page.input_value("#export-format") == "csv:excel-fr"
        with page.expect_download() as download:
            page.click("#export-download")
        body = Path(download.value.path()).read_bytes()
        assert body.startswith(b"\xef\xbb\xbf")
        lines = body.decode("utf-8-sig").splitlines()
        assert lines[0].startswith('"id";"id externe";"nom"'), lines[0]
        assert '"CHU Grenoble Alpes";"hospital"' in lines[1] and '"45,2006"' in lines[1]
        page.select_option("#export-format", "xlsx")
        page.check("#export-hxl")
        with page.expect_download() as workbook:
            page.click("#export-download")
        assert Path(workbook.value.path()).read_bytes().startswith(b"PK")
        assert workbook.value.suggested_filename.endswith(".xlsx")

        # The same in English: the file again, every row found by its key; reasons in English.
        page.click("#lang")
        page.wait_for_selector("#sheets")
        assert page.locator("html").get_attribute("lang") == "en"
        page.set_input_files("#import-file", str(sheet))
        page.click("#import-check")
        page.wait_for_selector("#import-rejected li")
        assert page.inner_text("#import-counts") == "0 created, 0 updated, 2 unchanged, 1 rejected"
        assert "Latitude: 145,15 is out of range (-90 to 90)" in page.inner_text("#import-rejected")
        assert page.locator("#import-confirm").is_hidden()  # nothing to change
        page.locator("#import-report").scroll_into_view_if_needed()
        check_page(page, "app-sheets-preview-en", allowed=TYPED)
        browser.close()
    assert [e for e in errors if "(Unprocessable" not in e] == []
