"""The bot's four methods over the store, sync and async, with the bot's own dataclass."""
from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Mapping, Optional
from zoneinfo import ZoneInfo

import pytest

from seller_state import (AsyncConversationStore, AsyncSellerStateClient, ConversationStore, PreconditionFailed,
                          SellerStateClient)
from seller_bot import SellerQualificationState  # the bot's dataclass, as the prototype has it
from support import state_document


@dataclass
class NewerState(SellerQualificationState):
    """The next version of the bot: one more field."""

    lead_score: int = 0
    follow_up_on: Optional[date] = None


DATETIMES = [
    datetime(2026, 1, 23, 10, 30),                                            # naive
    datetime(2026, 1, 23, 10, 30, 0, 123456),                                 # naive, microseconds
    datetime(2026, 1, 23, 10, 30, 0, 1, tzinfo=timezone.utc),                 # UTC, one microsecond
    datetime(2026, 1, 23, 10, 30, 5, tzinfo=timezone(timedelta(hours=-5))),   # negative offset
    datetime(2026, 1, 23, 10, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2026, 1, 23, 10, 30, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
    datetime(2026, 7, 4, 12, 0, 0, 999999, tzinfo=ZoneInfo("America/New_York")),  # equal, as a fixed offset
    datetime(1999, 12, 31, 23, 59, 59, 999999),
]


@pytest.fixture
def store(client: SellerStateClient) -> ConversationStore[SellerQualificationState]:
    return ConversationStore(client, SellerQualificationState)


@pytest.mark.parametrize("moment", DATETIMES, ids=str)
def test_datetimes_round_trip_equal(client: SellerStateClient, unique: str, moment: datetime) -> None:
    state = SellerQualificationState(unique, "loc_dt", last_interaction=moment, conversation_started=moment)
    ConversationStore(client, SellerQualificationState).save_conversation_state(unique, state)
    loaded = ConversationStore(client, SellerQualificationState).get_conversation_state(unique)
    assert loaded == state
    assert loaded is not None and loaded.last_interaction is not None
    assert loaded.last_interaction.utcoffset() == moment.utcoffset()
    assert loaded.last_interaction.microsecond == moment.microsecond


def test_the_four_methods(store: ConversationStore[SellerQualificationState], unique: str) -> None:
    assert store.get_conversation_state(unique) is None
    state = SellerQualificationState(unique, unique, conversation_history=[{"role": "user", "content": "hi"}])
    store.save_conversation_state(unique, state)
    state.advance = None  # type: ignore[attr-defined]  # attributes of the instance are not the store's business
    state.current_question, state.stage = 1, "Q1"
    store.save_conversation_state(unique, state)
    loaded = store.get_conversation_state(unique)
    assert loaded is not None and loaded.stage == "Q1" and loaded.conversation_history == state.conversation_history

    others = [SellerQualificationState(f"{unique}_{n}", unique, stage="Q2") for n in range(3)]
    for other in others:
        store.save_conversation_state(other.contact_id, other)
    active = store.get_all_active_conversations(location_id=unique)
    assert sorted(item.contact_id for item in active) == sorted([unique] + [other.contact_id for other in others])
    assert all(isinstance(item, SellerQualificationState) for item in active)
    assert [item.contact_id for item in store.get_all_active_conversations(location_id=unique, stage="Q1")] == [unique]

    store.delete_conversation_state(unique)
    assert store.get_conversation_state(unique) is None


def test_an_older_dataclass_keeps_a_newer_ones_members(client: SellerStateClient, unique: str) -> None:
    newer = ConversationStore(client, NewerState)
    newer.save_conversation_state(unique, NewerState(unique, "loc", lead_score=87, follow_up_on=date(2026, 2, 1)))

    older = ConversationStore(client, SellerQualificationState)
    state = older.get_conversation_state(unique)
    assert state is not None
    # A copy made with replace() keeps them too: the store remembers them per contact.
    older.save_conversation_state(unique, dataclasses.replace(state, stage="Q1", current_question=1))

    after = ConversationStore(client, NewerState).get_conversation_state(unique)
    assert after == NewerState(unique, "loc", current_question=1, stage="Q1", lead_score=87, follow_up_on=date(2026, 2, 1),
                               conversation_started=state.conversation_started)


def test_a_write_in_between_is_not_overwritten(client: SellerStateClient, unique: str) -> None:
    mine = ConversationStore(client, SellerQualificationState)
    theirs = ConversationStore(client, SellerQualificationState)
    mine.save_conversation_state(unique, SellerQualificationState(unique, "loc"))
    state = mine.get_conversation_state(unique)
    assert state is not None
    other = theirs.get_conversation_state(unique)
    assert other is not None
    theirs.save_conversation_state(unique, dataclasses.replace(other, stage="Q2"))

    with pytest.raises(PreconditionFailed):
        mine.save_conversation_state(unique, dataclasses.replace(state, stage="Q1"))
    assert client.get(unique).document["stage"] == "Q2"  # type: ignore[union-attr]

    # Loading again is the way on.
    fresh = mine.get_conversation_state(unique)
    assert fresh is not None
    mine.save_conversation_state(unique, dataclasses.replace(fresh, stage="Q3"))
    assert client.get(unique).document["stage"] == "Q3"  # type: ignore[union-attr]


def test_a_contact_found_absent_is_created_only_if_still_absent(client: SellerStateClient, unique: str) -> None:
    mine = ConversationStore(client, SellerQualificationState)
    assert mine.get_conversation_state(unique) is None
    client.put(unique, state_document(unique, stage="Q2"))  # another worker creates it meanwhile
    with pytest.raises(PreconditionFailed):
        mine.save_conversation_state(unique, SellerQualificationState(unique, "loc"))


def test_a_contact_never_seen_is_replaced_as_given(client: SellerStateClient, unique: str) -> None:
    client.put(unique, state_document(unique, stage="Q2", lead_score=3))
    ConversationStore(client, SellerQualificationState).save_conversation_state(unique, SellerQualificationState(unique, "loc"))
    stored = client.get(unique)
    assert stored is not None and stored.document["stage"] == "Q0" and "lead_score" not in stored.document


def test_the_dashboards_members_are_stored_beside_the_state(store: ConversationStore[SellerQualificationState], client: SellerStateClient, unique: str) -> None:
    state = SellerQualificationState(unique, unique, questions_answered=4, current_question=4, stage="Q4")
    store.save_conversation_state(unique, state, temperature="hot",
                                  metadata={"seller_name": "Ana Ruiz", "property_address": "12 Elm St"})
    # A later save without them keeps them: they are members the dataclass does not hold.
    store.save_conversation_state(unique, dataclasses.replace(state, is_qualified=True, stage="QUALIFIED"))
    document = client.get(unique).document  # type: ignore[union-attr]
    assert (document["temperature"], document["seller_name"], document["property_address"]) == ("hot", "Ana Ruiz", "12 Elm St")
    row = client.list_active(location_id=unique).conversations[0]
    assert (row.temperature, row.seller_name, row.property_address) == ("HOT", "Ana Ruiz", "12 Elm St")
    with pytest.raises(ValueError):
        store.save_conversation_state(unique, state, metadata={"stage": "Q1"})


def test_twenty_threads_of_ten_increments_give_two_hundred(client: SellerStateClient, unique: str) -> None:
    client.put(unique, state_document(unique, extracted_data={"count": 0}))

    def increment(document: dict[str, Any]) -> dict[str, Any]:
        document["extracted_data"]["count"] += 1
        return document

    failures: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(10):
                client.update(unique, increment)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert client.get(unique).document["extracted_data"]["count"] == 200  # type: ignore[union-attr]


async def test_the_async_store(service: Any, unique: str) -> None:
    async with AsyncSellerStateClient(service.url) as client:
        store: AsyncConversationStore[SellerQualificationState] = AsyncConversationStore(client, SellerQualificationState)
        assert await store.get_conversation_state(unique) is None
        started = datetime(2026, 1, 23, 10, 30, 0, 5, tzinfo=timezone(timedelta(hours=-7)))
        state = SellerQualificationState(unique, unique, conversation_started=started)
        await store.save_conversation_state(unique, state, temperature="warm")
        loaded = await store.get_conversation_state(unique)
        assert loaded == state
        await store.save_conversation_state(unique, dataclasses.replace(state, stage="Q1"))
        assert [item.stage for item in await store.get_all_active_conversations(location_id=unique)] == ["Q1"]
        await store.delete_conversation_state(unique)
        assert await store.get_conversation_state(unique) is None


async def test_async_updates_in_parallel_lose_nothing(service: Any, unique: str) -> None:
    import asyncio

    async with AsyncSellerStateClient(service.url) as client:
        await client.put(unique, state_document(unique, extracted_data={"count": 0}))

        async def increment(document: dict[str, Any]) -> dict[str, Any]:
            document["extracted_data"]["count"] += 1
            return document

        async def worker() -> None:
            for _ in range(5):
                await client.update(unique, increment)

        await asyncio.gather(*(worker() for _ in range(20)))
        assert (await client.get(unique)).document["extracted_data"]["count"] == 100  # type: ignore[union-attr]


class Lead:
    """A model that is not a dataclass (as a pydantic or attrs model would be)."""

    def __init__(self, contact_id: str, location_id: str, stage: str = "Q0") -> None:
        self.contact_id, self.location_id, self.stage = contact_id, location_id, stage


class LeadCodec:
    field_names = frozenset({"contact_id", "location_id", "stage"})

    def encode(self, lead: Lead) -> dict[str, Any]:
        return {**state_document(lead.contact_id, lead.location_id), "stage": lead.stage}

    def decode(self, document: Mapping[str, Any]) -> Lead:
        return Lead(document["contact_id"], document["location_id"], document["stage"])


def test_a_codec_gives_the_four_methods_to_any_model(client: SellerStateClient, unique: str) -> None:
    store: ConversationStore[Lead] = ConversationStore(client, LeadCodec())
    store.save_conversation_state(unique, Lead(unique, "loc", "Q2"))
    lead = store.get_conversation_state(unique)
    assert lead is not None and (lead.contact_id, lead.stage) == (unique, "Q2")


def test_a_type_that_is_neither_a_dataclass_nor_a_codec_is_refused(client: SellerStateClient) -> None:
    with pytest.raises(TypeError):
        ConversationStore(client, Lead)


def test_the_store_remembers_a_bounded_number_of_contacts(client: SellerStateClient, unique: str) -> None:
    store = ConversationStore(client, SellerQualificationState, remember=1)
    for contact_id in (f"{unique}_1", f"{unique}_2"):
        client.put(contact_id, state_document(contact_id))
    first = store.get_conversation_state(f"{unique}_1")
    store.get_conversation_state(f"{unique}_2")  # pushes the first out
    assert first is not None
    client.put(f"{unique}_1", state_document(f"{unique}_1", stage="Q3"))
    # Forgotten, so saved as given (as the prototype did), not refused as stale.
    store.save_conversation_state(f"{unique}_1", dataclasses.replace(first, stage="Q1"))
    assert client.get(f"{unique}_1").document["stage"] == "Q1"  # type: ignore[union-attr]
