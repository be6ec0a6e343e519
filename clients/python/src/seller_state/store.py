"""The bot's four persistence methods, with the prototype's names and signatures, for any state
type: ``ConversationStore`` over the sync client, ``AsyncConversationStore`` over the async one.

The rule for saves: the store remembers, per contact id, the ETag and the members it does not
model of the last state it loaded or saved for that contact (so a ``dataclasses.replace()`` copy
keeps them). Saving a contact it remembers is conditional on that ETag (or, after it found none,
on there being none): a write that came in between raises PreconditionFailed instead of being
overwritten. Saving a contact it has never seen replaces what is there, as the prototype did.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Generic, Mapping, Optional, TypeVar

from .async_client import AsyncSellerStateClient
from .client import Filter, SellerStateClient
from .codec import StateCodec, codec_for
from .models import Stored

S = TypeVar("S")


@dataclass(frozen=True)
class _Known:
    #: The ETag of the state last seen; None when the contact had no state.
    etag: Optional[str]
    #: Members of that document the state type does not hold.
    unmodelled: Mapping[str, Any]


class _Memory(Generic[S]):
    """What both stores know of the contacts they have seen, and the documents they write."""

    def __init__(self, state_type: Any, remember: int) -> None:
        self.codec: StateCodec[S] = codec_for(state_type)
        self._known: OrderedDict[str, _Known] = OrderedDict()
        self._capacity = remember

    def _remember(self, contact_id: str, known: _Known) -> None:
        self._known[contact_id] = known
        self._known.move_to_end(contact_id)
        if len(self._known) > self._capacity:
            self._known.popitem(last=False)

    def seen(self, contact_id: str, stored: Optional[Stored]) -> Optional[S]:
        if stored is None:
            self._remember(contact_id, _Known(None, {}))
            return None
        self._remember(contact_id, _Known(stored.etag, self._unmodelled(stored.document)))
        return self.codec.decode(stored.document)

    def _unmodelled(self, document: Mapping[str, Any]) -> dict[str, Any]:
        return {name: value for name, value in document.items() if name not in self.codec.field_names}

    def to_save(self, contact_id: str, state: S, temperature: Optional[str],
                metadata: Optional[Mapping[str, Any]]) -> tuple[dict[str, Any], dict[str, str]]:
        """The document to PUT and its precondition."""
        document = self.codec.encode(state)
        known = self._known.get(contact_id)
        if known is not None:
            document.update({name: value for name, value in known.unmodelled.items() if name not in document})
        extra = dict(metadata or {})
        if temperature is not None:
            extra["temperature"] = temperature
        clash = sorted(extra.keys() & self.codec.field_names)
        if clash:
            raise ValueError(f"metadata may not set members of the state itself: {', '.join(clash)}")
        document.update(extra)
        if known is None:
            return document, {}
        return document, {"if_match": known.etag} if known.etag is not None else {"if_none_match": "*"}


class ConversationStore(Generic[S]):
    """``get_conversation_state``, ``save_conversation_state``, ``get_all_active_conversations`` and
    ``delete_conversation_state`` over a SellerStateClient. ``state_type`` is a dataclass or a
    StateCodec; ``remember`` bounds how many contacts the store remembers (least recent first out)."""

    def __init__(self, client: SellerStateClient, state_type: Any, *, remember: int = 100_000) -> None:
        self._client = client
        self._memory: _Memory[S] = _Memory(state_type, remember)

    def get_conversation_state(self, contact_id: str) -> Optional[S]:
        return self._memory.seen(contact_id, self._client.get(contact_id))

    def save_conversation_state(self, contact_id: str, state: S, temperature: Optional[str] = None,
                                metadata: Optional[Mapping[str, Any]] = None, *,
                                idempotency_key: Optional[str] = None) -> Stored:
        """Saves the state; ``temperature`` and ``metadata`` (``seller_name``, ``property_address``,
        ...) are stored beside it as members of their own, which the dashboard reads."""
        document, condition = self._memory.to_save(contact_id, state, temperature, metadata)
        stored = self._client.put(contact_id, document, idempotency_key=idempotency_key, **condition)
        self._memory.seen(contact_id, stored)
        return stored

    def get_all_active_conversations(self, **filters: Filter) -> list[S]:
        """Every active conversation the filters select (all pages)."""
        return [self._memory.codec.decode(row.document or {}) for row in self._client.iter_active(view="full", **filters)]

    def delete_conversation_state(self, contact_id: str, *, idempotency_key: Optional[str] = None) -> None:
        self._client.delete(contact_id, idempotency_key=idempotency_key)
        self._memory.seen(contact_id, None)


class AsyncConversationStore(Generic[S]):
    """``ConversationStore`` over an AsyncSellerStateClient: the same methods, awaited, as the
    prototype's were."""

    def __init__(self, client: AsyncSellerStateClient, state_type: Any, *, remember: int = 100_000) -> None:
        self._client = client
        self._memory: _Memory[S] = _Memory(state_type, remember)

    async def get_conversation_state(self, contact_id: str) -> Optional[S]:
        return self._memory.seen(contact_id, await self._client.get(contact_id))

    async def save_conversation_state(self, contact_id: str, state: S, temperature: Optional[str] = None,
                                      metadata: Optional[Mapping[str, Any]] = None, *,
                                      idempotency_key: Optional[str] = None) -> Stored:
        document, condition = self._memory.to_save(contact_id, state, temperature, metadata)
        stored = await self._client.put(contact_id, document, idempotency_key=idempotency_key, **condition)
        self._memory.seen(contact_id, stored)
        return stored

    async def get_all_active_conversations(self, **filters: Filter) -> list[S]:
        return [self._memory.codec.decode(row.document or {}) async for row in self._client.iter_active(view="full", **filters)]

    async def delete_conversation_state(self, contact_id: str, *, idempotency_key: Optional[str] = None) -> None:
        await self._client.delete(contact_id, idempotency_key=idempotency_key)
        self._memory.seen(contact_id, None)
