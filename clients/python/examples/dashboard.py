"""The dashboard's side: the active conversations mapped to its own row model. Rows carry aware
datetimes, so ``datetime.now(timezone.utc) - row.last_activity`` just works. Run:

    python examples/dashboard.py http://127.0.0.1:3000 [location_id]
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from seller_state import ActiveConversation, SellerStateClient


@dataclass
class ConversationRow:
    """The dashboard's own model (as in its dashboard_models.py)."""

    contact_id: str
    seller_name: str
    stage: str
    temperature: str
    questions_answered: int
    hours_idle: float
    property_address: Optional[str]
    next_action: str


def to_row(conversation: ActiveConversation, now: datetime) -> ConversationRow:
    return ConversationRow(
        contact_id=conversation.contact_id,
        seller_name=conversation.seller_name or "Unknown",
        stage=conversation.stage,
        temperature=conversation.temperature,
        questions_answered=conversation.questions_answered,
        hours_idle=round((now - conversation.last_activity).total_seconds() / 3600, 1),
        property_address=conversation.property_address,
        next_action="Schedule call" if conversation.is_qualified else "Follow up",
    )


def main(base_url: str, location_id: Optional[str]) -> None:
    now = datetime.now(timezone.utc)
    with SellerStateClient(base_url) as client:
        summary = client.summary(location_id)
        print(f"{summary.total} active, {summary.qualified} qualified, {summary.stalled} stalled, by stage {summary.by_stage}")
        # iter_active follows the cursor: each conversation once, however many pages.
        for row in (to_row(item, now) for item in client.iter_active(location_id=location_id, sort="temperature")):
            print(f"{row.contact_id:<14} {row.seller_name:<12} {row.stage:<9} {row.temperature:<4} "
                  f"{row.questions_answered}/4 idle {row.hours_idle} h  {row.next_action}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:3000", sys.argv[2] if len(sys.argv) > 2 else None)
