"""Logging for the server and the worker: one JSON object per line (JOINTREVIEW_LOG_FORMAT=json, the
default under `serve` and `worker`) or plain text, each line with the request id of the request it
belongs to, so that a proxy's, a web process's and the database's lines about one request can be joined."""
from __future__ import annotations

import json
import logging
import os
import sys
from contextvars import ContextVar
from datetime import datetime, timezone

request_id: ContextVar[str] = ContextVar("request_id", default="-")


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request id, process (and the exception, if any) as one JSON line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage(),
                "request_id": request_id.get(), "pid": record.process}
        for key in ("method", "path", "status", "duration_ms", "remote"):
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is written (it may be replaced after setup)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def setup(fmt: str | None = None, level: int = logging.INFO) -> None:
    """Configure the root logger: JSON lines or text (JOINTREVIEW_LOG_FORMAT: json or text). Calling it again
    replaces only the handler it added before."""
    fmt = (fmt or os.environ.get("JOINTREVIEW_LOG_FORMAT") or "json").lower()
    handler = _Stderr()
    handler.addFilter(_RequestId())
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not isinstance(h, _Stderr)] + [handler]
    root.setLevel(level)
    logging.getLogger("spiff").setLevel(logging.WARNING)
