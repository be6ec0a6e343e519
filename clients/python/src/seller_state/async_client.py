"""The asyncio client: ``AsyncSellerStateClient``, the same methods as ``SellerStateClient``,
awaited. ``apply`` and ``new`` of ``update`` may be async functions here."""
from __future__ import annotations

import asyncio
import inspect
from types import TracebackType
from typing import Any, AsyncIterator, Awaitable, Callable, Mapping, Optional, Union

import httpx

from ._protocol import Call, Document, Plan, Policy, Requests, Sleep, Step, T, next_page_query
from .client import Filter
from .models import ActiveConversation, Page, Stored, Summary
from .version import USER_AGENT

MaybeAwaitable = Union[T, Awaitable[T]]


class AsyncSellerStateClient:
    """See ``SellerStateClient``; one instance per event loop."""

    def __init__(self, base_url: str, token: Optional[str] = None, *, timeout: float = 5.0, retries: int = 4,
                 retry_budget: float = 10.0, max_conflicts: int = 50,
                 transport: Optional[httpx.AsyncBaseTransport] = None) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)
        self._requests = Requests(Policy(retries, retry_budget, max_conflicts), token, USER_AGENT)

    async def _run(self, plan: Plan[T]) -> T:
        try:
            step = next(plan)
            while True:
                try:
                    result = await self._carry_out(step)
                except httpx.TransportError as lost:
                    step = plan.throw(lost)
                else:
                    step = plan.send(result)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    async def _carry_out(self, step: Step) -> Any:
        if isinstance(step, Call):
            return await self._http.request(step.method, step.path, headers=step.headers, params=step.params,
                                            content=step.content)
        if isinstance(step, Sleep):
            return await asyncio.sleep(step.seconds)
        return await step.value if inspect.isawaitable(step.value) else step.value

    async def get(self, contact_id: str) -> Optional[Stored]:
        return await self._run(self._requests.get(contact_id))

    async def put(self, contact_id: str, document: Mapping[str, Any], *, if_match: Optional[str] = None,
                  if_none_match: Optional[str] = None, idempotency_key: Optional[str] = None) -> Stored:
        return await self._run(self._requests.put(contact_id, document, if_match=if_match, if_none_match=if_none_match,
                                                  idempotency_key=idempotency_key))

    async def patch(self, contact_id: str, patch: Mapping[str, Any], *, if_match: Optional[str] = None,
                    idempotency_key: Optional[str] = None) -> Stored:
        return await self._run(self._requests.patch(contact_id, patch, if_match=if_match, idempotency_key=idempotency_key))

    async def delete(self, contact_id: str, *, if_match: Optional[str] = None, idempotency_key: Optional[str] = None) -> None:
        await self._run(self._requests.delete(contact_id, if_match=if_match, idempotency_key=idempotency_key))

    async def update(self, contact_id: str, apply: Callable[[Document], MaybeAwaitable[Optional[Document]]], *,
                     new: Optional[Callable[[], MaybeAwaitable[Document]]] = None,
                     idempotency_key: Optional[str] = None) -> Stored:
        return await self._run(self._requests.update(contact_id, apply, new=new, idempotency_key=idempotency_key))

    async def list_active(self, *, cursor: Optional[str] = None, page: Optional[int] = None,
                          page_size: Optional[int] = None, **filters: Filter) -> Page:
        return await self._run(self._requests.list_active({**filters, "cursor": cursor, "page": page, "page_size": page_size}))

    async def iter_active(self, **filters: Filter) -> AsyncIterator[ActiveConversation]:
        query: Optional[dict[str, Any]] = {"page_size": 50, **filters}
        while query is not None:
            page = await self._run(self._requests.list_active(query))
            for conversation in page.conversations:
                yield conversation
            query = next_page_query(query, page)

    async def summary(self, location_id: Optional[str] = None) -> Summary:
        return await self._run(self._requests.summary(location_id))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncSellerStateClient":
        return self

    async def __aexit__(self, kind: Optional[type[BaseException]], error: Optional[BaseException],
                        trace: Optional[TracebackType]) -> None:
        await self.aclose()
