"""The Textual dashboard: panels bound to MetricsSnapshot, a log view over the ring buffer."""
