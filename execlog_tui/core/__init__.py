"""Parsing, clock, windows and metrics: pure Python, never imports Textual."""
