"""The fleet screen's data: Prometheus's HTTP API read back into one row per instance (SPEC 11's gauges)."""
