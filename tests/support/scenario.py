"""Scenarios through the real API: ``Hub`` in process, ``sign_up`` against a running hub."""

import subprocess
from datetime import timedelta
from typing import Any

import httpx

from designs import load_catalogue
from hub.auth.service import create_user
from hub.timeutil import today
from support.data import PASSWORD, Account


def invitation_parts(link: str) -> tuple[str, str]:
    """The id and the token of an invitation's link (``…/app?lang=…#invitation=ID.TOKEN``)."""
    invitation_id, token = link.split("#invitation=", 1)[1].split(".", 1)
    return invitation_id, token


class Hub:
    """Shortcuts to build a scenario through the real API."""

    def __init__(self, client: httpx.AsyncClient, app: Any) -> None:
        self.client = client
        self.app = app
        self._n = 0
        self._coordinator: Account | None = None

    async def account(self, role: str, area: str | None = None) -> Account:
        """Sign up (or, for coordinators and admins, create) an account and sign in."""
        self._n += 1
        email = f"{role}{self._n}@example.org"
        if role in ("coordinator", "admin"):
            async with self.app.state.db.transaction() as session:
                await create_user(
                    session, email=email, password=PASSWORD, name=role, role=role, area=area
                )
            r = await self.client.post(
                "/api/v1/auth/token", json={"email": email, "password": PASSWORD}
            )
            assert r.status_code == 200, r.text
            me = await self.client.get(
                "/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
            )
            return Account(me.json()["id"], email, role, r.json()["access_token"])
        r = await self.client.post(
            "/api/v1/auth/signup",
            json={"email": email, "password": PASSWORD, "name": f"{role} {self._n}", "role": role},
        )
        assert r.status_code == 201, r.text
        body = r.json()
        return Account(body["user"]["id"], email, role, body["access_token"])

    async def site(
        self,
        who: Account,
        type: str,
        lat: float = 45.1885,
        lon: float = 5.7245,
        *,
        verified: bool = True,
        capacity: int = 100_000,
        **extra: Any,
    ) -> dict[str, Any]:
        """Create a hospital or lab (Grenoble by default), ready to work: verified by a
        national coordinator, and a lab with ``capacity`` units of every design in stock.

        ``verified=False`` leaves it pending (and a lab without offers).
        """
        kind = "hospital" if type == "hospitals" else "fablab"
        body = {
            "name": f"{type} of test",
            "kind": kind,
            "address": "1 rue du Test",
            "lat": lat,
            "lon": lon,
            "contact_name": "Dr Contact",
            "contact_phone": "+33 4 76 00 00 00",
            **extra,
        }
        r = await self.client.post(f"/api/v1/{type}", json=body, headers=who.headers)
        assert r.status_code == 201, r.text
        site = dict(r.json())
        if not verified:
            return site
        if type == "labs" and capacity:
            await self.offers(who, site["id"], stock=capacity)
        return await self.verified(type, site["id"])

    async def offers(
        self, maker: Account, lab_id: int, *, stock: int, units_per_day: int = 0
    ) -> None:
        """Declare the same capacity for every design of the catalogue."""
        offers = [
            {
                "design": slug,
                "units_per_day": units_per_day,
                "available_from": today().isoformat(),
                "stock": stock,
            }
            for slug in load_catalogue()
        ]
        r = await self.client.put(
            f"/api/v1/labs/{lab_id}/offers", json=offers, headers=maker.headers
        )
        assert r.status_code == 200, r.text

    async def national_coordinator(self) -> Account:
        """One national coordinator for the scenario, created the first time it is needed."""
        if self._coordinator is None:
            self._coordinator = await self.account("coordinator")
        return self._coordinator

    async def verified(self, type: str, site_id: int) -> dict[str, Any]:
        """Verify a site with a national coordinator; return it as it is now."""
        coordinator = await self.national_coordinator()
        r = await self.client.post(f"/api/v1/{type}/{site_id}/verify", headers=coordinator.headers)
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def need(
        self, staff: Account, hospital_id: int, quantity: int = 100, **extra: Any
    ) -> dict[str, Any]:
        """Post a need due in a week."""
        body = {
            "hospital_id": hospital_id,
            "design": "face-shield-prusa-rc3",
            "quantity": quantity,
            "needed_by": (today() + timedelta(days=7)).isoformat(),
            "priority": "high",
            **extra,
        }
        r = await self.client.post("/api/v1/needs", json=body, headers=staff.headers)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def claim(
        self, maker: Account, need_id: int, lab_id: int, quantity: int
    ) -> dict[str, Any]:
        """Claim part of a need for a lab; return the new batch."""
        r = await self.client.post(
            f"/api/v1/needs/{need_id}/claims",
            json={"lab_id": lab_id, "quantity": quantity},
            headers=maker.headers,
        )
        assert r.status_code == 201, r.text
        return dict(r.json())


def sign_up(client: httpx.Client, role: str) -> Account:
    """Sign up ``{role}@example.org`` on a running hub (roles anyone may pick)."""
    email = f"{role}@example.org"
    r = client.post(
        "/api/v1/auth/signup",
        json={"email": email, "password": PASSWORD, "name": f"A {role}", "role": role},
    )
    assert r.status_code == 201, r.text
    return Account(r.json()["user"]["id"], email, role, r.json()["access_token"])


def coordinator(
    server: Any, email: str = "national@example.org", area: str | None = None
) -> Account:
    """Create a coordinator on a running hub with the command line, as an operator would, and
    sign in (``server`` is a ``support.server.HubProcess``)."""
    from support.server import HUB

    extra = ["--area", area] if area else []
    created = subprocess.run(
        [*HUB, "users", "create", email, "--role", "coordinator", "--name", "Coordination", *extra],
        input=PASSWORD + "\n", capture_output=True, text=True, env=server.env, timeout=120,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    with httpx.Client(base_url=server.url) as c:
        r = c.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        me = c.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
        )
    return Account(me.json()["id"], email, "coordinator", r.json()["access_token"])


def verify_all(c: httpx.Client, by: Account) -> None:
    """Verify every pending site, as a coordinator of their area does."""
    for kind in ("hospitals", "labs"):
        pending = c.get(f"/api/v1/{kind}?status=pending&limit=500", headers=by.headers)
        for site in pending.json()["items"]:
            r = c.post(f"/api/v1/{kind}/{site['id']}/verify", headers=by.headers)
            assert r.status_code == 200, r.text


def declare(c: httpx.Client, maker: dict[str, str], lab_id: int, stock: int = 1000) -> None:
    """A lab declares ``stock`` units of every design ready, so that it may claim them."""
    offers = [
        {"design": slug, "units_per_day": 0, "available_from": today().isoformat(), "stock": stock}
        for slug in load_catalogue()
    ]
    r = c.put(f"/api/v1/labs/{lab_id}/offers", json=offers, headers=maker)
    assert r.status_code == 200, r.text
