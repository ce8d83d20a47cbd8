"""JSON logs: one object per line, with the request id of the work that wrote it."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from hub.ops.context import current_request_id

#: Fields a record may carry (``log.info(..., extra={...})``) that the line shows.
EXTRA_FIELDS = ("method", "path", "route", "status", "duration", "client")


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", ...}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as one JSON object."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        for name in EXTRA_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(level: str = "info", fmt: str = "json") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the hub and uvicorn (``hub serve`` passes it on)."""
    formatter: dict[str, Any] = (
        {"()": "hub.ops.logs.JsonFormatter"}
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "hub", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"hub": formatter},
        "handlers": {"hub": handler},
        "loggers": {
            "hub": {"handlers": ["hub"], "level": level.upper(), "propagate": False},
            "dashboards": {"handlers": ["hub"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["hub"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            # Each request is logged once, by the hub (hub.access), with its request id.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["hub"], "level": "WARNING"},
    }
