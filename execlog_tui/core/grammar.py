"""The line grammar of SPEC section 1 in one place: the parser, the SQL of the queries and the C scanner
(through the generated header `_scan_grammar.h`, see `c_header`) take their constants from here."""

from __future__ import annotations

# timestamp|component|action|duration_ms|status|details
FIELD_SEP = "|"
FIELDS = 6  # the sixth, details, is everything after the fifth separator

STATUS_CODES = frozenset({"SUCCESS", "FAILURE", "DEGRADED", "TIMEOUT", "RETRY", "SKIPPED"})
LEVELS = frozenset({"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})
ERROR_STATUSES = frozenset({"FAILURE", "TIMEOUT", "ERROR", "CRITICAL"})
# Completed operations: a status code, or ERROR/CRITICAL (SPEC section 4); BOOTSTRAP excluded there.
COMPLETION_STATUSES = STATUS_CODES | {"ERROR", "CRITICAL"}

# The timestamp: YYYY-MM-DDTHH:MM:SS, an optional fraction of 1 to 9 digits, an optional zone (Z or
# +HH:MM/-HH:MM). Groups: the second (19 characters), the fraction digits, the zone.
TIMESTAMP_SECOND = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
TIMESTAMP_FRACTION_DIGITS = 9
TIMESTAMP_ZONE = r"Z|[+-][0-9]{2}:[0-9]{2}"
# The written date and its UTC instant both fall in these years (SPEC 1): `9999-12-31T23:00:00-12:00`
# (UTC year 10000) and `0001-01-01T00:00:00+14:00` (UTC year 0) are parse errors. Dates before 1970 are
# ordinary dates (negative epoch milliseconds).
TIMESTAMP_YEAR_MIN = 1
TIMESTAMP_YEAR_MAX = 9999
# duration_ms: digits, optionally a dot and digits. At most 308 digits before the dot, so that every
# duration is a finite float (309 digits can reach 1e308 and beyond; the README calls them a parse error).
DURATION_MAX_INT_DIGITS = 308
DURATION = rf"[0-9]{{1,{DURATION_MAX_INT_DIGITS}}}(?:\.[0-9]+)?"


def c_header() -> str:
    """The text of `execlog_tui/_scan_grammar.h` (a test checks the committed file is this)."""
    completed = sorted(COMPLETION_STATUSES - ERROR_STATUSES)
    errors = sorted(ERROR_STATUSES)

    def array(name: str, words: list[str]) -> str:
        return f"static const char *const {name}[] = {{" + ", ".join(f'"{w}"' for w in words) + ", NULL};\n"

    return (
        "/* Generated from execlog_tui/core/grammar.py (c_header): do not edit. */\n"
        "#ifndef EXECLOG_SCAN_GRAMMAR_H\n"
        "#define EXECLOG_SCAN_GRAMMAR_H\n"
        f"#define GRAMMAR_SEP '{FIELD_SEP}'\n"
        f"#define GRAMMAR_FRACTION_DIGITS {TIMESTAMP_FRACTION_DIGITS}\n"
        f"#define GRAMMAR_YEAR_MIN {TIMESTAMP_YEAR_MIN}\n"
        f"#define GRAMMAR_YEAR_MAX {TIMESTAMP_YEAR_MAX}\n"
        "/* Statuses of completed operations that are not errors, and the error statuses. */\n"
        + array("GRAMMAR_COMPLETED_STATUSES", completed)
        + array("GRAMMAR_ERROR_STATUSES", errors)
        + "#endif\n"
    )


if __name__ == "__main__":  # python -m execlog_tui.core.grammar > execlog_tui/_scan_grammar.h
    print(c_header(), end="")
