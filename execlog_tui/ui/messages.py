"""Messages the dashboard's widgets post to the app."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class PromptSubmitted(Message):
    """The user pressed Enter in the filter or search prompt (value may be empty: clear)."""

    kind: str  # "filter" | "search"
    value: str


@dataclass
class PromptCancelled(Message):
    kind: str
