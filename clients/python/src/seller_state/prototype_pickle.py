"""Reads the prototype's stored states (``pickle.dumps`` of the dataclass dict) without running
anything: a pickle may name any callable, so only the datetime types are let through; plain
containers, numbers and strings need no name at all. Anything else is refused with its name."""
from __future__ import annotations

import io
import pickle
from datetime import date, datetime, time, timedelta, timezone
from typing import Any


def _latin1_bytes(text: str, encoding: str) -> bytes:
    """How protocols 0-2 spell bytes (a datetime's state among them): ``_codecs.encode(text, 'latin1')``."""
    if not isinstance(text, str) or encoding != "latin1":
        raise RefusedPickle(f"the pickle calls _codecs.encode with {encoding!r}, which a state does not need (not run)")
    return text.encode("latin1")


# What a pickled dict of the bot's state may name: datetimes with their time zones.
_ALLOWED = {
    ("datetime", "datetime"): datetime, ("datetime", "date"): date, ("datetime", "time"): time,
    ("datetime", "timedelta"): timedelta, ("datetime", "timezone"): timezone, ("_codecs", "encode"): _latin1_bytes,
}


class RefusedPickle(Exception):
    """A stored value that is not a pickled state this tool may read; the message says why."""


class _StatesOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        allowed = _ALLOWED.get((module, name))
        if allowed is None:
            raise RefusedPickle(f"the pickle refers to {module}.{name}, which a state does not hold (not run)")
        return allowed


def load_state(data: bytes) -> dict[str, Any]:
    """The state dict of a pickled prototype state, as JSON values (datetimes as ``isoformat()``)."""
    try:
        value = _StatesOnly(io.BytesIO(data)).load()
    except RefusedPickle:
        raise
    except Exception as error:  # noqa: BLE001 - any malformed pickle is a refusal, not a crash
        raise RefusedPickle(f"not a readable pickle: {error}") from error
    if not isinstance(value, dict):
        raise RefusedPickle(f"the pickle holds a {type(value).__name__}, not a state dict")
    return _json_value(value, "state")  # type: ignore[no-any-return]


def _json_value(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json_value(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise RefusedPickle(f"{where} has a key {key!r} that is not a string")
        return {key: _json_value(item, f"{where}.{key}") for key, item in value.items()}
    raise RefusedPickle(f"{where} is a {type(value).__name__}, which JSON cannot hold")
