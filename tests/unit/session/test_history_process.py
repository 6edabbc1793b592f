"""The dashboard's history read in a child process (execlog_tui.history): the same figures, ring,
origins, notices and counts as reading it in the session's own process, on random rotated sets with
and without the cache; a child that dies part way or a session stopped meanwhile. Each with a child
spawned from the session's thread and with one forked as the session starts (the dashboard's): those
run in a fresh interpreter (`in_one_thread`), where the session's process has one thread, as the
dashboard's has when it starts its session."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from execlog_tui.cache.plans import CacheOptions
from execlog_tui.core.config import Config
from execlog_tui.core.snapshot import snapshot_to_json
from execlog_tui.session import MonitorSession
from tests.unit.cache.test_cache_agreement import CONFIGS, write_rotated
from tests.unit.replay.test_replay_property import logs

WALL = 1_757_500_000_000  # after every generated line: none is from the future


ROOT = Path(__file__).resolve().parents[3]
WHERE: dict[str, Any] = {}  # observe's last session: whether its history was read in a child, and how


def in_one_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)` (a function of this module) called in a fresh interpreter, its result back by pickle.
    There the session's process has one thread, as the dashboard's has when it starts its session, so a
    session asked to fork its history's child does (under pytest another test's thread could stop it)."""
    code = (
        "import pickle, sys\n"
        "import tests.unit.session.test_history_process as m\n"
        "out = getattr(m, sys.argv[1])(*pickle.loads(sys.stdin.buffer.read()))\n"
        "sys.stdout.buffer.write(pickle.dumps(out))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [sys.executable, "-c", code, fn.__name__],
        input=pickle.dumps(args),
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=180,
        check=False,
    )
    assert r.returncode == 0, r.stderr.decode(errors="replace")[-3000:]
    return pickle.loads(r.stdout)


def run(fn: Callable[..., None], tmp_path: Path, fork: bool) -> None:
    """A check with a spawned child (here) or a forked one (in a fresh interpreter)."""
    if fork:
        in_one_thread(fn, tmp_path, True)
    else:
        fn(tmp_path, False)


def session(d: Path, fork: bool, **kw: Any) -> MonitorSession:
    """A session whose history is read in a child: forked as it starts, or spawned."""
    return MonitorSession([str(d)], history_process=True, fork_history=fork, wall_clock=lambda: WALL, **kw)


def check_method(s: MonitorSession, fork: bool) -> None:
    """A forked child is started by `start`; a spawned one by the session's thread, soon after."""
    if not fork:
        wait_for(lambda: s.history_method is not None, "the session's thread to start its child")
    assert s.history_method == ("fork" if fork else "spawn"), (s.history_method, threading.enumerate())


def observe(
    d: Path,
    config: Config,
    *,
    child: bool,
    cache: CacheOptions | None,
    capacity: int = 300,
    fork: bool = False,
) -> dict[str, Any]:
    s = MonitorSession(
        [str(d)],
        config,
        ring_capacity=capacity,
        cache=cache,
        history_process=child,
        fork_history=fork,
        wall_clock=lambda: WALL,
    )
    s.start()
    try:
        assert s.wait_history(60), s.error
        WHERE["child"] = s.history_in_child
        WHERE["method"] = s.history_method
        ring = s.ring
        n = len(ring)
        return {
            "figures": snapshot_to_json(s.snapshot()),
            "as_of_last": snapshot_to_json(s.snapshot(as_of_last_entry=True)),
            "ring": [(item.raw, type(item).__name__) for item in s.ring_view()],
            "origins": ring.origins_newest(n),
            "newest": [(str(m.path), ts) for m, ts in s.history_newest],
            "events": s.events,
            "unread": s.unread,
            "line_counts": dict(s._line_counts),
            "files": list(s.engine.files),
            "warnings": list(s.engine.warnings),
            "error": s.error,
        }
    finally:
        s.stop()


# A random rotated set: its lines, where they are cut into archives, the configuration, with a cache or not.
RANDOM_SETS = {
    "lines": logs(),
    "cuts": st.lists(st.integers(0, 400), min_size=1, max_size=3),
    "config": st.sampled_from(sorted(CONFIGS)),
    "cached": st.booleans(),
}


def random_set(tmp: Path, lines: list[str], cuts: list[int], cached: bool) -> tuple[Path, CacheOptions]:
    """The generated lines as a rotated set (with lines that are no entry when there are many), and the
    cache to read it with."""
    d = tmp / "logs"
    d.mkdir()
    write_rotated(d, lines, cuts)
    if len(lines) > 40:
        with (d / "execution.log").open("a") as f:
            f.write("garbage that is no entry\n\n2025-09-09T99:00:00Z|X|Y|1|OK|bad time\n")
    return d, CacheOptions(directory=str(tmp / "cache")) if cached else CacheOptions(enabled=False)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**RANDOM_SETS)
def test_the_child_reads_what_the_session_reads(lines: list[str], cuts: list[int], config: str, cached: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d, cache = random_set(Path(tmp), lines, cuts, cached)
        here = observe(d, CONFIGS[config], child=False, cache=CacheOptions(enabled=False))
        assert observe(d, CONFIGS[config], child=True, cache=cache) == here
        assert WHERE["child"]
        if cached:
            # Warm: nearly all of it kept, so read in the session's process, from the kept states.
            assert observe(d, CONFIGS[config], child=True, cache=cache) == here
            assert not WHERE["child"] or not (d / "execution.log").stat().st_size


def observe_forked(d: Path, config: Config, cache: CacheOptions, times: int) -> list[tuple[dict[str, Any], Any]]:
    out = []
    for _ in range(times):
        seen = observe(d, config, child=True, cache=cache, fork=True)
        out.append((seen, WHERE["method"]))
    return out


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**RANDOM_SETS)
def test_a_forked_child_reads_what_the_session_reads(
    lines: list[str], cuts: list[int], config: str, cached: bool
) -> None:
    """Cold and warm: a forked child is worth it even for a history nearly all kept (no interpreter to
    start), so both runs are read in one."""
    with tempfile.TemporaryDirectory() as tmp:
        d, cache = random_set(Path(tmp), lines, cuts, cached)
        here = observe(d, CONFIGS[config], child=False, cache=CacheOptions(enabled=False))
        assert in_one_thread(observe_forked, d, CONFIGS[config], cache, 2) == [(here, "fork")] * 2


def test_a_session_started_beside_another_thread_spawns_its_child(tmp_path: Path) -> None:
    """A fork copies the locks other threads hold: with another thread running, the child is spawned."""
    write_rotated(tmp_path, [f"2025-09-09T10:00:{i:02d}Z|API|CALL|{i}|SUCCESS|n={i}" for i in range(30)], [10])
    release = threading.Event()
    other = threading.Thread(target=release.wait, daemon=True)
    other.start()
    try:
        s = session(tmp_path, True, cache=CacheOptions(enabled=False))
        s.start()
        try:
            assert s.wait_history(60), s.error
            check_method(s, fork=False)
            assert s.engine.entries == 30
        finally:
            s.stop()
    finally:
        release.set()
        other.join()


def check_a_stream_s_reader_thread_stops_the_fork(tmp_path: Path, fork: bool) -> None:
    """A stream (a FIFO) among the sources gets a reader thread while the history is prepared: the child
    is then spawned, not forked beside that thread, and reads the same."""
    d = tmp_path / "logs"
    d.mkdir()
    write_rotated(d, [f"2025-09-09T10:00:{i:02d}Z|API|CALL|{i}|SUCCESS|n={i}" for i in range(30)], [10])
    fifo = tmp_path / "stream"
    os.mkfifo(fifo)
    s = MonitorSession(
        [str(d), str(fifo)], history_process=True, fork_history=fork, wall_clock=lambda: WALL, cache=None
    )
    s.start()
    try:
        assert s.wait_history(60), s.error
        assert s.history_method == "spawn", threading.enumerate()
        assert s.engine.entries == 30
    finally:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # the reader, blocked opening it, goes on
        os.close(fd)
        s.stop()


def test_a_stream_s_reader_thread_stops_the_fork(tmp_path: Path) -> None:
    in_one_thread(check_a_stream_s_reader_thread_stops_the_fork, tmp_path, True)


def check_a_failure_preparing_the_history_is_the_session_s_error(tmp_path: Path, fork: bool) -> None:
    """What the session meets preparing a forked child's history is reported as its thread reports it
    (the screen's one-line error), not raised from `start` into the dashboard's start."""
    s = session(tmp_path, fork)

    def fails() -> None:
        raise OSError("the disk is gone")

    s._prepare_history = fails  # type: ignore[method-assign,assignment]
    s.start()
    try:
        assert s._thread is not None
        wait_for(lambda: s.error is not None, "the error")
        assert s.error == "OSError: the disk is gone"
        assert any(e == "error: OSError: the disk is gone" for e in s.events)
    finally:
        s.stop()


@pytest.mark.parametrize("fork", [False, True])
def test_a_failure_preparing_the_history_is_the_session_s_error(tmp_path: Path, fork: bool) -> None:
    run(check_a_failure_preparing_the_history_is_the_session_s_error, tmp_path, fork)


def big_lines(count: int, start: int = 1_757_400_000_000) -> list[str]:
    out = []
    for i in range(count):
        s, ms = divmod(start + i * 5, 1000)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + f".{ms:03d}Z"
        status = "FAILURE" if i % 50 == 0 else "SUCCESS"
        out.append(f"{stamp}|API|CALL|{i % 97}|{status}|request {i} {'x' * 40}")
    return out


def big_set(d: Path, lines: int = 400_000) -> None:
    """A set large enough that reading it takes a while (a live file of ~36 MB)."""
    write_rotated(d, big_lines(lines), [0])


def wait_for(predicate: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def history_children() -> list[Any]:
    return [p for p in multiprocessing.active_children() if p.name == "execlog-history"]


def check_a_child_that_dies_part_way_leaves_the_history_to_this_process(tmp_path: Path, fork: bool) -> None:
    big_set(tmp_path)
    reference = observe(tmp_path, Config(), child=False, cache=None, capacity=1000)
    s = session(tmp_path, fork, ring_capacity=1000)
    s.start()
    try:
        check_method(s, fork)
        # Killed once the panels show part of its reading (a state taken over): none of it may stay.
        wait_for(lambda: history_children() and s.engine.entries > 0, "the child's first state")
        (child,) = history_children()
        os.kill(child.pid, signal.SIGKILL)
        assert s.wait_history(60), s.error
        assert s.engine.entries == 400_000
        assert any(
            e.startswith("history read in the dashboard's own process: its child process ended") for e in s.events
        )
        ring = s.ring
        n = len(ring)
        assert snapshot_to_json(s.snapshot()) == reference["figures"]
        assert [(item.raw, type(item).__name__) for item in s.ring_view()] == reference["ring"]
        assert ring.origins_newest(n) == reference["origins"]
    finally:
        s.stop()
    assert not history_children()


@pytest.mark.parametrize("fork", [False, True])
def test_a_child_that_dies_part_way_leaves_the_history_to_this_process(tmp_path: Path, fork: bool) -> None:
    run(check_a_child_that_dies_part_way_leaves_the_history_to_this_process, tmp_path, fork)


def children_of(pid: int) -> set[int]:
    out = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if f"\nPPid:\t{pid}\n" in text:
            out.add(int(status.parent.name))
    return out


def alive(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in text


def check_stopping_the_session_stops_its_child_and_the_cache_workers(tmp_path: Path, fork: bool) -> None:
    logs_dir = tmp_path / "logs"
    logs_dir.mkdir()
    write_rotated(logs_dir, big_lines(600_000), [150_000, 300_000, 450_000])  # three archives and the live file
    cache = CacheOptions(directory=str(tmp_path / "cache"), jobs=2)
    s = session(logs_dir, fork, ring_capacity=1000, cache=cache)
    s.start()
    check_method(s, fork)
    wait_for(lambda: bool(history_children()), "the child")
    (child,) = history_children()
    wait_for(lambda: len(children_of(child.pid)) >= 2, "the child's cache workers")
    grandchildren = children_of(child.pid)
    s.stop()
    wait_for(lambda: not history_children(), "the child to end", timeout=15.0)
    wait_for(lambda: not any(alive(p) for p in grandchildren), "the cache workers to end", timeout=15.0)
    assert s._thread is not None
    wait_for(lambda: not s._thread.is_alive(), "the session's thread to end", timeout=15.0)
    assert not s.history_done
    assert s.engine.entries == 0  # nothing of a child that did not finish is taken over


@pytest.mark.parametrize("fork", [False, True])
def test_stopping_the_session_stops_its_child_and_the_cache_workers(tmp_path: Path, fork: bool) -> None:
    run(check_stopping_the_session_stops_its_child_and_the_cache_workers, tmp_path, fork)


def test_damaged_empty_and_future_members_read_the_same_in_the_child(tmp_path: Path) -> None:
    """Warnings (a truncated archive, an empty one), an entry from the future, a parse error and a long
    line come back from the child as the session's own reading gives them."""
    import gzip

    d = tmp_path / "logs"
    d.mkdir()

    def line(s: int, extra: str = "") -> str:
        return f"2025-09-09T10:00:{s:02d}Z|API|CALL|{s}|SUCCESS|n{extra}\n"

    data = gzip.compress("".join(line(s) for s in range(20)).encode())
    (d / "execution.log.3.gz").write_bytes(data[: len(data) // 2])  # cut short
    (d / "execution.log.2.gz").write_bytes(gzip.compress(b""))  # empty
    (d / "execution.log.1").write_text(
        line(30, "y" * 200) + "2999-01-01T00:00:00Z|API|CALL|1|SUCCESS|future\n" + line(31)
    )
    (d / "execution.log").write_text(line(40) + "junk\r\r\n" + line(41))
    here = observe(d, Config(), child=False, cache=CacheOptions(enabled=False))
    assert here["warnings"] and here["figures"]["source"]["future"] == 1
    assert observe(d, Config(), child=True, cache=CacheOptions(directory=str(tmp_path / "cache"))) == here


def check_ctrl_c_and_hang_up_are_the_dashboard_s_to_act_on(tmp_path: Path, fork: bool) -> None:
    """SIGINT and SIGHUP go to the terminal's whole process group: the child blocks them (no traceback
    of its own on the terminal, no end behind the session's back) and reads on to the end."""
    big_set(tmp_path)
    reference = observe(tmp_path, Config(), child=False, cache=None, capacity=1000)
    s = session(tmp_path, fork, ring_capacity=1000)
    s.start()
    try:
        check_method(s, fork)
        wait_for(lambda: bool(history_children()), "the child")
        (child,) = history_children()
        status = Path(f"/proc/{child.pid}/status").read_text()
        blocked = int(status.split("SigBlk:\t", 1)[1].split("\n", 1)[0], 16)
        assert blocked & (1 << (signal.SIGINT - 1)) and blocked & (1 << (signal.SIGHUP - 1))
        os.kill(child.pid, signal.SIGINT)
        os.kill(child.pid, signal.SIGHUP)
        assert s.wait_history(60), s.error
        assert not any("own process" in e for e in s.events)  # the child read it
        assert snapshot_to_json(s.snapshot()) == reference["figures"]
    finally:
        s.stop()


@pytest.mark.parametrize("fork", [False, True])
def test_ctrl_c_and_hang_up_are_the_dashboard_s_to_act_on(tmp_path: Path, fork: bool) -> None:
    run(check_ctrl_c_and_hang_up_are_the_dashboard_s_to_act_on, tmp_path, fork)


def test_a_history_kept_but_for_a_large_tail_is_read_in_the_child(tmp_path: Path) -> None:
    """Nearly all kept (what was appended since is under NEARLY_KEPT_BYTES): read in the session's
    process; more appended than that: in a child. The same figures either way."""
    from execlog_tui.cache.plans import NEARLY_KEPT_BYTES

    d = tmp_path / "logs"
    d.mkdir()
    big_set(d, 20_000)
    cache = CacheOptions(directory=str(tmp_path / "cache"))
    observe(d, Config(), child=True, cache=cache)
    assert WHERE["child"]
    observe(d, Config(), child=True, cache=cache)
    assert not WHERE["child"]
    live = d / "execution.log"
    size = live.stat().st_size
    with live.open("a") as f:
        f.write("\n".join(big_lines(220_000, start=1_757_400_200_000)) + "\n")
    assert live.stat().st_size - size > NEARLY_KEPT_BYTES
    grown = observe(d, Config(), child=True, cache=cache)
    assert WHERE["child"]
    assert grown == observe(d, Config(), child=False, cache=CacheOptions(enabled=False))


def check_the_session_wakes_its_dashboard_once_the_history_is_read(tmp_path: Path, how: str) -> None:
    d = tmp_path / "logs"
    d.mkdir()
    write_rotated(d, [f"2025-09-09T10:00:{i:02d}Z|API|CALL|{i}|SUCCESS|n={i}" for i in range(60)], [20, 40])
    s = MonitorSession([str(d)], history_process=how != "here", fork_history=how == "fork", wall_clock=lambda: WALL)
    seen: list[tuple[bool, int, int, str]] = []
    s.set_waker(lambda: seen.append((s.history_done, len(s.ring), s.engine.entries, s.mode)))
    s.start()
    try:
        assert s.wait_history(60), s.error
        assert s.history_method == (None if how == "here" else how)
        # Called once, from the session's thread, with the history's figures and lines already there.
        assert seen == [(True, 60, 60, "following")]
    finally:
        s.stop()


@pytest.mark.parametrize("how", ["here", "spawn", "fork"])
def test_the_session_wakes_its_dashboard_once_the_history_is_read(tmp_path: Path, how: str) -> None:
    if how == "fork":
        in_one_thread(check_the_session_wakes_its_dashboard_once_the_history_is_read, tmp_path, how)
    else:
        check_the_session_wakes_its_dashboard_once_the_history_is_read(tmp_path, how)


def test_a_wake_that_fails_as_the_interface_closes_does_not_stop_the_session(tmp_path: Path) -> None:
    """The interface's loop can close between its check and its call (RuntimeError): the session
    still follows its log."""
    d = tmp_path / "logs"
    d.mkdir()
    write_rotated(d, [f"2025-09-09T10:00:{i:02d}Z|API|CALL|{i}|SUCCESS|n={i}" for i in range(10)], [5])

    def closed_loop() -> None:
        raise RuntimeError("Event loop is closed")

    s = MonitorSession([str(d)], wall_clock=lambda: WALL)
    s.set_waker(closed_loop)
    s.start()
    try:
        assert s.wait_history(60), s.error
        with (d / "execution.log").open("a") as f:
            f.write("2025-09-09T10:00:59Z|API|CALL|1|SUCCESS|after\n")
        deadline = time.monotonic() + 20
        while s.ring.total < 11:
            assert time.monotonic() < deadline and s.error is None, (s.ring.total, s.error)
            time.sleep(0.02)  # polling with a deadline
    finally:
        s.stop()


def check_the_dashboard_waits_only_for_a_kept_history(tmp_path: Path, fork: bool) -> None:
    """`wait_kept_history` waits for a history nearly all kept (its reading from the cache is due in a
    moment) and returns at once for one read whole: the dashboard draws that one's progress meanwhile."""
    d = tmp_path / "logs"
    d.mkdir()
    big_set(d)
    cache = CacheOptions(directory=str(tmp_path / "cache"))
    for kept in (False, True):
        s = session(d, fork, cache=cache, ring_capacity=1000)
        s.start()
        try:
            check_method(s, fork)
            s.wait_kept_history(120.0)
            # Cold, 400,000 lines are not read at once: done here only if it waited.
            assert s.history_done == kept
            assert s.wait_history(120), s.error
        finally:
            s.stop()


def test_the_dashboard_waits_only_for_a_kept_history(tmp_path: Path) -> None:
    in_one_thread(check_the_dashboard_waits_only_for_a_kept_history, tmp_path, True)
