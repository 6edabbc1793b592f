"""Replay: archived logs played back through the engine on a virtual clock (no Textual here)."""
