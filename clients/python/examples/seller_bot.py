"""The seller bot's persistence through seller-state: the prototype's class, its in-memory dict
and pickles replaced by the store. Run against a service:

    python examples/seller_bot.py http://127.0.0.1:3000

It plays one seller's conversation from Q0 to QUALIFIED and prints each turn.
"""
from __future__ import annotations

import asyncio
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from seller_state import AlreadyApplied, AsyncConversationStore, AsyncSellerStateClient, PreconditionFailed


@dataclass
class SellerQualificationState:
    contact_id: str
    location_id: str
    current_question: int = 0
    questions_answered: int = 0
    is_qualified: bool = False
    stage: str = "Q0"
    condition: Optional[str] = None
    price_expectation: Optional[int] = None
    motivation: Optional[str] = None
    urgency: Optional[str] = None
    offer_accepted: Optional[bool] = None
    timeline_acceptable: Optional[bool] = None
    scheduling_offered: bool = False
    appointment_booked: bool = False
    appointment_id: Optional[str] = None
    conversation_history: List[Dict[str, str]] = field(default_factory=list)
    extracted_data: Dict[str, Any] = field(default_factory=dict)
    last_interaction: Optional[datetime] = None
    conversation_started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


class SellerBot:
    def __init__(self, client: AsyncSellerStateClient) -> None:
        # The four persistence methods, with the prototype's names and signatures.
        store = AsyncConversationStore(client, SellerQualificationState)
        self.get_conversation_state = store.get_conversation_state
        self.save_conversation_state = store.save_conversation_state
        self.get_all_active_conversations = store.get_all_active_conversations
        self.delete_conversation_state = store.delete_conversation_state

    async def process_seller_message(self, contact_id: str, location_id: str, message: str, sms_id: str) -> str:
        """One incoming SMS: load, update, save. ``sms_id`` (the provider's message id) makes a
        redelivered webhook harmless; a write that came in between makes it start over."""
        for _ in range(5):
            state = await self.get_conversation_state(contact_id)
            if state is None:
                state = SellerQualificationState(contact_id=contact_id, location_id=location_id)
            self._answer(state, message)
            try:
                # One key per write of this SMS: a second write with the same key would be refused.
                await self.save_conversation_state(contact_id, state, temperature=self._temperature(state),
                                                   idempotency_key=f"{sms_id}:save")
                return state.stage
            except AlreadyApplied:
                return "already handled"
            except PreconditionFailed:
                continue  # another worker wrote first: load its state and apply the message to it
        raise RuntimeError(f"{contact_id} kept changing")

    @staticmethod
    def _answer(state: SellerQualificationState, message: str) -> None:
        state.conversation_history = (state.conversation_history + [{"role": "user", "content": message}])[-20:]
        state.last_interaction = datetime.now(timezone.utc)
        if state.current_question == 1:
            state.condition = "needs_minor_repairs"
        elif state.current_question == 2:
            state.price_expectation = int("".join(ch for ch in message if ch.isdigit()) or 0)
        elif state.current_question == 3:
            state.motivation, state.urgency = "job_relocation", "high"
        elif state.current_question == 4:
            state.offer_accepted = state.timeline_acceptable = True
        if state.current_question > 0:
            state.questions_answered = state.current_question
        if state.current_question < 4:
            state.current_question += 1
            state.stage = f"Q{state.current_question}"
        else:
            state.is_qualified, state.stage = True, "QUALIFIED"

    @staticmethod
    def _temperature(state: SellerQualificationState) -> str:
        if state.questions_answered == 4:
            return "hot" if state.offer_accepted and state.timeline_acceptable else "warm"
        return "cold"


async def main(base_url: str) -> None:
    contact_id = f"c_{uuid.uuid4().hex[:8]}"
    messages = ["Hi, I got your text", "It needs a new roof", "About $180,000", "I got a job in Denver", "Yes, that works"]
    async with AsyncSellerStateClient(base_url) as client:
        bot = SellerBot(client)
        for n, message in enumerate(messages):
            print(f"{message!r} -> {await bot.process_seller_message(contact_id, 'loc_demo', message, sms_id=f'SM{n}')}")
        # The provider delivers the last webhook again:
        print(f"'Yes, that works' again -> {await bot.process_seller_message(contact_id, 'loc_demo', 'Yes, that works', sms_id='SM4')}")
        state = await bot.get_conversation_state(contact_id)
        assert state is not None
        print(f"{contact_id}: {state.stage}, price {state.price_expectation}, {len(state.conversation_history)} messages")
        await bot.delete_conversation_state(contact_id)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:3000"))
