"""Structured logs: one JSON object per line, with the ids of the chain as fields.

A decision (risk gate, router, fills, position manager, notifier) logs with
``extra=ids(signal_id=..., order_id=..., request_id=...)``, so one ``jq 'select(.order_id=="..")'``
follows an order through every stage. Only what is passed as ``extra`` is emitted besides the
message: never a key, an HMAC or a signed transaction.

The Faust worker takes :func:`faust_logging_config` (``faust.App(logging_config=...)``); other
processes call :func:`configure`. ``MEMESNIPE_LOG_FORMAT=text`` gives the classic lines instead.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

__all__ = ["ID_FIELDS", "JsonFormatter", "configure", "faust_logging_config", "ids"]

ID_FIELDS = ("signal_id", "order_id", "request_id", "fill_id", "instance_id", "mint")
"""The fields a decision carries (those it knows); a log search joins stages on them."""

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_STD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", <extra fields>..., "exc"}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for k, v in record.__dict__.items():
            if k not in _STD and not k.startswith("_") and k not in out:
                out[k] = v
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def ids(**fields: Any) -> dict[str, Any]:
    """``extra`` for a decision's log line: the given ids, empty ones left out."""
    return {k: v for k, v in fields.items() if v not in (None, "")}


def _formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)


def faust_logging_config(level: str = "INFO", fmt: str = "json") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the Faust worker: one stderr handler, JSON lines."""
    formatter = {"()": "memesnipe.logs.JsonFormatter"} if fmt == "json" else {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"memesnipe": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "memesnipe",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": ["default"]},
        "loggers": {"aiokafka": {"level": "WARNING" if level in ("DEBUG", "INFO") else level}},
    }


def configure(level: str = "INFO", fmt: str = "json") -> None:
    """One stderr handler for the whole process (analytics, notifier, ...)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel(max(logging.getLevelName(level), logging.WARNING))
