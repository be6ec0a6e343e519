"""What the client returns: a stored state with its version, a listing page and its rows, the
summary. Rows carry aware datetimes: the service reads a naive datetime as UTC, and so do they."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Mapping, Optional


def parse_datetime(text: str) -> datetime:
    """``datetime.fromisoformat``, with the ``Z`` of other writers accepted on Python 3.10 too."""
    if sys.version_info < (3, 11) and text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


def parse_aware_datetime(text: str) -> datetime:
    """An ISO-8601 datetime as an aware one: without an offset it is UTC, as the service reads it."""
    value = parse_datetime(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Stored:
    """A state as the service stored it, and the version that identifies it."""

    #: The document as stored; empty only for the replay of a PATCH whose state was written again
    #: since (the service keeps no copy of it: ``get`` reads the current one).
    document: dict[str, Any]
    #: The entity tag, quoted as the service sent it: give it back as ``if_match``.
    etag: str
    #: When the state expires unless written again.
    expires_at: Optional[datetime]
    #: The time of the last write.
    last_modified: Optional[datetime] = None
    #: True when this write created the state (201).
    created: bool = False
    #: True when the answer is the replay of an earlier write with the same Idempotency-Key.
    replayed: bool = False

    @classmethod
    def from_answer(cls, status: int, headers: Mapping[str, str], document: dict[str, Any]) -> "Stored":
        expires = headers.get("x-expires-at")
        modified = headers.get("last-modified")
        return cls(
            document=document,
            etag=headers.get("etag", ""),
            expires_at=parse_aware_datetime(expires) if expires else None,
            last_modified=parsedate_to_datetime(modified) if modified else None,
            created=status == 201,
            replayed=headers.get("idempotent-replayed") == "true",
        )


@dataclass(frozen=True)
class ActiveConversation:
    """One row of the dashboard's table (an item of ``GET /seller/active``)."""

    contact_id: str
    location_id: str
    stage: str
    temperature: str
    current_question: int
    questions_answered: int
    is_qualified: bool
    is_stalled: bool
    last_activity: datetime
    conversation_started: datetime
    expires_at: datetime
    seller_name: Optional[str] = None
    property_address: Optional[str] = None
    condition: Optional[str] = None
    price_expectation: Optional[int] = None
    motivation: Optional[str] = None
    urgency: Optional[str] = None
    #: The whole stored document, with ``view="full"``.
    document: Optional[dict[str, Any]] = None
    #: Members of the row this version of the package does not know (a newer service's).
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "ActiveConversation":
        known = {name: value for name, value in row.items() if name in _ROW_FIELDS}
        for name in _ROW_DATETIMES:
            known[name] = parse_aware_datetime(known[name])
        extra = {name: value for name, value in row.items() if name not in _ROW_FIELDS}
        return cls(**known, extra=extra)


_ROW_FIELDS = frozenset(ActiveConversation.__dataclass_fields__) - {"extra"}
_ROW_DATETIMES = ("last_activity", "conversation_started", "expires_at")


@dataclass(frozen=True)
class Page:
    """One page of the listing. Follow ``next_cursor`` (or use ``iter_active``) to see each
    conversation once while they change."""

    conversations: list[ActiveConversation]
    total_count: int
    page: int
    page_size: int
    total_pages: int
    has_next: bool
    has_prev: bool
    next_cursor: Optional[str] = None
    #: Active contacts whose stored value the service could not read (not in the page).
    skipped_unreadable: int = 0

    @classmethod
    def from_answer(cls, body: Mapping[str, Any]) -> "Page":
        return cls(
            conversations=[ActiveConversation.from_row(row) for row in body["conversations"]],
            total_count=body["total_count"], page=body["page"], page_size=body["page_size"],
            total_pages=body["total_pages"], has_next=body["has_next"], has_prev=body["has_prev"],
            next_cursor=body.get("next_cursor"), skipped_unreadable=body.get("skipped_unreadable", 0),
        )


@dataclass(frozen=True)
class Summary:
    """Counts for the dashboard's header; every stage and temperature is present."""

    total: int
    by_stage: dict[str, int]
    by_temperature: dict[str, int]
    qualified: int
    stalled: int
    skipped_unreadable: int = 0

    @classmethod
    def from_answer(cls, body: Mapping[str, Any]) -> "Summary":
        return cls(total=body["total"], by_stage=dict(body["by_stage"]), by_temperature=dict(body["by_temperature"]),
                   qualified=body["qualified"], stalled=body["stalled"], skipped_unreadable=body.get("skipped_unreadable", 0))
