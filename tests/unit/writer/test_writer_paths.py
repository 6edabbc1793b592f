"""The seed's critical paths (SPEC section 10) as the writer produces them: `bootstrap()`, `lookup()`,
`learning()` and `run()`, read back with the real reader."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from execlog_tui.core.entry import Entry
from execlog_tui.core.parser import parse_line
from execlog_tui.writer import ExecutionLogger

T0 = 1757412060.0  # 2025-09-09T10:01:00Z


class ManualClock:
    """A scripted clock that moves only when the test says so (the logger's timer and timestamps)."""

    def __init__(self, start: float = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, ms: float) -> None:
        self.now += ms / 1000.0


def rows(path: Path) -> list[tuple[str, str, str, float, str, str]]:
    """(time of day, component, action, duration, status, details) of every line, through the reader."""
    out = []
    for line in path.read_text().splitlines():
        e = parse_line(line)
        assert isinstance(e, Entry), line
        out.append((line[11:23], e.component, e.action, e.duration_ms, e.status, e.details))
    return out


def logger(path: Path, clock: ManualClock, **kw: object) -> ExecutionLogger:
    return ExecutionLogger(path, compress=False, retention_days=None, clock=clock, **kw)  # type: ignore[arg-type]


def test_a_hit_writes_lookup_hit_complete(tmp_path: Path) -> None:
    path, clock = tmp_path / "execution.log", ManualClock()
    with logger(path, clock) as log, log.lookup("template_greeting") as op:
        clock.advance(1)
        op.hit(tier="L1")
        clock.advance(1)
    assert op.result == "hit" and op.state == "complete"
    assert rows(path) == [
        ("10:01:00.000", "CACHE", "LOOKUP", 0.0, "INFO", "Looking for template_greeting"),
        ("10:01:00.001", "CACHE", "HIT", 1.0, "SUCCESS", "L1 cache hit"),
        ("10:01:00.002", "CACHE", "COMPLETE", 2.0, "INFO", "Operation complete in 2ms (hit)"),
    ]


def test_a_miss_times_fetch_and_update_and_complete_carries_the_total(tmp_path: Path) -> None:
    path, clock = tmp_path / "execution.log", ManualClock()
    with logger(path, clock) as log, log.lookup("user_pref") as op:
        clock.advance(2)
        op.miss()
        clock.advance(1)  # not inside a step: FETCH is its body's time only
        with op.fetch():
            clock.advance(15)
        with op.update("Updated L1 and L2"):
            clock.advance(2)
    assert rows(path) == [
        ("10:01:00.000", "CACHE", "LOOKUP", 0.0, "INFO", "Looking for user_pref"),
        ("10:01:00.002", "CACHE", "MISS", 2.0, "INFO", "Cache miss all tiers"),
        ("10:01:00.018", "CACHE", "FETCH", 15.0, "SUCCESS", "Fetched from source"),
        ("10:01:00.020", "CACHE", "UPDATE", 2.0, "SUCCESS", "Updated L1 and L2"),
        ("10:01:00.020", "CACHE", "COMPLETE", 20.0, "INFO", "Operation complete in 20ms (miss)"),
    ]


def test_an_exception_in_a_step_writes_the_failure_at_that_stage_and_propagates(tmp_path: Path) -> None:
    path, clock = tmp_path / "execution.log", ManualClock()
    alerts: list[object] = []
    with logger(path, clock, alert_hook=alerts.append) as log:
        with pytest.raises(TimeoutError), log.lookup("user_pref") as op:
            op.miss()
            with op.fetch():
                clock.advance(5)
                raise TimeoutError("upstream")
        assert op.state == "failed" and op.stage == "MISS"
    got = rows(path)
    assert [r[2] for r in got] == ["LOOKUP", "MISS", "FAILURE"]  # no FETCH, no COMPLETE
    assert got[-1] == (
        "10:01:00.005",
        "CACHE",
        "FAILURE",
        5.0,
        "ERROR",
        "Cache operation failed during FETCH: TimeoutError: upstream",
    )
    assert [a.action for a in alerts] == ["FAILURE"]  # type: ignore[attr-defined]


def test_an_exception_between_checkpoints_names_the_last_one_reached(tmp_path: Path) -> None:
    path, clock = tmp_path / "execution.log", ManualClock()
    with logger(path, clock) as log, pytest.raises(KeyError), log.learning("git_workflow") as run:
        run.match(times=4)
        raise KeyError("model")
    assert rows(path)[-1][2:] == ("FAILURE", 0.0, "ERROR", "Learning failed after MATCH: KeyError: 'model'")


def test_a_step_exception_the_body_handles_writes_nothing_and_the_run_goes_on(tmp_path: Path) -> None:
    path, clock = tmp_path / "execution.log", ManualClock()
    with logger(path, clock) as log, log.lookup("k") as op:
        op.miss()
        try:
            with op.fetch():
                raise ConnectionError("down")
        except ConnectionError:
            pass  # served stale: the service's decision
        with op.update("stale copy refreshed"):
            clock.advance(1)
    assert [r[2] for r in rows(path)] == ["LOOKUP", "MISS", "UPDATE", "COMPLETE"]


def test_learning_writes_the_seeds_sequence(tmp_path: Path) -> None:
    path, clock = tmp_path / "execution.log", ManualClock(T0 + 60)
    with logger(path, clock) as log, log.learning("git_workflow") as run:
        clock.advance(5)
        run.match(times=4)
        with run.learn():
            clock.advance(10)
        with run.persist() as op:
            clock.advance(5)
            op.details = "Saved to long-term rows=3"
    assert rows(path) == [
        ("10:02:00.000", "MEMORY", "DETECT", 0.0, "INFO", "Pattern: git_workflow"),
        ("10:02:00.005", "MEMORY", "MATCH", 5.0, "SUCCESS", "Pattern matched 4 times"),
        ("10:02:00.015", "MEMORY", "LEARN", 10.0, "SUCCESS", "Pattern learned"),
        ("10:02:00.020", "MEMORY", "PERSIST", 5.0, "SUCCESS", "Saved to long-term rows=3"),
        ("10:02:00.020", "MEMORY", "COMPLETE", 20.0, "INFO", "Learning complete in 20ms"),
    ]


def test_an_explicit_failure_ends_the_run_and_later_checkpoints_are_refused(tmp_path: Path) -> None:
    path, clock = tmp_path / "execution.log", ManualClock()
    with logger(path, clock) as log:
        with log.lookup("k") as op:
            op.miss()
            clock.advance(3)
            assert op.fail("source returned nothing") == 3.0
            with pytest.raises(RuntimeError, match="already ended"):
                op.hit()
        with pytest.raises(RuntimeError, match="already ended"):
            op.complete()
    assert [r[2:5] for r in rows(path)] == [
        ("LOOKUP", 0.0, "INFO"),
        ("MISS", 0.0, "INFO"),
        ("FAILURE", 3.0, "ERROR"),  # and no COMPLETE from leaving the `with`
    ]
    assert rows(path)[-1][5] == "Cache operation failed after MISS: source returned nothing"


def test_a_run_failed_inside_a_step_writes_no_step_line_after_it(tmp_path: Path) -> None:
    path, clock = tmp_path / "execution.log", ManualClock()
    with logger(path, clock) as log, log.lookup("k") as op:
        op.miss()
        with op.fetch():
            clock.advance(4)
            op.fail("source answered 404")
    assert [r[2] for r in rows(path)] == ["LOOKUP", "MISS", "FAILURE"]
    assert rows(path)[-1][5] == "Cache operation failed during FETCH: source answered 404"


def test_a_bootstrap_left_open_writes_no_complete(tmp_path: Path) -> None:
    """A start that hangs (the demo's, or a real one that never returns): START, CORE, PARALLEL, and
    nothing else from BOOTSTRAP, even when the logger closes: the monitor's stuck alert sees it."""
    path, clock = tmp_path / "execution.log", ManualClock()
    with logger(path, clock) as log:
        boot = log.bootstrap()
        clock.advance(48)
        boot.core()
        clock.advance(90)
        boot.parallel("6 threads completed")
        assert boot.state == "running" and boot.stage == "PARALLEL"
        clock.advance(31_000)
        with log.bootstrap() as again:  # the next START supersedes it
            again.core()
    assert [r[2] for r in rows(path)] == ["START", "CORE", "PARALLEL", "START", "CORE", "COMPLETE"]


def test_a_run_of_a_configured_path_of_ones_own(tmp_path: Path) -> None:
    path, clock = tmp_path / "execution.log", ManualClock()
    with logger(path, clock) as log, log.run("payment", "AUTHORIZE", "order=42", last="SETTLED") as run:
        clock.advance(7)
        run.checkpoint("CAPTURE", "card ok")
        with run.step("NOTIFY", status="DEGRADED"):
            clock.advance(2)
    assert [r[1:5] for r in rows(path)] == [
        ("PAYMENT", "AUTHORIZE", 0.0, "INFO"),
        ("PAYMENT", "CAPTURE", 7.0, "SUCCESS"),
        ("PAYMENT", "NOTIFY", 2.0, "DEGRADED"),
        ("PAYMENT", "SETTLED", 9.0, "INFO"),  # a total, not one more completed operation
    ]


def test_bad_tokens_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    path, clock = tmp_path / "execution.log", ManualClock()
    with logger(path, clock) as log:
        with pytest.raises(ValueError, match="component"):
            log.run("MY COMP")
        with log.lookup("k") as op, pytest.raises(ValueError, match="action"):
            op.checkpoint("A|B")
    assert [r[2] for r in rows(path)] == ["LOOKUP", "COMPLETE"]


def test_lookups_in_threads_are_whole_lines_in_order_per_thread(tmp_path: Path) -> None:
    path = tmp_path / "execution.log"
    with ExecutionLogger(path, compress=False, retention_days=None) as log:

        def work(n: int) -> None:
            for i in range(200):
                with log.lookup(f"t{n}-k{i}") as op:
                    if i % 2:
                        op.hit()
                    else:
                        op.miss()
                        with op.fetch():
                            pass

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    got = rows(path)
    assert len(got) == 4 * 200 * 3 + 4 * 100  # LOOKUP, HIT or MISS, COMPLETE, plus FETCH on a miss
    assert sum(1 for r in got if r[2] == "COMPLETE") == 800


def _engine(path: Path):  # type: ignore[no-untyped-def]
    from execlog_tui.core.engine import MetricsEngine

    e = MetricsEngine(None, wall_ms=int((T0 + 86400) * 1000))
    e.feed_lines(path.read_text().splitlines())
    return e


def test_the_monitor_reads_the_written_runs_as_sec10_says(tmp_path: Path) -> None:
    """What the writer writes is what the engine follows: complete, failed at its stage, counted hits and
    misses, VALIDATE under VALIDATION, and a start left hanging alerts stuck:bootstrap until the next START."""
    path, clock = tmp_path / "execution.log", ManualClock()
    with logger(path, clock) as log:
        boot = log.bootstrap()  # hangs after PARALLEL
        clock.advance(48)
        boot.core()
        clock.advance(90)
        boot.parallel()
        clock.advance(40_000)
        with log.bootstrap() as again:  # 10:01:40.138: supersedes the hung one
            clock.advance(10)
            again.core()
            clock.advance(10)
            again.validate()
        with log.lookup("a") as op:
            op.hit()
        with log.lookup("b") as op:
            op.miss()
            with op.fetch():
                clock.advance(15)
            with op.update():
                clock.advance(2)
        with log.learning("git_workflow") as run:
            run.match(times=4)
            with run.learn():
                clock.advance(10)
        with pytest.raises(TimeoutError), log.lookup("c") as op:
            op.miss()
            with op.fetch():
                clock.advance(5)
                raise TimeoutError
    snap = _engine(path).snapshot()
    paths = snap.critical_paths
    b = paths["bootstrap"]
    assert b.latest is not None and (b.latest.state, b.latest.elapsed_ms) == ("complete", 20)
    assert [r.checkpoint for r in b.latest.reached] == ["START", "CORE", "VALIDATION", "COMPLETE"]
    stuck = [a for a in snap.alerts if a.name == "stuck:bootstrap"]
    assert len(stuck) == 1 and stuck[0].resolved is not None  # fired 30 s after the hung START, ended by the next
    assert stuck[0].resolved - stuck[0].fired < 10_000
    hm = next(r for r in paths["cache_operations"].stages["1h"] if r.checkpoint == "HIT_MISS")
    assert (hm.hits, hm.misses) == (1, 2)
    c = paths["cache_operations"].latest
    assert c is not None and (c.state, c.stage) == ("failed", "HIT_MISS")  # the FAILURE came during FETCH
    m = paths["memory_learning"].latest
    assert m is not None and (m.state, m.stage) == ("complete", "COMPLETE")
    assert snap.bootstrap_ms == 20
