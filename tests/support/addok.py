"""A real addok geocoder for the tests: its own virtualenv, the local Redis, a BAN-layout file.

addok pins an older redis-py than the hub, so it lives in ``.venv-addok`` at the repository's
root (made here on first use with pip, or given by ``HUB_TEST_ADDOK_BIN``). The addresses come
from a small file in the layout of the Base Adresse Nationale's CSV files (``adresses-38.csv``:
``id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;...;lon;lat;...``),
turned into addok's import format (one JSON document per street, with its house numbers, and
one per commune) as the BAN's own pipeline does, then loaded with ``addok batch`` and
``addok ngrams`` and served with ``addok serve`` in a subprocess.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from support.redis_server import REDIS_URL, require_redis

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-addok"
PACKAGES = ["addok>=1.3", "addok-fr>=1.1", "addok-france>=1.2", "addok-sqlite-store>=1.1"]
# The French configuration documented by addok-france: its query cleaning, house-number
# extraction and labels, with addok-fr's phonemisation.
CONFIG = """
import os
REDIS = {{
    "host": {host!r},
    "port": {port},
    "indexes": {{"db": {db}}},
    "documents": {{"db": {db}}},
}}
SQLITE_DB_PATH = {sqlite!r}
QUERY_PROCESSORS_PYPATHS = [
    "addok.helpers.text.check_query_length",
    "addok_france.extract_address",
    "addok_france.clean_query",
    "addok_france.remove_leading_zeros",
]
SEARCH_RESULT_PROCESSORS_PYPATHS = [
    "addok.helpers.results.match_housenumber",
    "addok_france.make_labels",
    "addok.helpers.results.score_by_importance",
    "addok.helpers.results.score_by_autocomplete_distance",
    "addok.helpers.results.score_by_ngram_distance",
    "addok.helpers.results.score_by_geo_distance",
]
PROCESSORS_PYPATHS = [
    "addok.helpers.text.tokenize",
    "addok.helpers.text.normalize",
    "addok_france.glue_ordinal",
    "addok_france.fold_ordinal",
    "addok_france.flag_housenumber",
    "addok.helpers.text.synonymize",
    "addok_fr.phonemicize",
]
BATCH_WORKERS = 1
FILTERS = ["type", "postcode", "citycode"]
FIELDS = [
    {{"key": "name", "boost": 4, "null": False}},
    {{"key": "street"}},
    {{"key": "postcode", "boost": lambda doc: 1.2 if doc.get("type") == "municipality" else 1}},
    {{"key": "city"}},
    {{"key": "housenumbers"}},
    {{"key": "context"}},
]
"""


def addok_bin() -> Path:
    """The ``addok`` command, installing it into ``.venv-addok`` with pip when missing."""
    given = os.environ.get("HUB_TEST_ADDOK_BIN")
    if given:
        return Path(given)
    binary = VENV / "bin" / "addok"
    # Two xdist workers may both get a test of the module: one installs, the other waits.
    with (ROOT / ".venv-addok.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not binary.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
            result = subprocess.run(
                [str(VENV / "bin" / "pip"), "install", "-q", *PACKAGES],
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                pytest.fail(f"could not install addok: {result.stderr[-2000:]}")
    return binary


def ban_csv_to_addok(path: Path, context: str) -> list[dict[str, object]]:
    """Group a BAN CSV's house numbers by street and add one document per commune."""
    streets: dict[tuple[str, str], dict[str, object]] = {}
    towns: dict[str, dict[str, object]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter=";"):
            lat, lon = float(row["lat"]), float(row["lon"])
            key = (row["code_insee"], row["nom_voie"])
            street = streets.setdefault(
                key,
                {
                    "id": row["id_fantoir"] or f"{row['code_insee']}_{row['nom_voie']}",
                    "type": "street",
                    "name": row["nom_voie"],
                    "postcode": row["code_postal"],
                    "citycode": row["code_insee"],
                    "city": row["nom_commune"],
                    "context": context,
                    "importance": 0.5,
                    "lat": lat,
                    "lon": lon,
                    "housenumbers": {},
                },
            )
            number = row["numero"] + (f" {row['rep']}" if row["rep"] else "")
            street["housenumbers"][number] = {"lat": lat, "lon": lon, "id": row["id"]}  # type: ignore[index]
            towns.setdefault(
                row["code_insee"],
                {
                    "id": row["code_insee"],
                    "type": "municipality",
                    "name": row["nom_commune"],
                    "postcode": row["code_postal"],
                    "citycode": row["code_insee"],
                    "city": row["nom_commune"],
                    "context": context,
                    "importance": 0.6,
                    "lat": lat,
                    "lon": lon,
                },
            )
    return [*streets.values(), *towns.values()]


@dataclass
class AddokServer:
    """A running addok: its URL and process."""

    url: str
    process: subprocess.Popen[bytes]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_addok(tmp: Path, ban_csv: Path, context: str) -> Iterator[AddokServer]:
    """Load ``ban_csv`` into a dedicated Redis database and serve it; stop and clean up after."""
    require_redis()
    import redis

    binary = addok_bin()
    base = redis.Redis.from_url(REDIS_URL)
    host = base.connection_pool.connection_kwargs.get("host", "127.0.0.1")
    port = int(base.connection_pool.connection_kwargs.get("port", 6379))
    # One database per xdist worker (11, 12, ...), away from the hub's tests (15) and db 0.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    db = 11 + int(worker or 0)
    redis.Redis(host=host, port=port, db=db).flushdb()
    config = tmp / "addok_local.py"
    config.write_text(
        CONFIG.format(host=host, port=port, db=db, sqlite=str(tmp / "addok.sqlite")),
        encoding="utf-8",
    )
    docs = tmp / "addresses.ndjson"
    docs.write_text(
        "".join(
            json.dumps(d, ensure_ascii=False) + "\n" for d in ban_csv_to_addok(ban_csv, context)
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "ADDOK_CONFIG_MODULE": str(config), "ADDOK_LOG_DIR": str(tmp)}
    for args in (["batch", str(docs)], ["ngrams"]):
        subprocess.run([str(binary), *args], check=True, env=env, capture_output=True, cwd=tmp)
    http_port = _free_port()
    process = subprocess.Popen(
        [str(binary), "serve", "--host", "127.0.0.1", "--port", str(http_port)],
        env=env,
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{http_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/search/", params={"q": "x"}, timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("addok serve did not start")
            time.sleep(0.2)
        yield AddokServer(url=url, process=process)
    finally:
        process.terminate()
        process.wait(timeout=10)
        redis.Redis(host=host, port=port, db=db).flushdb()
