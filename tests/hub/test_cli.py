"""The ``hub`` command line, run as a real subprocess against a SQLite file."""

import csv
import json
import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from support.server import HUB

from hub.timeutil import today


def hub_cli(db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run ``hub ARGS`` on a SQLite file."""
    env = {**os.environ, "HUB_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "COLUMNS": "200"}
    return subprocess.run(
        [*HUB, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A path for a fresh SQLite database."""
    return tmp_path / "cli.sqlite"


def test_users_create_reads_password_from_stdin(db: Path) -> None:
    r = hub_cli(
        db,
        "users",
        "create",
        "coord@example.org",
        "--role",
        "coordinator",
        "--area",
        "region:84",
        stdin="a-long-password\n",
    )
    assert r.returncode == 0, r.stderr
    assert "region:84" in r.stdout
    again = hub_cli(
        db,
        "users",
        "create",
        "coord@example.org",
        "--role",
        "coordinator",
        stdin="a-long-password\n",
    )
    assert again.returncode == 1
    bad_area = hub_cli(
        db,
        "users",
        "create",
        "c2@example.org",
        "--role",
        "coordinator",
        "--area",
        "region:999",
        stdin="a-long-password\n",
    )
    assert bad_area.returncode == 1
    short = hub_cli(db, "users", "create", "c3@example.org", stdin="short\n")
    assert short.returncode == 2


def test_import_labs_reports_rejected_rows_then_export(db: Path, tmp_path: Path) -> None:
    source = tmp_path / "labs.csv"
    rows = [
        {
            "name": "Fablab de Grenoble",
            "kind": "fablab",
            "address": "Grenoble",
            "lat": "45.19",
            "lon": "5.72",
            "equipment": "fdm;laser",
        },
        {"name": "Broken", "kind": "fablab", "address": "x", "lat": "123", "lon": "5"},
        {
            "name": "Atelier Brest",
            "kind": "prototyping_workshop",
            "address": "Brest",
            "lat": "48.39",
            "lon": "-4.49",
            "equipment": "",
        },
        {"name": "Nowhere", "kind": "castle", "address": "x", "lat": "45", "lon": "5"},
    ]
    with source.open("w", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=["name", "kind", "address", "lat", "lon", "equipment"]
        )
        writer.writeheader()
        writer.writerows(rows)
    r = hub_cli(db, "import", "labs", str(source))
    assert r.returncode == 1  # some rows were rejected
    assert "4 rows; 2 created, 0 updated, 0 unchanged, 2 rejected" in r.stdout
    assert "3" in r.stdout and "5" in r.stdout  # the rejected line numbers
    out = hub_cli(db, "export", "labs", "--format", "geojson")
    assert out.returncode == 0, out.stderr
    features = json.loads(out.stdout)["features"]
    assert sorted(f["properties"]["name"] for f in features) == [
        "Atelier Brest",
        "Fablab de Grenoble",
    ]
    grenoble = next(f for f in features if f["properties"]["name"] == "Fablab de Grenoble")
    assert grenoble["geometry"]["coordinates"] == [5.72, 45.19]
    assert grenoble["properties"]["departement"] == "38"
    brittany = hub_cli(db, "export", "labs", "--format", "csv", "--area", "region:53")
    lines = brittany.stdout.strip().splitlines()
    assert len(lines) == 2 and "Atelier Brest" in lines[1]


def test_import_hospitals_and_needs(db: Path, tmp_path: Path) -> None:
    hospitals = tmp_path / "h.csv"
    hospitals.write_text("name,kind,address,lat,lon\nCHU Brest,hospital,Brest,48.39,-4.49\n")
    r = hub_cli(db, "import", "hospitals", str(hospitals), "--verify")
    assert r.returncode == 0, r.stdout
    needs = tmp_path / "needs.csv"
    soon = (today() + timedelta(days=3)).isoformat()
    needs.write_text(
        "hospital_id,design,quantity,needed_by,priority,accepts\n"
        f"1,ear-saver,10,{soon},high,\n"
        f"1,unicorn,10,{soon},high,\n"
        f"1,ear-saver,-4,{soon},high,\n"
        f"1,face-shield-prusa-rc3,250,{soon},critical,face-shield-3dverkstan\n"
    )
    r = hub_cli(db, "import", "needs", str(needs))
    assert r.returncode == 1
    assert "4 rows; 2 created, 0 updated, 0 unchanged, 2 rejected" in r.stdout
    assert "unicorn" in r.stdout
    exported = list(csv.DictReader(hub_cli(db, "export", "needs").stdout.splitlines()))
    assert [(n["design"], n["quantity"], n["departement"]) for n in exported] == [
        ("ear-saver", "10", "29"),
        ("face-shield-prusa-rc3", "250", "29"),
    ]


def test_match_command_stores_proposals(db: Path, tmp_path: Path) -> None:
    hospitals = tmp_path / "h.csv"
    hospitals.write_text("name,kind,address,lat,lon\nCHU Brest,hospital,Brest,48.39,-4.49\n")
    labs = tmp_path / "l.csv"
    labs.write_text("name,kind,address,lat,lon\nLab Quimper,fablab,Quimper,47.996,-4.102\n")
    assert hub_cli(db, "import", "hospitals", str(hospitals), "--verify").returncode == 0
    assert hub_cli(db, "import", "labs", str(labs), "--verify").returncode == 0
    soon = (today() + timedelta(days=5)).isoformat()
    needs = tmp_path / "n.csv"
    needs.write_text(
        f"hospital_id,design,quantity,needed_by,priority\n1,ear-saver,80,{soon},high\n"
    )
    assert hub_cli(db, "import", "needs", str(needs)).returncode == 0
    # Offers come through the API in real life; here straight into the database.
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO offers (lab_id, design, units_per_day, available_from, stock, created_at)"
            " VALUES (2, 'ear-saver', 10, ?, 0, '2026-01-01')",
            (today().isoformat(),),
        )
    r = hub_cli(db, "match", "--area", "region:53", "--send")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "units proposed" in r.stdout
    batches = list(csv.DictReader(hub_cli(db, "export", "batches").stdout.splitlines()))
    # Ten a day from day 0; due day 5 with one lead day allows days 0..4: 50 units.
    assert [(b["state"], b["quantity"]) for b in batches] == [("proposed", "50")]


def test_users_reset_prints_a_one_time_link_that_sets_the_password(db: Path) -> None:
    """``hub users reset EMAIL`` prints a link for an admin to pass on; it works once."""
    import asyncio

    import httpx

    from hub.config import Settings
    from hub.main import create_app

    created = hub_cli(
        db, "users", "create", "ana@example.org", "--role", "maker", stdin="a-long-password\n"
    )
    assert created.returncode == 0, created.stderr
    r = hub_cli(db, "users", "reset", "ana@example.org", "--base-url", "https://hub.example.org/")
    assert r.returncode == 0, r.stderr
    link = r.stdout.strip()
    assert link.startswith("https://hub.example.org/reset#")
    raw = link.split("#", 1)[1]
    assert raw and "?" not in link  # in the fragment, never in the query

    async def use() -> list[int]:
        app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{db}"))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as c:
            codes = []
            for _ in range(2):
                answer = await c.post(
                    "/api/v1/auth/password-reset/confirm",
                    json={"token": raw, "password": "a brand new passphrase"},
                )
                codes.append(answer.status_code)
            signed_in = await c.post(
                "/api/v1/auth/token",
                json={"email": "ana@example.org", "password": "a brand new passphrase"},
            )
            codes.append(signed_in.status_code)
        await app.state.db.dispose()
        return codes

    assert asyncio.run(use()) == [204, 422, 200]
    unknown = hub_cli(db, "users", "reset", "nobody@example.org")
    assert unknown.returncode == 1
    assert "nobody@example.org" in unknown.stderr


def test_users_password_sets_it_and_applies_the_policy(db: Path) -> None:
    created = hub_cli(
        db, "users", "create", "bo@example.org", "--role", "driver", stdin="a-long-password\n"
    )
    assert created.returncode == 0, created.stderr
    weak = hub_cli(db, "users", "password", "bo@example.org", stdin="12345678\n")
    assert weak.returncode == 1
    assert "common" in weak.stderr
    ok = hub_cli(db, "users", "password", "bo@example.org", stdin="another long passphrase\n")
    assert ok.returncode == 0, ok.stderr


def test_users_create_refuses_a_common_password(db: Path) -> None:
    r = hub_cli(db, "users", "create", "c@example.org", stdin="password\n")
    assert r.returncode == 1
    assert "common" in r.stderr
