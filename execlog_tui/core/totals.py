"""Adding one bucket's totals into another: the loops run for every second a log covers (a run of
plain lines into its second's bucket, a second into its minute, buckets into a window's sum).

Each function here is the reference; the optional C extension `execlog_tui._totals` does the same
through the same object operations (so the same results to the last bit, of the same types, and the
same RuntimeError when a dict being merged from changes size meanwhile) and is used when it is built
and speaks this module's interface (`TOTALS_ABI`). It takes a component's row only as the engine
makes it, a list of 4 (anything else: TypeError), and reads flat rows from a copy. A test runs both on
random totals and on hostile ones and compares them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any, Protocol

TOTALS_ABI = 3  # the extension's interface this module speaks (`_totals.ABI`)

# component -> [entries, errors, duration sum, duration max]
CompRows = dict[str, list[float]]

# A run's flat totals as the C scanner hands them over: packed, native int64 values in one bytes object
# (a plan keeps thousands of runs: one object each, not one Python number per value), or any sequence.
Flat = bytes | Sequence[Any]


def unpack(flat: Flat, stride: int, floats: Collection[int] = ()) -> Sequence[Any]:
    """A run's flat totals as numbers: packed ones (bytes) as ints, but those at positions `floats` of
    each `stride` as floats (durations); any other sequence as it is."""
    if not isinstance(flat, bytes):
        return flat
    values: list[Any] = memoryview(flat).cast("q").tolist()
    for j in floats:
        values[j::stride] = [float(v) for v in values[j::stride]]
    return values


def py_merge_counts(dst: dict[Any, Any], src: dict[Any, Any]) -> None:
    """dst[k] += v for every k, v of src (a missing k counts from 0): histograms."""
    for k, v in src.items():
        dst[k] = dst.get(k, 0) + v


def py_add_pairs(dst: dict[Any, Any], flat: Flat) -> None:
    """dst[k] += v for every (k, v) pair of a flat sequence k0, v0, k1, v1, ...: a run's histogram."""
    flat = unpack(flat, 2)
    for i in range(0, len(flat) - 1, 2):
        k = flat[i]
        dst[k] = dst.get(k, 0) + flat[i + 1]


def py_merge_comps(dst: CompRows, src: CompRows) -> None:
    """Add one bucket's component rows into another's (a row absent from dst is copied)."""
    for name, c in src.items():
        mine = dst.get(name)
        if mine is None:
            dst[name] = list(c)
        else:
            mine[0] += c[0]
            mine[1] += c[1]
            mine[2] += c[2]
            if c[3] > mine[3]:
                mine[3] = c[3]


def py_add_comps(
    dst: CompRows, flat: Flat, names: Sequence[str], tracked: Collection[str], fold: Callable[[str], str]
) -> None:
    """Add a run's rows, flat (component id, entries, duration sum, duration max) with ids into
    `names`, none of them an error; a name not in `tracked` counts as `fold(name)`."""
    flat = unpack(flat, 4, (2, 3))
    for i in range(0, len(flat) - 3, 4):
        name = names[int(flat[i])]
        if name not in tracked:
            name = fold(name)
        c = dst.get(name)
        if c is None:
            dst[name] = [flat[i + 1], 0, flat[i + 2], flat[i + 3]]
        else:
            c[0] += flat[i + 1]
            c[2] += flat[i + 2]
            if flat[i + 3] > c[3]:
                c[3] = flat[i + 3]


class ActLike(Protocol):
    """What these functions need of `core.windows.ActTotals` (a critical path's checkpoint totals)."""

    entries: int
    errors: int
    dur_sum: float
    dur_min: float
    dur_max: float
    hist: dict[int, int]

    def merge(self, other: Any) -> None: ...


def py_merge_acts(dst: dict[int, Any], src: dict[int, Any], new: Callable[[], Any]) -> None:
    """Each of src's checkpoint totals merged (`ActTotals.merge`) into dst's (`new()` where dst has none)."""
    for act_id, a in src.items():
        mine = dst.get(act_id)
        if mine is None:
            mine = dst[act_id] = new()
        mine.merge(a)


def py_add_acts(dst: dict[int, Any], acts: Flat, act_hist: Flat, new: Callable[[], Any]) -> None:
    """A run's checkpoint totals into its bucket's: `acts` flat (act id, entries, duration sum, min,
    max), none of them an error; `act_hist` flat (act id, bin, count), each act among the rows."""
    acts = unpack(acts, 5, (2, 3, 4))
    act_hist = unpack(act_hist, 3)
    for i in range(0, len(acts) - 4, 5):
        act_id = int(acts[i])
        a: ActLike | None = dst.get(act_id)
        if a is None:
            a = dst[act_id] = new()
        a.entries += int(acts[i + 1])
        a.dur_sum += acts[i + 2]
        if acts[i + 3] < a.dur_min:
            a.dur_min = acts[i + 3]
        if acts[i + 4] > a.dur_max:
            a.dur_max = acts[i + 4]
    for i in range(0, len(act_hist) - 2, 3):
        h = dst[act_hist[i]].hist
        k = act_hist[i + 1]
        h[k] = h.get(k, 0) + act_hist[i + 2]


merge_counts: Callable[[dict[Any, Any], dict[Any, Any]], None] = py_merge_counts
add_pairs: Callable[[dict[Any, Any], Flat], None] = py_add_pairs
merge_comps: Callable[[CompRows, CompRows], None] = py_merge_comps
AddComps = Callable[[CompRows, Flat, Sequence[str], Collection[str], Callable[[str], str]], None]
add_comps: AddComps = py_add_comps
merge_acts: Callable[[dict[int, Any], dict[int, Any], Callable[[], Any]], None] = py_merge_acts
add_acts: Callable[[dict[int, Any], Flat, Flat, Callable[[], Any]], None] = py_add_acts

try:
    from execlog_tui import _totals

    if getattr(_totals, "ABI", None) == TOTALS_ABI:  # an extension built from an older _totals.c: not used
        merge_counts = _totals.merge_counts
        add_pairs = _totals.add_pairs
        merge_comps = _totals.merge_comps
        add_comps = _totals.add_comps
        merge_acts = _totals.merge_acts
        add_acts = _totals.add_acts
except ImportError:  # pragma: no cover - built wherever a compiler is (the package works without it)
    pass


def accelerated() -> bool:
    """Whether the C versions are in use."""
    return merge_comps is not py_merge_comps
