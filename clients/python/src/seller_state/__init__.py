"""seller-state for Python: the client of the seller-state service and the bot's persistence.

    from seller_state import SellerStateClient, ConversationStore
"""
from .async_client import AsyncSellerStateClient
from .client import SellerStateClient
from .codec import DataclassCodec, StateCodec
from .errors import (AccessDenied, AlreadyApplied, DocumentMismatch, Forbidden, InvalidDocument, InvalidRequest,
                     PreconditionFailed, PreconditionRequired, RateLimited, SellerStateError, ServerError,
                     ServiceUnreachable, StateNotFound, StateUnreadable, Unauthorized, Unavailable, WriteConflict)
from .models import ActiveConversation, Page, Stored, Summary
from .store import AsyncConversationStore, ConversationStore
from .version import VERSION as __version__

__all__ = [
    "SellerStateClient", "AsyncSellerStateClient", "ConversationStore", "AsyncConversationStore",
    "StateCodec", "DataclassCodec", "Stored", "Page", "ActiveConversation", "Summary",
    "SellerStateError", "InvalidRequest", "InvalidDocument", "AccessDenied", "Unauthorized", "Forbidden",
    "StateNotFound", "PreconditionFailed", "PreconditionRequired", "AlreadyApplied", "WriteConflict",
    "RateLimited", "Unavailable", "ServiceUnreachable", "StateUnreadable", "ServerError", "DocumentMismatch",
    "__version__",
]
