"""Debian's chromium driven by Playwright, with a phone-sized French page."""

import shutil
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

# Debian's chromium, and the flags that let it run headless here without phoning home.
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def phone_page(
    playwright: "Playwright",
    errors: list[str],
    *,
    ignore: tuple[str, ...] = (),
    timeout_ms: float | None = None,
    **context: Any,
) -> tuple["Browser", "Page"]:
    """Debian's chromium with one phone-sized French page (context options may add to it).

    Console errors (except those ending with one of ``ignore``) and uncaught page errors go
    into ``errors``, for the test to assert on.
    """
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    options = {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "locale": "fr-FR",
        **context,
    }
    browser_context = browser.new_context(**options)
    if timeout_ms is not None:
        browser_context.set_default_timeout(timeout_ms)
    page = browser_context.new_page()
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and not m.text.endswith(ignore) else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    return browser, page
