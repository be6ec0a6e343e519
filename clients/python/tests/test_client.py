"""Every method of the client, sync and async (the ``api`` fixture runs each test with both),
against the real service and a private redis-server."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from seller_state import (AlreadyApplied, AsyncSellerStateClient, Forbidden, InvalidDocument, InvalidRequest,
                          PreconditionFailed, SellerStateClient, ServiceUnreachable, StateNotFound, Unauthorized,
                          Unavailable)
from conftest import READ_TOKEN, WRITE_TOKEN
from support import Awaited, collect, state_document


async def test_put_then_get_gives_back_the_document_and_its_version(api: Any, unique: str) -> None:
    document = state_document(unique, last_interaction="2026-01-23T10:31:00+00:00", lead_score=7)
    created = await api.put(unique, document)
    assert created.created and created.etag.startswith('"')
    assert created.expires_at is not None and created.expires_at - datetime.now(timezone.utc) > timedelta(days=6)

    stored = await api.get(unique)
    assert stored.document == document
    assert list(stored.document) == list(document)  # member order kept
    assert stored.etag == created.etag and not stored.created

    replaced = await api.put(unique, {**document, "stage": "Q1"})
    assert not replaced.created and replaced.etag != created.etag


async def test_get_of_a_contact_without_state_is_none(api: Any, unique: str) -> None:
    assert await api.get(unique) is None


async def test_conditional_writes_refuse_a_stale_version(api: Any, unique: str) -> None:
    first = await api.put(unique, state_document(unique))
    await api.put(unique, state_document(unique, stage="Q1"), if_match=first.etag)
    with pytest.raises(PreconditionFailed) as stale:
        await api.put(unique, state_document(unique, stage="Q2"), if_match=first.etag)
    assert stale.value.status == 412 and stale.value.code == "PRECONDITION_FAILED"
    with pytest.raises(PreconditionFailed):
        await api.put(unique, state_document(unique), if_none_match="*")
    with pytest.raises(PreconditionFailed):
        await api.delete(unique, if_match=first.etag)
    assert (await api.get(unique)).document["stage"] == "Q1"


async def test_patch_merges_and_needs_a_state(api: Any, unique: str) -> None:
    await api.put(unique, state_document(unique, extracted_data={"roof_age_years": 22}))
    patched = await api.patch(unique, {"stage": "Q3", "price_expectation": 180000,
                                       "extracted_data": {"asked_price_at": "2026-01-23T10:41:07.000512"}})
    assert patched.document["extracted_data"] == {"roof_age_years": 22, "asked_price_at": "2026-01-23T10:41:07.000512"}
    assert (await api.get(unique)).document["price_expectation"] == 180000
    with pytest.raises(StateNotFound):
        await api.patch(unique + "x", {"stage": "Q1"})


async def test_delete_removes_the_state_and_is_idempotent(api: Any, unique: str) -> None:
    await api.put(unique, state_document(unique))
    await api.delete(unique)
    await api.delete(unique)
    assert await api.get(unique) is None


async def test_a_refused_document_names_its_field_and_writes_nothing(api: Any, unique: str) -> None:
    with pytest.raises(InvalidDocument) as refused:
        await api.put(unique, state_document(unique, location_id=""))
    assert refused.value.status == 400 and "location_id" in refused.value.fields
    assert "location_id is empty" in str(refused.value)
    with pytest.raises(InvalidDocument) as mismatch:
        await api.put(unique, state_document("someone_else"))
    assert mismatch.value.code == "CONTACT_ID_MISMATCH" and mismatch.value.field == "contact_id"
    with pytest.raises(InvalidRequest):
        await api.put(unique, state_document(unique, price_expectation=float("nan")))
    assert await api.get(unique) is None


async def test_datetimes_left_by_asdict_are_written_with_isoformat(api: Any, unique: str) -> None:
    started = datetime(2026, 1, 23, 10, 30, 0, 123456, tzinfo=timezone(timedelta(hours=-5)))
    stored = await api.put(unique, state_document(unique, conversation_started=started))
    assert stored.document["conversation_started"] == "2026-01-23T10:30:00.123456-05:00"


async def test_update_creates_then_reapplies_on_the_newest_version(api: Any, unique: str) -> None:
    def increment(document: dict[str, Any]) -> dict[str, Any]:
        document["extracted_data"]["count"] = document["extracted_data"].get("count", 0) + 1
        return document

    created = await api.update(unique, increment, new=lambda: state_document(unique))
    assert created.created and created.document["extracted_data"] == {"count": 1}

    def in_place(document: dict[str, Any]) -> None:
        document["stage"] = "Q1"
    updated = await api.update(unique, in_place)
    assert updated.document["stage"] == "Q1" and updated.document["extracted_data"] == {"count": 1}

    with pytest.raises(StateNotFound):
        await api.update(unique + "x", increment)


async def test_a_redelivered_idempotency_key_applies_once(api: Any, unique: str) -> None:
    await api.put(unique, state_document(unique, extracted_data={"messages": 0}))

    def count_message(document: dict[str, Any]) -> dict[str, Any]:
        document["extracted_data"]["messages"] += 1
        return document

    first = await api.update(unique, count_message, idempotency_key="sms-1")
    assert not first.replayed
    # The provider delivers the webhook again: the message must not count twice.
    with pytest.raises(AlreadyApplied) as again:
        await api.update(unique, count_message, idempotency_key="sms-1")
    assert again.value.status == 422 and again.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert (await api.get(unique)).document["extracted_data"] == {"messages": 1}

    replay = await api.patch(unique, {"stage": "Q2"}, idempotency_key="sms-2")
    replayed = await api.patch(unique, {"stage": "Q2"}, idempotency_key="sms-2")
    assert replayed.replayed and replayed.etag == replay.etag and replayed.document == replay.document
    await api.patch(unique, {"stage": "Q3"})
    late = await api.patch(unique, {"stage": "Q2"}, idempotency_key="sms-2")
    assert late.replayed and late.etag == replay.etag and late.document == {}
    assert (await api.get(unique)).document["stage"] == "Q3"


async def test_listing_pages_and_summary(api: Any, unique: str) -> None:
    for n, stage in enumerate(["Q1", "Q1", "Q2"]):
        await api.put(f"{unique}_{n}", state_document(f"{unique}_{n}", location_id=unique, stage=stage,
                                                      current_question=int(stage[1]), temperature="hot"))
    page = await api.list_active(location_id=unique, stage="Q1", page_size=1)
    assert page.total_count == 2 and len(page.conversations) == 1 and page.has_next and page.next_cursor
    row = page.conversations[0]
    assert row.location_id == unique and row.temperature == "HOT"
    # Aware datetimes: the dashboard's arithmetic works even where the bot wrote naive ones.
    assert row.conversation_started.tzinfo is not None
    assert datetime.now(timezone.utc) - row.last_activity < timedelta(minutes=5)

    following = await api.list_active(location_id=unique, stage="Q1", page_size=1, cursor=page.next_cursor)
    assert following.conversations[0].contact_id != row.contact_id and not following.has_next

    full = await collect(api.iter_active(location_id=unique, view="full", page_size=2))
    assert sorted(item.contact_id for item in full) == [f"{unique}_{n}" for n in range(3)]
    assert all(item.document is not None and item.document["location_id"] == unique for item in full)

    summary = await api.summary(unique)
    assert summary.total == 3 and summary.by_stage["Q1"] == 2 and summary.by_stage["QUALIFIED"] == 0
    assert summary.by_temperature == {"HOT": 3, "WARM": 0, "COLD": 0}


@pytest.fixture(scope="module")
def thousand_contacts(service: Any) -> str:
    location = "loc_thousand"
    with SellerStateClient(service.url) as client:
        for n in range(1000):
            client.put(f"k{n:04d}", state_document(f"k{n:04d}", location, stage=["Q0", "Q1", "Q2"][n % 3],
                                                   last_interaction=f"2026-01-{1 + n % 28:02d}T10:00:00"))
    return location


async def test_cursor_paging_gives_each_of_a_thousand_contacts_once(api: Any, thousand_contacts: str) -> None:
    pages = 0
    page = await api.list_active(location_id=thousand_contacts, page_size=37)
    seen = [row.contact_id for row in page.conversations]
    while page.next_cursor:
        page = await api.list_active(location_id=thousand_contacts, page_size=37, cursor=page.next_cursor)
        seen += [row.contact_id for row in page.conversations]
        pages += 1
    assert pages == 27 and len(seen) == 1000 and set(seen) == {f"k{n:04d}" for n in range(1000)}
    activity = [row.last_activity for row in await collect(api.iter_active(location_id=thousand_contacts, page_size=64))]
    assert len(activity) == 1000 and activity == sorted(activity, reverse=True)


async def test_a_wrong_query_is_an_invalid_request(api: Any) -> None:
    with pytest.raises(InvalidRequest) as refused:
        await api.list_active(stagee="Q1")
    assert refused.value.status == 400


async def test_a_redis_pause_during_a_save_ends_in_success(api: Any, unique: str, redis_server: Any) -> None:
    await api.put(unique, state_document(unique))
    resume = redis_server.pause(1.5)
    try:
        saved = await api.put(unique, state_document(unique, stage="Q2"))
    finally:
        resume.join()
    assert saved.document["stage"] == "Q2"
    assert (await api.get(unique)).document["stage"] == "Q2"


def test_503_past_the_retries_raises_unavailable_with_retry_after(service: Any, redis_server: Any, unique: str) -> None:
    with SellerStateClient(service.url, retries=1) as client:
        resume = redis_server.pause(4)
        try:
            with pytest.raises(Unavailable) as unavailable:
                client.put(unique, state_document(unique))
        finally:
            resume.join()
        assert unavailable.value.status == 503 and unavailable.value.retry_after == 1.0
        # A write answered 503 was not done.
        assert client.get(unique) is None


def test_the_retry_budget_ends_the_waiting_before_the_retries_do(service: Any, redis_server: Any, unique: str) -> None:
    with SellerStateClient(service.url, retries=10, retry_budget=0.5) as client:
        resume = redis_server.pause(2.5)
        try:
            with pytest.raises(Unavailable):
                client.get(unique)
        finally:
            resume.join()


class AnswerLost(httpx.HTTPTransport):
    """Delivers the first ``losses`` requests, then drops their answers: the connection breaks
    after the service has done the work."""

    def __init__(self, losses: int) -> None:
        super().__init__()
        self.losses = losses
        self.sent = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        self.sent += 1
        if self.sent <= self.losses:
            raise httpx.ReadError("connection lost before the answer", request=request)
        return response


class AsyncAnswerLost(httpx.AsyncHTTPTransport):
    def __init__(self, losses: int) -> None:
        super().__init__()
        self.losses = losses
        self.sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        await response.aread()
        self.sent += 1
        if self.sent <= self.losses:
            raise httpx.ReadError("connection lost before the answer", request=request)
        return response


def lossy_client(kind: str, url: str, losses: int) -> Any:
    if kind == "sync":
        return Awaited(SellerStateClient(url, transport=AnswerLost(losses)))
    return AsyncSellerStateClient(url, transport=AsyncAnswerLost(losses))


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_lost_answer_is_retried_for_reads_and_keyed_writes_only(kind: str, service: Any, unique: str) -> None:
    await lossy_client("sync", service.url, 0).put(unique, state_document(unique))
    assert (await lossy_client(kind, service.url, 1).get(unique)).document["contact_id"] == unique

    keyed = await lossy_client(kind, service.url, 1).patch(unique, {"stage": "Q1"}, idempotency_key="sms-9")
    assert keyed.replayed and keyed.document["stage"] == "Q1"

    # Without a key the client cannot know whether its write landed: it says so.
    with pytest.raises(ServiceUnreachable):
        await lossy_client(kind, service.url, 1).patch(unique, {"stage": "Q2"})


def test_an_unreachable_service_is_a_typed_error() -> None:
    with SellerStateClient("http://127.0.0.1:9", retries=1) as client:
        with pytest.raises(ServiceUnreachable):
            client.get("anyone")


async def test_tokens_unauthorized_and_forbidden(guarded_service: Any, unique: str) -> None:
    async with AsyncSellerStateClient(guarded_service.url) as anonymous:
        with pytest.raises(Unauthorized) as no_token:
            await anonymous.get(unique)
        assert no_token.value.status == 401
    with SellerStateClient(guarded_service.url, READ_TOKEN) as reader:
        with pytest.raises(Forbidden):
            reader.put(unique, state_document(unique))
        assert reader.get(unique) is None
    with SellerStateClient(guarded_service.url, WRITE_TOKEN) as writer:
        assert writer.put(unique, state_document(unique)).created
