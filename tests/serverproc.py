"""Start and stop real ``hub serve`` processes for tests that need a real server."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from tests_support import PASSWORD, Account

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

# Debian's chromium, and the flags that let it run headless here without phoning home.
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def sign_up(client: httpx.Client, role: str) -> Account:
    """Sign up ``{role}@example.org`` on a running hub (roles anyone may pick)."""
    email = f"{role}@example.org"
    r = client.post(
        "/api/v1/auth/signup",
        json={"email": email, "password": PASSWORD, "name": f"A {role}", "role": role},
    )
    assert r.status_code == 201, r.text
    return Account(r.json()["user"]["id"], email, role, r.json()["access_token"])


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


# The console script installed next to this interpreter: what a user runs.
_SCRIPT = Path(sys.executable).with_name("hub")
HUB = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "hub"]


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HubProcess:
    """A ``hub serve`` subprocess on a port, with its log in a file."""

    def __init__(self, database_url: str, log_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"hub-{self.port}.log"
        self.env = {**os.environ, "HUB_DATABASE_URL": database_url, **env}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> "HubProcess":
        """Start the server and wait until /readyz answers."""
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [*HUB, "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub serve exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"hub serve did not become ready:\n{self.log.read_text()}")

    def kill9(self) -> None:
        """Kill the server the hard way, as a crash or an OOM would."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop the server politely."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
