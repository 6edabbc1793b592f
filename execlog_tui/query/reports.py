"""The seed's five analysis queries, each defined by what it means (SPEC section 4), in portable SQL."""

from __future__ import annotations

from dataclasses import dataclass

# SPEC 4, spelled out once so every report uses the same words. Plain SQL: CASE, IN, NULLIF, ROLLUP,
# window sums (DuckDB, PostgreSQL, Spark SQL, Trino all run it).
ERROR = "status IN ('FAILURE', 'TIMEOUT', 'ERROR', 'CRITICAL')"
COMPLETED = (
    "(status IN ('SUCCESS', 'FAILURE', 'DEGRADED', 'TIMEOUT', 'RETRY', 'SKIPPED', 'ERROR', 'CRITICAL') "
    "AND component <> 'BOOTSTRAP')"
)


@dataclass(frozen=True, slots=True)
class Report:
    name: str
    title: str
    description: str  # what the figures mean (README and the query screen)
    sql: str


PERFORMANCE = Report(
    "performance",
    "Average duration per component",
    "Per component: entries, mean and max duration over all its entries (the dashboard's component "
    "table), and the mean over its completed operations (SPEC 4), slowest mean first. The seed's query "
    "looked at BOOTSTRAP only; every component is shown.",
    f"""
SELECT component,
       count(*) AS entries,
       avg(duration_ms) AS avg_ms,
       max(duration_ms) AS max_ms,
       sum(CASE WHEN {COMPLETED} THEN 1 ELSE 0 END) AS completed,
       avg(CASE WHEN {COMPLETED} THEN duration_ms END) AS completed_avg_ms
FROM entries
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
    # One scan: ROLLUP gives the per-component groups and the grand total (GROUPING(component) = 1) in
    # the same pass (standard SQL: PostgreSQL, Spark SQL, Trino and BigQuery run it too).
    f"""
WITH rows AS (
    SELECT GROUPING(component) AS whole, component, count(*) AS entries,
           sum(CASE WHEN {ERROR} THEN 1 ELSE 0 END) AS errors
    FROM entries
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
    """
SELECT sum(CASE WHEN action = 'HIT' THEN 1 ELSE 0 END) AS hits,
       sum(CASE WHEN action = 'MISS' THEN 1 ELSE 0 END) AS misses,
       100.0 * sum(CASE WHEN action = 'HIT' THEN 1 ELSE 0 END)
             / NULLIF(sum(CASE WHEN action IN ('HIT', 'MISS') THEN 1 ELSE 0 END), 0) AS hit_rate,
       count(*) AS cache_entries,
       100.0 * sum(CASE WHEN action = 'HIT' THEN 1 ELSE 0 END) / NULLIF(count(*), 0) AS seed_formula_rate
FROM entries
WHERE component = 'CACHE'
""",
)

USER_PATTERNS = Report(
    "user_patterns",
    "FAMILY entries per user",
    "FAMILY entries grouped by the value of the user= key in their details, or by the whole details "
    "when there is none (as the seed's GROUP BY details did): entries, errors, mean duration, first and "
    "last seen, busiest first.",
    f"""
WITH fam AS (
    SELECT *, NULLIF(regexp_extract(details, '(^|[^A-Za-z0-9_])user=([^ \\t]+)', 2), '') AS user_key
    FROM entries WHERE component = 'FAMILY'
)
SELECT coalesce(user_key, details) AS "user",
       user_key IS NOT NULL AS by_key,
       count(*) AS entries,
       sum(CASE WHEN {ERROR} THEN 1 ELSE 0 END) AS errors,
       avg(duration_ms) AS avg_ms,
       min(ts) AS first_seen,
       max(ts) AS last_seen
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

REPORTS: dict[str, Report] = {
    r.name: r for r in (PERFORMANCE, ERROR_RATE, CACHE_EFFICIENCY, USER_PATTERNS, BOTTLENECKS)
}
