"""SPEC 10: critical paths. The stage totals of each checkpoint and the runs of each path.

Stage figures come from the per-second and per-minute buckets like every other figure: the engine counts
each entry that matches a checkpoint into its bucket's `acts` (one `ActTotals` per component and action,
numbered here), and a window's stage row merges the totals of the checkpoint's actions.

Runs are followed in read order, one at a time per path (`observe`). A path with a timeout (bootstrap's
30 seconds by default) is followed entry by entry: the fast path hands every entry of its component to the
per-line path. For the other paths the fast path's runs of plain lines carry, per path, what a run of
such lines can do to a run (`apply_events`): plain lines hold no error, so they only start runs and reach
checkpoints, and of the checkpoints they match only the strict prefix maxima of their order can be reached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from execlog_tui.core.alerts import AlertTracker
from execlog_tui.core.config import HIT_MISS, CriticalPath
from execlog_tui.core.snapshot import PathView, ReachedView, RunView, StageFigures
from execlog_tui.core.windows import WINDOWS, ActTotals

RUNNING, COMPLETE, FAILED, SUPERSEDED = "running", "complete", "failed", "superseded"
_HIT, _MISS = "HIT", "MISS"


STUCK_CONDITION_MARK = " running > "  # the condition of every stuck:PATH alert: `PATH running > TIMEOUT`


def stuck_alert_name(path: str) -> str:
    return f"stuck:{path}"


def stuck_condition(path: str, timeout_ms: int) -> str:
    return f"{path}{STUCK_CONDITION_MARK}{timeout_text(timeout_ms)}"


def timeout_text(ms: int) -> str:
    """`30 seconds`, `5 minutes`, `1.5 seconds`: the seed's notation, for the alert's condition."""
    for unit, size in (("hour", 3_600_000), ("minute", 60_000), ("second", 1000)):
        if ms >= size and ms % size == 0:
            n = ms // size
            return f"{n} {unit}{'' if n == 1 else 's'}"
    return f"{ms / 1000:g} seconds"


class PathState:
    """One path's latest run: RUNNING, COMPLETE or FAILED (SUPERSEDED runs are replaced at once)."""

    __slots__ = ("path", "last", "index", "state", "started", "ended", "reached", "fired")

    def __init__(self, path: CriticalPath) -> None:
        self.path = path
        self.last = len(path.checkpoints) - 1
        self.index: dict[str, int] = {}  # ACTION -> checkpoint index
        for k, cp in enumerate(path.checkpoints):
            for action in cp.actions:
                self.index.setdefault(action, k)
        self.state: str | None = None  # None before the first run
        self.started = 0
        self.ended: int | None = None
        self.reached: list[tuple[int, int, float]] = []  # (checkpoint index, ts, the entry's duration)
        self.fired = False  # stuck:PATH fired for this run

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    def due(self) -> int | None:
        """The first whole second (ms) at which a running run exceeds the timeout, if not fired yet."""
        timeout = self.path.timeout_ms
        if timeout is None or not self.running or self.fired:
            return None
        return ((self.started + timeout) // 1000 + 1) * 1000


class PathTracker:
    """Every configured path's runs and stuck alert, and the numbering of the checkpoint actions."""

    def __init__(self, paths: Sequence[CriticalPath], alerts: AlertTracker) -> None:
        self.alerts = alerts
        self.states = [PathState(p) for p in paths]
        self.by_component: dict[str, list[int]] = {}
        # (COMPONENT, ACTION) -> act id: the bucket totals every stage row is merged from
        self.act_ids: dict[tuple[str, str], int] = {}
        # per path, per checkpoint: (action, act id) of each action it matches
        self.stage_acts: list[list[tuple[tuple[str, int], ...]]] = []
        for pid, p in enumerate(paths):
            self.by_component.setdefault(p.component, []).append(pid)
            rows = []
            for cp in p.checkpoints:
                acts = []
                for action in cp.actions:
                    act = self.act_ids.setdefault((p.component, action), len(self.act_ids))
                    acts.append((action, act))
                rows.append(tuple(acts))
            self.stage_acts.append(rows)
        self.components = frozenset(self.by_component)
        # A path with a timeout is followed entry by entry: its component never joins a fast-path run.
        self.followed = frozenset(p.component for p in paths if p.timeout_ms is not None)
        self._timed = [s for s in self.states if s.path.timeout_ms is not None]

    def registrations(self, component: str) -> list[tuple[str, int, int, int]]:
        """For the fast path: (ACTION, act id, path id, checkpoint index) of every checkpoint action
        of the component's paths, the index a run of plain lines would reach (`PathState.index`)."""
        out = []
        for pid in self.by_component.get(component, ()):
            st = self.states[pid]
            for action, k in st.index.items():
                out.append((action, self.act_ids[(component, action)], pid, k))
        return out

    # ------------------------------------------------------------------------------- runs
    def observe(self, component: str, action: str, ts: int, dur: float, failed: bool) -> None:
        """An entry of a path's component, in read order, neither late nor from the future (SPEC 10)."""
        for pid in self.by_component[component]:
            st = self.states[pid]
            k = st.index.get(action)
            if k == 0:
                self._start(st, ts, dur)
            elif st.state == RUNNING:
                if failed:
                    self._end(st, FAILED, ts)
                elif k is not None and k > st.reached[-1][0]:
                    self._reach(st, k, ts, dur)

    def apply_events(self, pid: int, restarted: bool, events: Sequence[float]) -> None:
        """What a fast-path run of plain lines did to path `pid`: the strict prefix maxima of the
        checkpoint indexes it matched, as flat (index, ts, duration) triples, from its last start when
        `restarted` (then the first triple is that start)."""
        st = self.states[pid]
        i = 0
        if restarted:
            self._start(st, int(events[1]), float(events[2]))
            i = 3
        for j in range(i, len(events), 3):
            if st.state != RUNNING:
                return
            k = int(events[j])
            if k > st.reached[-1][0]:
                self._reach(st, k, int(events[j + 1]), float(events[j + 2]))

    def _start(self, st: PathState, ts: int, dur: float) -> None:
        if st.state == RUNNING:
            self._end(st, SUPERSEDED, ts)
        st.state, st.started, st.ended, st.fired = RUNNING, ts, None, False
        st.reached = [(0, ts, dur)]
        if st.last == 0:
            self._end(st, COMPLETE, ts)

    def _reach(self, st: PathState, k: int, ts: int, dur: float) -> None:
        st.reached.append((k, ts, dur))
        if k == st.last:
            self._end(st, COMPLETE, ts)

    def _end(self, st: PathState, state: str, ts: int) -> None:
        st.state, st.ended = state, ts
        if st.path.timeout_ms is not None:
            self.alerts.resolve(stuck_alert_name(st.path.name), ts)

    # ------------------------------------------------------------------------------ stuck
    def evaluate(self, second_ms: int) -> None:
        """SPEC 10 as of the whole second `second_ms`, after the entries dated at or before it."""
        for st in self._timed:
            due = st.due()
            if due is not None and second_ms >= due:
                st.fired = True
                p = st.path
                assert p.timeout_ms is not None
                self.alerts.fire(
                    stuck_alert_name(p.name),
                    stuck_condition(p.name, p.timeout_ms),
                    (second_ms - st.started) / 1000,
                    second_ms,
                )

    def next_due(self) -> int | None:
        """The earliest whole second (ms) at which a stuck alert would fire, if one is pending."""
        best: int | None = None
        for st in self._timed:
            due = st.due()
            if due is not None and (best is None or due < best):
                best = due
        return best

    # ------------------------------------------------------------------------------ views
    def views(self, t: int | None, acts_by_window: Mapping[str, Mapping[int, ActTotals]]) -> dict[str, PathView]:
        """Every path as of T (`t`), its stage rows from each window's merged act totals."""
        out: dict[str, PathView] = {}
        for pid, st in enumerate(self.states):
            p = st.path
            stages = {
                w.name: tuple(
                    self._stage(cp.name, self.stage_acts[pid][k], acts_by_window.get(w.name, {}))
                    for k, cp in enumerate(p.checkpoints)
                )
                for w in WINDOWS
            }
            out[p.name] = PathView(
                p.name,
                p.component,
                tuple(cp.name for cp in p.checkpoints),
                p.timeout_ms,
                stages,
                self._run_view(st, t),
                self.alerts.is_firing(stuck_alert_name(p.name)),
            )
        return out

    @staticmethod
    def _stage(name: str, acts: tuple[tuple[str, int], ...], totals: Mapping[int, ActTotals]) -> StageFigures:
        merged = ActTotals()
        hits = misses = 0
        for action, act in acts:
            a = totals.get(act)
            if a is None:
                continue
            merged.merge(a)
            if action == _HIT:
                hits += a.entries
            elif action == _MISS:
                misses += a.entries
        n = merged.entries
        is_hit_miss = name.upper() == HIT_MISS
        return StageFigures(
            name,
            n,
            merged.errors,
            merged.dur_sum / n if n else None,
            merged.p95() if n else None,
            hits if is_hit_miss else None,
            misses if is_hit_miss else None,
        )

    @staticmethod
    def _run_view(st: PathState, t: int | None) -> RunView | None:
        if st.state is None:
            return None
        names = st.path.checkpoints
        end = st.ended if st.ended is not None else (t if t is not None else st.started)
        return RunView(
            st.state,
            st.started,
            st.ended,
            max(0, end - st.started),
            names[st.reached[-1][0]].name,
            tuple(ReachedView(names[k].name, ts, dur) for k, ts, dur in st.reached),
        )
