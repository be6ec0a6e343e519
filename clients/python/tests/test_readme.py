"""The README's Python is the examples' Python: the blocks it shows are excerpts of the examples
that test_examples.py runs, so they cannot drift apart."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[3]
EXAMPLE = (REPOSITORY / "clients" / "python" / "examples" / "seller_bot.py").read_text()


def python_blocks() -> list[str]:
    readme = (REPOSITORY / "README.md").read_text()
    start = readme.index("## The bot's side, in Python")
    section = readme[start:readme.index("\n## ", start + 1)]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def code_lines(text: str) -> list[str]:
    return [line.split("  #")[0].strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_the_loop_of_one_sms_is_the_examples() -> None:
    loop = next(block for block in python_blocks() if block.startswith("for _ in range(5):"))
    start = EXAMPLE.index("        for _ in range(5):")
    assert textwrap.dedent(EXAMPLE[start:start + len(textwrap.indent(loop, "        "))]) == loop


def test_the_four_methods_are_bound_as_in_the_example() -> None:
    methods = next(block for block in python_blocks() if "store.get_conversation_state" in block)
    bindings = [line for line in code_lines(methods) if line.startswith(("store =", "self."))]
    assert len(bindings) == 5
    example = code_lines(EXAMPLE)
    assert all(line in example for line in bindings), bindings
