"""Log lines for people (LOG_FORMAT=text) or for log shippers (LOG_FORMAT=json).

Both carry the same fields: a transition's line (see `jobs.report`) has the
job, the attempt, the statuses, the reason and the error text as fields of
the record, and the JSON form prints each as a key of one object per line.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: the record attributes a JSON line carries when a call sets them (`extra=`)
FIELDS = (
    "job_id",
    "attempt",
    "from_status",
    "to_status",
    "reason",
    "final",
    "detail",
    "instance_id",
)
NOISY = ("apscheduler", "alembic")  # a line per tick or per migration check is noise
UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the fields, and the
    traceback of a bug when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({name: getattr(record, name) for name in FIELDS if hasattr(record, name)})
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(log_format: Literal["text", "json"]) -> None:
    """Set up the root logger; in JSON mode uvicorn's own lines become JSON too."""
    handler = logging.StreamHandler()
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if log_format == "json":
        for name in UVICORN:
            for existing in logging.getLogger(name).handlers:
                existing.setFormatter(formatter)
