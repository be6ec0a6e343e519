"""What several test files use: one face for both clients, and valid state documents."""
from __future__ import annotations

import inspect
from typing import Any

from seller_state import SellerStateClient


class Awaited:
    """The sync client with the async client's face (methods awaited, ``iter_active`` collected by
    ``collect``), so that one test covers both."""

    def __init__(self, client: SellerStateClient) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            return list(result) if inspect.isgenerator(result) else result
        return call


async def collect(result: Any) -> list[Any]:
    """The items of ``iter_active`` from either client."""
    if inspect.isasyncgen(result):
        return [item async for item in result]
    return await result  # type: ignore[no-any-return]


def state_document(contact_id: str, location_id: str = "loc_test", **members: Any) -> dict[str, Any]:
    """A document as the bot's ``dataclasses.asdict`` gives it, datetimes as ``isoformat()``."""
    document: dict[str, Any] = {
        "contact_id": contact_id, "location_id": location_id, "current_question": 0, "questions_answered": 0,
        "is_qualified": False, "stage": "Q0", "condition": None, "price_expectation": None, "motivation": None,
        "urgency": None, "offer_accepted": None, "timeline_acceptable": None, "scheduling_offered": False,
        "appointment_booked": False, "appointment_id": None, "conversation_history": [], "extracted_data": {},
        "last_interaction": None, "conversation_started": "2026-01-23T10:30:00.123456",
    }
    document.update(members)
    return document
