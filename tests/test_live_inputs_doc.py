"""docs/LIVE_INPUTS.md stays true to the code: one row per registered family, the topics it
names are the family's subscriptions, and every field and event kind it names exists on them."""

from __future__ import annotations

import re
from pathlib import Path

from memesnipe.core.strategies import families
from memesnipe.core.strategies.base import subscribed_types
from memesnipe.streams.market import OnChainKind

DOC = Path(__file__).resolve().parents[1] / "docs" / "LIVE_INPUTS.md"


def rows() -> dict[str, str]:
    """family -> its 'topic: fields read' cell."""
    table = DOC.read_text().split("## The families", 1)[1].split("\n\n", 2)[1]
    out = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        out[cells[0]] = cells[1]
    return out


def shipped() -> dict:
    """The families memesnipe ships (tests register spy families in the same registry)."""
    return {n: c for n, c in families().items() if c.__module__.startswith("memesnipe.")}


def test_every_family_has_a_row_and_each_names_its_own_topics_fields_and_kinds() -> None:
    table = rows()
    assert set(table) == set(shipped()) and len(table) >= 11
    for family, cell in table.items():
        cls = shipped()[family]
        topics = re.findall(r"`(\w+)`:", cell)
        assert set(topics) == set(cls.subscriptions), family
        fields = {f for t in subscribed_types(cls) for f in t.__struct_fields__}
        named = set(re.findall(r"`(\w+)`(?!:)", cell))
        assert named and named <= fields, (family, named - fields)
        kinds = set(re.findall(r"\b[A-Z][A-Z_]+\b", cell))
        assert kinds <= {k.name for k in OnChainKind}, (family, kinds)
