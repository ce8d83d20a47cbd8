# One image for the hub: API, live stream, pages. Configure with HUB_* variables.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HUB_HOST=0.0.0.0 \
    HUB_PORT=8000 \
    HUB_DATABASE_URL=sqlite+aiosqlite:////data/hub.sqlite

WORKDIR /app
COPY pyproject.toml README.md ./
COPY hub ./hub
COPY matching ./matching
COPY dashboards ./dashboards
COPY designs ./designs
RUN pip install ".[postgres]" \
    && useradd --create-home --uid 10001 hub \
    && mkdir -p /data && chown hub:hub /data

USER hub
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"HUB_PORT\", \"8000\")}/healthz', timeout=2)"
CMD ["hub", "serve"]
