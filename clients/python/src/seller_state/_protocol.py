"""What the client says to the service and how it reads the answers, written once for the sync and
the async client. Each operation is a generator ("plan") that yields steps (a request to send, a
pause, a value to await) and receives their results; ``client.py`` and ``async_client.py`` only
carry the steps out, each in its own way.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, time as time_of_day
from typing import Any, Callable, Generator, Mapping, Optional, TypeVar, Union
from urllib.parse import quote

import httpx

from .errors import InvalidRequest, PreconditionFailed, ServiceUnreachable, StateNotFound, error_for
from .models import Page, Stored, Summary

T = TypeVar("T")
Document = dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One HTTP request."""

    method: str
    path: str
    headers: Mapping[str, str]
    params: Optional[Mapping[str, str]] = None
    content: Optional[bytes] = None
    #: Whether sending it twice is harmless: a read, or a write with an Idempotency-Key.
    repeatable: bool = True


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Resolve:
    """A value returned by the caller's function (``apply``, ``new``): the async client awaits it
    when it is awaitable."""

    value: Any


Step = Union[Call, Sleep, Resolve]
Plan = Generator[Step, Any, T]


@dataclass(frozen=True)
class Policy:
    """How hard the client tries. ``retries`` bounds the extra attempts of one request and
    ``retry_budget`` (seconds) the time spent waiting between them, whichever ends first."""

    retries: int = 4
    retry_budget: float = 10.0
    #: How many times ``update`` reapplies a change after someone else wrote first (412).
    max_conflicts: int = 50


# Answers after which the request was not done and may be sent again as the service says.
_RETRIED_STATUSES = frozenset({409, 429, 503})
# Connection failures where the request surely never reached the service.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def backoff(attempt: int, base: float = 0.01, cap: float = 1.0) -> float:
    """Exponential backoff with full jitter, so that writers that collided spread out."""
    return random.uniform(0, min(cap, base * 2 ** attempt))


def _retry_after(response: httpx.Response) -> Optional[float]:
    try:
        return max(0.0, float(response.headers["retry-after"]))
    except (KeyError, ValueError):
        return None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _raise_for(response: httpx.Response) -> None:
    if response.status_code >= 400:
        raise error_for(response.status_code, _json(response), _retry_after(response))


def send(policy: Policy, call: Call) -> Plan[httpx.Response]:
    """Sends a request, again while the service answers 503, 429 or 409 (as its Retry-After says)
    and after a lost connection where that is safe; returns the last answer."""
    waited = 0.0
    for attempt in range(policy.retries + 1):
        last_try = attempt == policy.retries
        try:
            response: httpx.Response = yield call
        except httpx.TransportError as lost:
            if last_try or not (call.repeatable or isinstance(lost, _NEVER_SENT)):
                raise ServiceUnreachable(f"{call.method} {call.path}: {lost!r}") from lost
            wait = backoff(attempt, base=0.05)
        else:
            if response.status_code not in _RETRIED_STATUSES or last_try:
                return response
            wait = _retry_after(response) or backoff(attempt, base=0.05)
            if waited + wait > policy.retry_budget:
                return response
        waited += wait
        yield Sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON; datetimes (which ``dataclasses.asdict`` leaves) as ``isoformat()``."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                          default=_jsonable).encode()
    except ValueError as error:  # NaN or infinity: no JSON spelling
        raise InvalidRequest(f"document is not JSON: {error}") from error


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date, time_of_day)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, bytes)):
        raise InvalidRequest(f"document is not JSON: a {type(value).__name__} has no JSON spelling")
    raise InvalidRequest(f"document is not JSON: {type(value).__name__} {value!r}")


class Requests:
    """Builds the plans of every operation for one service and token."""

    def __init__(self, policy: Policy, token: Optional[str], user_agent: str) -> None:
        self.policy = policy
        self._headers = {"accept": "application/json", "user-agent": user_agent}
        if token:
            self._headers["authorization"] = f"Bearer {token}"

    def _call(self, method: str, path: str, headers: Optional[Mapping[str, Optional[str]]] = None, **kwargs: Any) -> Call:
        merged = dict(self._headers)
        merged.update({name: value for name, value in (headers or {}).items() if value is not None})
        return Call(method, path, merged, **kwargs)

    def _write(self, method: str, contact_id: str, body: Optional[Any], content_type: str,
               idempotency_key: Optional[str], **conditions: Optional[str]) -> Call:
        headers = {"content-type": content_type if body is not None else None, "idempotency-key": idempotency_key,
                   "if-match": conditions.get("if_match"), "if-none-match": conditions.get("if_none_match")}
        return self._call(method, _state_path(contact_id), headers,
                          content=None if body is None else encode_json(body), repeatable=idempotency_key is not None)

    def _stored(self, call: Call) -> Plan[Stored]:
        response = yield from send(self.policy, call)
        _raise_for(response)
        # A replayed PATCH whose state was written again since has no body (see Stored.document).
        return Stored.from_answer(response.status_code, response.headers, response.json() if response.content else {})

    def get(self, contact_id: str) -> Plan[Optional[Stored]]:
        response = yield from send(self.policy, self._call("GET", _state_path(contact_id)))
        if response.status_code == 404:
            return None
        _raise_for(response)
        return Stored.from_answer(response.status_code, response.headers, response.json())

    def put(self, contact_id: str, document: Mapping[str, Any], *, if_match: Optional[str] = None,
            if_none_match: Optional[str] = None, idempotency_key: Optional[str] = None) -> Plan[Stored]:
        return self._stored(self._write("PUT", contact_id, document, "application/json", idempotency_key,
                                        if_match=if_match, if_none_match=if_none_match))

    def patch(self, contact_id: str, patch: Mapping[str, Any], *, if_match: Optional[str] = None,
              idempotency_key: Optional[str] = None) -> Plan[Stored]:
        return self._stored(self._write("PATCH", contact_id, patch, "application/merge-patch+json", idempotency_key,
                                        if_match=if_match))

    def delete(self, contact_id: str, *, if_match: Optional[str] = None,
               idempotency_key: Optional[str] = None) -> Plan[None]:
        call = self._write("DELETE", contact_id, None, "", idempotency_key, if_match=if_match)
        _raise_for((yield from send(self.policy, call)))

    def update(self, contact_id: str, apply: Callable[[Document], Any], *, new: Optional[Callable[[], Any]] = None,
               idempotency_key: Optional[str] = None) -> Plan[Stored]:
        """Read, apply, write back with If-Match; on 412 again, after a jittered pause. A contact
        without state gets ``new()`` (then ``apply``), created with If-None-Match: *."""
        for conflict in range(self.policy.max_conflicts + 1):
            current = yield from self.get(contact_id)
            if current is None and new is None:
                raise StateNotFound(f"No state stored for contact {contact_id}", status=404, code="STATE_NOT_FOUND")
            document = (yield Resolve(new())) if current is None else current.document  # type: ignore[misc]
            changed = yield Resolve(apply(document))
            # apply may change the document in place and return nothing.
            document = document if changed is None else changed
            try:
                if current is None:
                    return (yield from self.put(contact_id, document, if_none_match="*", idempotency_key=idempotency_key))
                return (yield from self.put(contact_id, document, if_match=current.etag, idempotency_key=idempotency_key))
            except PreconditionFailed:
                if conflict == self.policy.max_conflicts:
                    raise
            yield Sleep(backoff(conflict))
        raise AssertionError("unreachable: the last conflict re-raises")

    def list_active(self, query: Mapping[str, Any]) -> Plan[Page]:
        response = yield from send(self.policy, self._call("GET", "/seller/active", params=_query(query)))
        _raise_for(response)
        return Page.from_answer(response.json())

    def summary(self, location_id: Optional[str] = None) -> Plan[Summary]:
        response = yield from send(self.policy, self._call("GET", "/seller/active/summary",
                                                           params=_query({"location_id": location_id})))
        _raise_for(response)
        return Summary.from_answer(response.json())


def next_page_query(query: Mapping[str, Any], page: Page) -> Optional[dict[str, Any]]:
    """The query of the page after ``page``: by its cursor where it has one, else by number."""
    if page.next_cursor:
        following = {name: value for name, value in query.items() if name != "page"}
        following["cursor"] = page.next_cursor
        return following
    if page.has_next:
        return {**query, "page": page.page + 1}
    return None


def _query(values: Mapping[str, Any]) -> dict[str, str]:
    def spelled(value: Any) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else str(value)
    return {name: spelled(value) for name, value in values.items() if value is not None}


def _state_path(contact_id: str) -> str:
    # Quoted whole, so that no id can reach another path; the service refuses what is not an id.
    return f"/seller/state/{quote(contact_id, safe='')}"


def run(plan: Plan[T], carry_out: Callable[[Step], Any]) -> T:
    """Carries a plan out step by step with a blocking ``carry_out``; used by the sync client."""
    try:
        step = next(plan)
        while True:
            try:
                result = carry_out(step)
            except httpx.TransportError as lost:
                step = plan.throw(lost)
            else:
                step = plan.send(result)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]

