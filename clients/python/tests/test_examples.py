"""The examples the README points to run as written, against the real service."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from seller_state import SellerStateClient
from support import state_document

PROJECT = Path(__file__).resolve().parents[1]


def run_example(name: str, *args: str) -> list[str]:
    run = subprocess.run([sys.executable, str(PROJECT / "examples" / name), *args], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(PROJECT / "src")}, timeout=60, check=True)
    return run.stdout.splitlines()


def test_the_bot_example_qualifies_a_seller_and_ignores_a_redelivery(service: Any) -> None:
    lines = run_example("seller_bot.py", service.url)
    assert lines[:6] == ["'Hi, I got your text' -> Q1", "'It needs a new roof' -> Q2", "'About $180,000' -> Q3",
                         "'I got a job in Denver' -> Q4", "'Yes, that works' -> QUALIFIED",
                         "'Yes, that works' again -> already handled"]
    assert lines[6].endswith(": QUALIFIED, price 180000, 5 messages")


def test_the_dashboard_example_maps_rows_to_its_model(client: SellerStateClient, service: Any, unique: str) -> None:
    client.put(f"{unique}_a", state_document(f"{unique}_a", unique, seller_name="Ana Ruiz", temperature="hot",
                                             questions_answered=4, current_question=4, stage="Q4"))
    client.put(f"{unique}_b", state_document(f"{unique}_b", unique))
    lines = run_example("dashboard.py", service.url, unique)
    assert lines[0].startswith("2 active, 0 qualified, 0 stalled")
    assert lines[1].split()[:5] == [f"{unique}_a", "Ana", "Ruiz", "Q4", "HOT"]
    assert lines[2].split()[:4] == [f"{unique}_b", "Unknown", "Q0", "COLD"]
    assert "idle 0.0 h" in lines[1]
