"""The seed's five analysis queries, each defined by what it means (SPEC section 4), in portable SQL, and
the critical paths' stages (SPEC section 10), whose SQL follows the configured paths."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from execlog_tui.core.config import CHECKPOINT_ACTIONS, HIT_MISS, Config, CriticalPath
from execlog_tui.core.entry import COMPLETION_STATUSES, ERROR_STATUSES, NOT_AN_OPERATION


def sql_literal(text: str) -> str:
    """`text` as an SQL string literal (standard SQL: a quote is doubled, a backslash is a backslash)."""
    return "'" + text.replace("'", "''") + "'"


# SPEC 4's rules (core/entry.py, the engine's), spelled in SQL once so every report uses the same words.
# Plain SQL: CASE, IN, NULLIF, ROLLUP, window sums (DuckDB, PostgreSQL, Spark SQL, Trino all run it).
ERROR = f"status IN ({', '.join(sql_literal(s) for s in sorted(ERROR_STATUSES))})"
COMPLETED = (
    f"(status IN ({', '.join(sql_literal(s) for s in sorted(COMPLETION_STATUSES))}) "
    f"AND component <> {sql_literal(NOT_AN_OPERATION)})"
)


@dataclass(frozen=True, slots=True)
class Report:
    name: str
    title: str
    description: str  # what the figures mean (README and the query screen)
    sql: str  # with the default configuration
    # A report whose SQL depends on the configuration (critical_paths): its SQL for a given one.
    build: Callable[[Config], str] | None = None

    def sql_for(self, config: Config | None) -> str:
        """The SQL to run under `config` (None: the defaults)."""
        if self.build is None or config is None:
            return self.sql
        return self.build(config)


PERFORMANCE = Report(
    "performance",
    "Average duration per component",
    "Per component: entries, mean and max duration over all its entries (the dashboard's component "
    "table), and the mean over its completed operations (SPEC 4), slowest mean first. The seed's query "
    "looked at BOOTSTRAP only; every component is shown.",
    # Two steps: per component and status first (the status test then runs on a few dozen groups, not on
    # every entry: 0.41 s to 0.29 s over the 10.9 M entries of the bench set), then per component.
    f"""
WITH by_status AS (
    SELECT component, status, count(*) AS n, sum(duration_ms) AS total, max(duration_ms) AS longest
    FROM entries
    GROUP BY component, status
)
SELECT component,
       CAST(sum(n) AS BIGINT) AS entries,
       sum(total) / sum(n) AS avg_ms,
       max(longest) AS max_ms,
       sum(CASE WHEN {COMPLETED} THEN n ELSE 0 END) AS completed,
       sum(CASE WHEN {COMPLETED} THEN total END) / sum(CASE WHEN {COMPLETED} THEN n END) AS completed_avg_ms
FROM by_status
GROUP BY component
ORDER BY avg_ms DESC, component
""",
)

ERROR_RATE = Report(
    "error_rate",
    "Error rate, overall and per component",
    "Errors are entries with status FAILURE, TIMEOUT, ERROR or CRITICAL (SPEC 4; the seed counted "
    "FAILURE only); error_rate = 100 x errors / entries. The first row (component '*') is the whole scope, "
    "then components by error rate.",
    # One scan, per component and status (the status test on the groups, not on every entry); ROLLUP then
    # gives the per-component groups and the grand total (GROUPING(component) = 1) in the same pass
    # (standard SQL: PostgreSQL, Spark SQL, Trino and BigQuery run it too).
    f"""
WITH by_status AS (
    SELECT component, status, count(*) AS n
    FROM entries
    GROUP BY component, status
), rows AS (
    SELECT GROUPING(component) AS whole, component, CAST(sum(n) AS BIGINT) AS entries,
           sum(CASE WHEN {ERROR} THEN n ELSE 0 END) AS errors
    FROM by_status
    GROUP BY ROLLUP (component)
)
SELECT CASE WHEN whole = 1 THEN '*' ELSE component END AS component, entries, errors,
       100.0 * errors / NULLIF(entries, 0) AS error_rate
FROM rows
WHERE whole = 0 OR entries > 0
ORDER BY whole DESC, error_rate DESC, component
""",
)

CACHE_EFFICIENCY = Report(
    "cache_efficiency",
    "Cache hit rate",
    "hit_rate = 100 x CACHE/HIT / (CACHE/HIT + CACHE/MISS) (SPEC 4), null without lookups. "
    "seed_formula_rate is the seed's HIT / all CACHE entries, shown for comparison: it is wrong, because "
    "a single lookup also logs LOOKUP (and, on a miss, FETCH and UPDATE) entries, which it counts as misses.",
    # Per component and action first, the component test then on those groups: comparing every entry's
    # component with 'CACHE' took longer than grouping them (0.46 s to 0.37 s over the bench set).
    """
WITH by_action AS (
    SELECT component, action, count(*) AS n
    FROM entries
    GROUP BY component, action
), lookups AS (
    SELECT action, n FROM by_action WHERE component = 'CACHE'
)
SELECT sum(CASE WHEN action = 'HIT' THEN n ELSE 0 END) AS hits,
       sum(CASE WHEN action = 'MISS' THEN n ELSE 0 END) AS misses,
       100.0 * sum(CASE WHEN action = 'HIT' THEN n ELSE 0 END)
             / NULLIF(sum(CASE WHEN action IN ('HIT', 'MISS') THEN n ELSE 0 END), 0) AS hit_rate,
       CAST(coalesce(sum(n), 0) AS BIGINT) AS cache_entries,
       100.0 * sum(CASE WHEN action = 'HIT' THEN n ELSE 0 END) / NULLIF(sum(n), 0) AS seed_formula_rate
FROM lookups
""",
)

USER_PATTERNS = Report(
    "user_patterns",
    "FAMILY entries per user",
    "FAMILY entries grouped by the value of the user= key in their details, or by the whole details "
    "when there is none (as the seed's GROUP BY details did): entries, errors, mean duration, first and "
    "last seen, busiest first.",
    # Per distinct details first: the regular expression then runs once a distinct text, not once an entry.
    f"""
WITH by_details AS (
    SELECT details, count(*) AS n, sum(CASE WHEN {ERROR} THEN 1 ELSE 0 END) AS errors,
           sum(duration_ms) AS total, min(ts) AS first_seen, max(ts) AS last_seen
    FROM entries WHERE component = 'FAMILY'
    GROUP BY details
), fam AS (
    SELECT *, NULLIF(regexp_extract(details, '(^|[^A-Za-z0-9_])user=([^ \\t]+)', 2), '') AS user_key
    FROM by_details
)
SELECT coalesce(user_key, details) AS "user",
       user_key IS NOT NULL AS by_key,
       CAST(sum(n) AS BIGINT) AS entries,
       sum(errors) AS errors,
       sum(total) / sum(n) AS avg_ms,
       min(first_seen) AS first_seen,
       max(last_seen) AS last_seen
FROM fam
GROUP BY 1, 2
ORDER BY entries DESC, "user"
""",
)

BOTTLENECKS = Report(
    "bottlenecks",
    "Slowest components",
    "Per component: the largest duration and the 95th percentile (nearest rank, over all its entries), "
    "slowest p95 first.",
    # Nearest rank without holding every duration: a histogram of (component, duration) pairs (a log has
    # few distinct durations per component, and a hash aggregate can spill to disk when it has many),
    # then p95 = the smallest duration whose running count reaches 95 % of the component's entries
    # (100 x running >= 95 x n is rank ceil(0.95 n), in exact integer arithmetic). percentile_disc held
    # all 10.9 M durations of the 7 x 100 MB set in memory and ran out of it.
    """
WITH hist AS (
    SELECT component, duration_ms, count(*) AS c
    FROM entries
    GROUP BY component, duration_ms
), cum AS (
    SELECT component, duration_ms, c,
           sum(c) OVER (PARTITION BY component ORDER BY duration_ms ROWS UNBOUNDED PRECEDING) AS running,
           sum(c) OVER (PARTITION BY component) AS n
    FROM hist
)
SELECT component,
       CAST(sum(c) AS BIGINT) AS entries,
       max(duration_ms) AS max_ms,
       min(CASE WHEN 100 * running >= 95 * n THEN duration_ms END) AS p95_ms
FROM cum
GROUP BY component
ORDER BY p95_ms DESC, max_ms DESC, component
""",
)

# SPEC 10: the checkpoint whose row also counts hits and misses (the engine's rule: its name, any case).
_HIT, _MISS = CHECKPOINT_ACTIONS[HIT_MISS]

_NO_CHECKPOINTS = (
    "SELECT CAST(NULL AS VARCHAR) AS path, 0 AS path_no, CAST(NULL AS VARCHAR) AS component, "
    "CAST(NULL AS VARCHAR) AS checkpoint, 0 AS checkpoint_no, false AS hit_miss WHERE false"
)
_NO_ACTIONS = (
    "SELECT 0 AS path_no, 0 AS checkpoint_no, CAST(NULL AS VARCHAR) AS component, "
    "CAST(NULL AS VARCHAR) AS action WHERE false"
)


def critical_paths_sql(paths: tuple[CriticalPath, ...]) -> str:
    """The stages of `paths` (SPEC 10) over `entries`: one row per path and checkpoint, in the configured order.

    The paths are two small VALUES tables (their names are SQL literals, never SQL): one row per checkpoint
    (what is reported, zero-entry checkpoints included) and one per action a checkpoint matches (what is
    joined to the entries: HIT_MISS is HIT and MISS, VALIDATION also VALIDATE). p95 is nearest rank from
    per-duration counts, as in bottlenecks.
    """
    lit = sql_literal
    checkpoints: list[str] = []
    actions: list[str] = []
    for i, path in enumerate(paths, 1):
        for j, cp in enumerate(path.checkpoints, 1):
            hit_miss = "true" if cp.name.upper() == HIT_MISS else "false"
            checkpoints.append(f"({lit(path.name)}, {i}, {lit(path.component)}, {lit(cp.name)}, {j}, {hit_miss})")
            actions += [f"({i}, {j}, {lit(path.component)}, {lit(a)})" for a in cp.actions]
    # The paths' components, filtered and grouped by (component, action, duration, status) before the
    # join: the join sees a few thousand groups, not every entry (0.46 s to 0.33 s on the 7 x 100 MB bench
    # set), and the status test runs on the groups (0.29 s to 0.25 s).
    components = sorted({p.component for p in paths if p.checkpoints})
    only = f"WHERE e.component IN ({', '.join(lit(c) for c in components)})" if components else ""
    cps = "VALUES " + ",\n           ".join(checkpoints) if checkpoints else _NO_CHECKPOINTS
    acts = "VALUES " + ",\n           ".join(actions) if actions else _NO_ACTIONS
    return f"""
WITH checkpoints(path, path_no, component, checkpoint, checkpoint_no, hit_miss) AS (
    {cps}
), actions(path_no, checkpoint_no, component, action) AS (
    {acts}
), by_status AS (
    SELECT e.component, e.action, e.duration_ms, e.status, count(*) AS c
    FROM entries AS e
    {only}
    GROUP BY e.component, e.action, e.duration_ms, e.status
), grouped AS (
    SELECT component, action, duration_ms, sum(c) AS c, sum(CASE WHEN {ERROR} THEN c ELSE 0 END) AS errors
    FROM by_status
    GROUP BY component, action, duration_ms
), hist AS (
    SELECT a.path_no, a.checkpoint_no, g.duration_ms, CAST(sum(g.c) AS BIGINT) AS c, sum(g.errors) AS errors,
           sum(CASE WHEN g.action = {lit(_HIT)} THEN g.c ELSE 0 END) AS hits,
           sum(CASE WHEN g.action = {lit(_MISS)} THEN g.c ELSE 0 END) AS misses
    FROM grouped AS g
    JOIN actions AS a ON g.component = a.component AND g.action = a.action
    GROUP BY a.path_no, a.checkpoint_no, g.duration_ms
), cum AS (
    SELECT *,
           sum(c) OVER (PARTITION BY path_no, checkpoint_no ORDER BY duration_ms ROWS UNBOUNDED PRECEDING)
               AS running,
           sum(c) OVER (PARTITION BY path_no, checkpoint_no) AS n
    FROM hist
), figures AS (
    SELECT path_no, checkpoint_no, sum(c) AS entries, sum(errors) AS errors,
           sum(duration_ms * c) / sum(c) AS avg_ms,
           min(CASE WHEN 100 * running >= 95 * n THEN duration_ms END) AS p95_ms,
           sum(hits) AS hits, sum(misses) AS misses
    FROM cum
    GROUP BY path_no, checkpoint_no
)
SELECT k.path, k.checkpoint,
       CAST(coalesce(f.entries, 0) AS BIGINT) AS entries,
       CAST(coalesce(f.errors, 0) AS BIGINT) AS errors,
       f.avg_ms, f.p95_ms,
       CASE WHEN k.hit_miss THEN CAST(coalesce(f.hits, 0) AS BIGINT) END AS hits,
       CASE WHEN k.hit_miss THEN CAST(coalesce(f.misses, 0) AS BIGINT) END AS misses
FROM checkpoints AS k
LEFT JOIN figures AS f ON f.path_no = k.path_no AND f.checkpoint_no = k.checkpoint_no
ORDER BY k.path_no, k.checkpoint_no
"""


def _critical_paths_for(config: Config) -> str:
    return critical_paths_sql(config.critical_paths)


CRITICAL_PATHS = Report(
    "critical_paths",
    "Critical path stages",
    "Per configured path (CRITICAL_PATHS) and checkpoint, in order, over the entries of the path's component "
    "whose action is the checkpoint's (HIT_MISS: HIT, MISS; VALIDATION: also VALIDATE), any status (SPEC 10): "
    "entries, errors, mean and p95 duration (null without entries); hits and misses on HIT_MISS.",
    _critical_paths_for(Config()),
    _critical_paths_for,
)

REPORTS: dict[str, Report] = {
    r.name: r for r in (PERFORMANCE, ERROR_RATE, CACHE_EFFICIENCY, USER_PATTERNS, BOTTLENECKS, CRITICAL_PATHS)
}
