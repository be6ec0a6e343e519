"""The blocking client: ``SellerStateClient``. Everything it says and reads is in ``_protocol.py``,
shared with the async client; this file only sends, sleeps and iterates."""
from __future__ import annotations

import inspect
import time
from types import TracebackType
from typing import Any, Callable, Iterator, Mapping, Optional, Union

import httpx

from ._nodelay import nodelay_transport
from ._protocol import Call, Document, Plan, Policy, Requests, Sleep, Step, T, next_page_query, run
from .models import ActiveConversation, Page, Stored, Summary
from .version import USER_AGENT

Filter = Union[str, bool, int, None]


class SellerStateClient:
    """The service's routes with their ETags, Idempotency-Keys and retries. One instance per
    process: it keeps connections open (use it as a context manager, or call ``close()``)."""

    def __init__(self, base_url: str, token: Optional[str] = None, *, timeout: float = 5.0, retries: int = 4,
                 retry_budget: float = 10.0, max_conflicts: int = 50, transport: Optional[httpx.BaseTransport] = None) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport or nodelay_transport())
        self._requests = Requests(Policy(retries, retry_budget, max_conflicts), token, USER_AGENT)

    def _run(self, plan: Plan[T]) -> T:
        return run(plan, self._carry_out)

    def _carry_out(self, step: Step) -> Any:
        if isinstance(step, Call):
            return self._http.request(step.method, step.path, headers=step.headers, params=step.params, content=step.content)
        if isinstance(step, Sleep):
            return time.sleep(step.seconds)
        if inspect.isawaitable(step.value):
            raise TypeError("apply and new returned an awaitable: use AsyncSellerStateClient for async functions")
        return step.value

    def get(self, contact_id: str) -> Optional[Stored]:
        """The contact's state, or None when it has none."""
        return self._run(self._requests.get(contact_id))

    def put(self, contact_id: str, document: Mapping[str, Any], *, if_match: Optional[str] = None,
            if_none_match: Optional[str] = None, idempotency_key: Optional[str] = None) -> Stored:
        """Creates or replaces the state. ``if_match``: an ETag (or "*"); ``if_none_match="*"``: create only."""
        return self._run(self._requests.put(contact_id, document, if_match=if_match, if_none_match=if_none_match,
                                            idempotency_key=idempotency_key))

    def patch(self, contact_id: str, patch: Mapping[str, Any], *, if_match: Optional[str] = None,
              idempotency_key: Optional[str] = None) -> Stored:
        """A JSON Merge Patch: None removes a member, dicts merge, anything else replaces."""
        return self._run(self._requests.patch(contact_id, patch, if_match=if_match, idempotency_key=idempotency_key))

    def delete(self, contact_id: str, *, if_match: Optional[str] = None, idempotency_key: Optional[str] = None) -> None:
        self._run(self._requests.delete(contact_id, if_match=if_match, idempotency_key=idempotency_key))

    def update(self, contact_id: str, apply: Callable[[Document], Optional[Document]], *,
               new: Optional[Callable[[], Document]] = None, idempotency_key: Optional[str] = None) -> Stored:
        """Reads the state, ``apply``s the change and writes it back if nobody wrote in between;
        otherwise reads and applies again (``apply`` must be safe to run again). A contact without
        state starts from ``new()``; without ``new`` it raises StateNotFound."""
        return self._run(self._requests.update(contact_id, apply, new=new, idempotency_key=idempotency_key))

    def list_active(self, *, cursor: Optional[str] = None, page: Optional[int] = None, page_size: Optional[int] = None,
                    **filters: Filter) -> Page:
        """One page of the dashboard's listing; filters as the service names them (location_id,
        stage, temperature, stalled, q, sort, order, view)."""
        return self._run(self._requests.list_active({**filters, "cursor": cursor, "page": page, "page_size": page_size}))

    def iter_active(self, **filters: Filter) -> Iterator[ActiveConversation]:
        """Every active conversation the filters select, page after page, each once. Pages of 50
        by default: larger ones count as expensive reads, which the service limits per token."""
        query: Optional[dict[str, Any]] = {"page_size": 50, **filters}
        while query is not None:
            page = self._run(self._requests.list_active(query))
            yield from page.conversations
            query = next_page_query(query, page)

    def summary(self, location_id: Optional[str] = None) -> Summary:
        return self._run(self._requests.summary(location_id))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "SellerStateClient":
        return self

    def __exit__(self, kind: Optional[type[BaseException]], error: Optional[BaseException], trace: Optional[TracebackType]) -> None:
        self.close()
