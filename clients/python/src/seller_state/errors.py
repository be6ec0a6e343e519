"""Every error the package raises: one class per thing a caller may handle differently, all under
SellerStateError, each with the HTTP status and the service's stable ``code``."""
from __future__ import annotations

import re
from typing import Any, Optional

# The service names the part of the request at fault first: "body/location_id Expected ...".
_NAMED_FIELD = re.compile(r"\b(?:body|querystring|params|headers)/([A-Za-z0-9_.-]+)")


class SellerStateError(Exception):
    """An answer of the service that is not the value asked for, or no answer at all."""

    def __init__(self, message: str, *, status: Optional[int] = None, code: Optional[str] = None,
                 retry_after: Optional[float] = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        #: Seconds the service asked to wait (429 and 503), when it said.
        self.retry_after = retry_after

    def __str__(self) -> str:
        where = f"{self.status} {self.code}" if self.status else self.code or "no answer"
        return f"{self.message} ({where})"


class InvalidRequest(SellerStateError):
    """400, 413, 415: the request is wrong; sending it again changes nothing."""


class InvalidDocument(InvalidRequest):
    """400 for a state document the service refuses; ``field`` names the first member at fault."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        #: Every member the service named, in its order.
        self.fields = _NAMED_FIELD.findall(message)
        self.field: Optional[str] = self.fields[0] if self.fields else None


class AccessDenied(SellerStateError):
    """401 or 403."""


class Unauthorized(AccessDenied):
    """401: no token, or one the service does not know."""


class Forbidden(AccessDenied):
    """403: a read token used for a write."""


class StateNotFound(SellerStateError):
    """404: the contact has no state (never written, deleted or expired)."""


class PreconditionFailed(SellerStateError):
    """412: someone else wrote the state since it was read (If-Match), or it exists already
    (If-None-Match: *). Read it again and reapply the change."""


class PreconditionRequired(SellerStateError):
    """428: the service runs with REQUIRE_PRECONDITION and the write had no If-Match."""


class AlreadyApplied(SellerStateError):
    """422: this Idempotency-Key was used for another request to this contact, so the message it
    stands for was applied before. A bot treats it as done."""


class WriteConflict(SellerStateError):
    """409 after the retries: a PATCH kept colliding with other writers."""


class RateLimited(SellerStateError):
    """429 after the retries."""


class Unavailable(SellerStateError):
    """503 after the retries: Redis is away or the service sheds load. A write answered 503 was
    not done; ``retry_after`` is the last wait the service asked for."""


class ServiceUnreachable(SellerStateError):
    """No answer: the connection failed or was lost, after the retries that were safe."""


class StateUnreadable(SellerStateError):
    """500 STATE_UNREADABLE: the stored value is not a state of the service (a prototype pickle
    not yet migrated); a PUT replaces it."""


class ServerError(SellerStateError):
    """Any other 5xx."""


class DocumentMismatch(SellerStateError):
    """A stored document that the state type cannot hold (a required field missing, say)."""


_BY_STATUS: dict[int, type[SellerStateError]] = {
    401: Unauthorized, 403: Forbidden, 404: StateNotFound, 409: WriteConflict,
    412: PreconditionFailed, 413: InvalidRequest, 415: InvalidRequest, 422: AlreadyApplied,
    428: PreconditionRequired, 429: RateLimited, 503: Unavailable,
}
_DOCUMENT_CODES = {"INVALID_DOCUMENT", "CONTACT_ID_MISMATCH", "FST_ERR_VALIDATION"}


def error_for(status: int, body: Any, retry_after: Optional[float]) -> SellerStateError:
    """The error for an answer of the service: its JSON ``{statusCode, error, message, code}``."""
    fields = body if isinstance(body, dict) else {}
    message = str(fields.get("message") or f"seller-state answered {status}")
    code = fields.get("code") if isinstance(fields.get("code"), str) else None
    if status == 400:
        kind: type[SellerStateError] = InvalidDocument if code in _DOCUMENT_CODES and "body/" in message else InvalidRequest
    elif status == 500 and code == "STATE_UNREADABLE":
        kind = StateUnreadable
    else:
        kind = _BY_STATUS.get(status, ServerError if status >= 500 else SellerStateError)
    return kind(message, status=status, code=code, retry_after=retry_after)
