"""How a state object becomes the service's JSON document and back. Dataclasses work as they are;
any other model (pydantic, attrs, a plain class) brings a ``StateCodec``."""
from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from typing import Any, Generic, Mapping, Protocol, TypeVar

from .errors import DocumentMismatch
from .models import parse_datetime

S = TypeVar("S")


class StateCodec(Protocol[S]):
    """The hook for models that are not dataclasses."""

    #: The members the model holds; the store keeps every other member of a document aside and
    #: writes it back, so that a newer writer's members survive this one.
    field_names: frozenset[str]

    def encode(self, state: S) -> dict[str, Any]:
        """The model's members as JSON values (datetimes may stay datetimes: they are written
        with ``isoformat()``)."""

    def decode(self, document: Mapping[str, Any]) -> S:
        """The model from its members (only those of ``field_names`` are given)."""


class DataclassCodec(Generic[S]):
    """A dataclass's fields, with ``datetime`` and ``date`` fields (``Optional`` or not, by the type
    hints) written with ``isoformat()`` and read with ``fromisoformat()``. An aware datetime comes
    back with a fixed offset: a ``ZoneInfo`` one is equal to it, not identical."""

    def __init__(self, state_type: type[S]) -> None:
        if not dataclasses.is_dataclass(state_type):
            raise TypeError(f"{state_type!r} is not a dataclass: give the store a StateCodec for it")
        self._type = state_type
        fields = dataclasses.fields(state_type)
        self.field_names = frozenset(field.name for field in fields)
        self._init_names = frozenset(field.name for field in fields if field.init)
        hints = typing.get_type_hints(state_type)
        self._readers = {name: reader for name, hint in hints.items()
                         if name in self.field_names and (reader := _iso_reader(hint)) is not None}

    def encode(self, state: S) -> dict[str, Any]:
        return {name: _plain(getattr(state, name)) for name in _field_order(self._type)}

    def decode(self, document: Mapping[str, Any]) -> S:
        values = {name: value for name, value in document.items() if name in self._init_names}
        for name, read in self._readers.items():
            if isinstance(values.get(name), str):
                values[name] = read(values[name])
        try:
            return self._type(**values)
        except TypeError as error:
            raise DocumentMismatch(f"the stored document does not fit {self._type.__name__}: {error}") from error


def _field_order(state_type: type) -> list[str]:
    return [field.name for field in dataclasses.fields(state_type)]


def _iso_reader(hint: Any) -> Any:
    """``fromisoformat`` of the datetime or date type a hint names, possibly inside Optional."""
    candidates = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    if datetime in candidates:
        return parse_datetime
    if date in candidates:
        return date.fromisoformat
    return None


def _plain(value: Any) -> Any:
    """A value as JSON holds it: nested dataclasses as dicts, tuples as lists, datetimes as text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in _field_order(type(value))}
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def codec_for(state_type: Any) -> StateCodec[Any]:
    """The codec a store uses: the one given, or a DataclassCodec for a dataclass type."""
    if all(hasattr(state_type, member) for member in ("field_names", "encode", "decode")):
        return typing.cast(StateCodec[Any], state_type)
    return DataclassCodec(state_type)
