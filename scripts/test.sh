#!/usr/bin/env bash
# Install the hub with its test tools into .venv, then run the whole test suite.
# PostgreSQL tests run when HUB_TEST_DATABASE_URL is set; browser tests need Debian's chromium,
# which this script installs when it runs as root on Debian and chromium is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[dev]'
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the browser tests..."
  (apt-get install -y -qq chromium >/dev/null 2>&1) || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
fi
set +e
# One worker per core (-n auto): each worker copies its own databases from its own template.
.venv/bin/python -m pytest -n auto "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
  echo "pytest collected no tests: that is a failure here." >&2
  exit 1
fi
exit "$status"
