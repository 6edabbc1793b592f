"""SPEC 11: the engine's figures for Prometheus (collector, HTTP endpoint, textfile, rules)."""
