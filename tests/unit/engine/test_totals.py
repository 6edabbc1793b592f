"""The C versions of the bucket-total loops (`execlog_tui._totals`) do exactly what their Python
references in core/totals.py do: same values to the last bit, same types (int stays int), same rows
created, on random totals."""

from __future__ import annotations

import copy
import shutil
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execlog_tui.core import totals
from execlog_tui.core.windows import ActTotals

needs_c = pytest.mark.skipif(shutil.which("gcc") is None and shutil.which("cc") is None, reason="no C compiler here")

_num = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.1, 0.2, 1e16, -0.0, 2.0**53]),
)
_names = st.sampled_from(["API", "CACHE", "AUTH", "DB", "OTHER", "X"])
_rows = st.dictionaries(_names, st.lists(_num, min_size=4, max_size=4), max_size=6)
_hist = st.dictionaries(st.integers(0, 2000), st.integers(0, 10**9), max_size=8)


def _same(a: object, b: object) -> bool:
    """Equal with types, NaN equal to NaN and -0.0 told from 0.0 (repr does both)."""
    return repr(a) == repr(b)


@needs_c
def test_the_extension_is_built_with_the_expected_interface() -> None:
    from execlog_tui import _totals

    assert _totals.ABI == totals.TOTALS_ABI, "rebuild the extension: pip install -e ."
    assert totals.accelerated()


@needs_c
@settings(max_examples=400, deadline=None)
@given(_rows, _rows, _hist, _hist)
def test_merges_agree(
    dst: dict[str, list[float]], src: dict[str, list[float]], h1: dict[int, int], h2: dict[int, int]
) -> None:
    from execlog_tui import _totals

    d_py, d_c = copy.deepcopy(dst), copy.deepcopy(dst)
    totals.py_merge_comps(d_py, src)
    _totals.merge_comps(d_c, src)
    assert _same(d_py, d_c)
    for name, row in d_c.items():  # a row copied from src is a copy, not src's list
        assert name not in src or row is not src[name]
    g_py, g_c = dict(h1), dict(h1)
    totals.py_merge_counts(g_py, h2)
    _totals.merge_counts(g_c, h2)
    assert _same(g_py, g_c)
    flat = [x for kv in h2.items() for x in kv]
    g_py, g_c = dict(h1), dict(h1)
    totals.py_add_pairs(g_py, flat)
    _totals.add_pairs(g_c, tuple(flat))
    assert _same(g_py, g_c)


@needs_c
@settings(max_examples=400, deadline=None)
@given(_rows, st.lists(st.tuples(st.integers(0, 5), _num, _num, _num), max_size=8))
def test_run_rows_agree(dst: dict[str, list[float]], rows: list[tuple[int, float, float, float]]) -> None:
    from execlog_tui import _totals

    names = ("API", "CACHE", "AUTH", "DB", "NEW1", "NEW2")
    tracked = {"API", "CACHE", "AUTH", "DB", "OTHER"}
    folded: list[str] = []

    def fold(name: str) -> str:
        folded.append(name)
        return "OTHER"

    flat = tuple(float(x) if i % 4 == 0 else x for row in rows for i, x in enumerate(row))
    d_py, d_c = copy.deepcopy(dst), copy.deepcopy(dst)
    totals.py_add_comps(d_py, flat, names, tracked, fold)
    calls_py, folded[:] = list(folded), []
    _totals.add_comps(d_c, flat, names, tracked, fold)
    assert _same(d_py, d_c) and calls_py == folded


@needs_c
def test_errors_and_odd_input_as_in_python() -> None:
    from execlog_tui import _totals

    with pytest.raises(TypeError):
        _totals.merge_comps({"A": [1, 0, 1.0, 1.0]}, {"A": [1, 2]})
    with pytest.raises(TypeError):
        _totals.add_comps({}, (0.0, 1, 2, 3), ("A",), set(), lambda n: n + 1)  # type: ignore[operator]
    with pytest.raises(IndexError):
        _totals.add_comps({}, (5.0, 1, 2, 3), ("A",), {"A"}, str)
    # A dict merged into itself doubles, a value None counts as absent: as Python's `.get(k) is None`.
    for c_fn, py_fn, make in (
        (_totals.merge_counts, totals.py_merge_counts, lambda: {1: 2, 5: 7}),
        (_totals.merge_comps, totals.py_merge_comps, lambda: {"A": [1, 0, 2.5, 3.0], "B": [2, 1, 1.0, 1.0]}),
    ):
        d_c, d_py = make(), make()
        c_fn(d_c, d_c)
        py_fn(d_py, d_py)
        assert _same(d_c, d_py)
    d_c, d_py = {"A": None}, {"A": None}
    _totals.merge_comps(d_c, {"A": [1, 2, 3.0, 4.0]})  # type: ignore[dict-item]
    totals.py_merge_comps(d_py, {"A": [1, 2, 3.0, 4.0]})  # type: ignore[arg-type]
    assert _same(d_c, d_py)
    acts = _acts({1: (3, 1, 2.0, 1.0, 1.5, {4: 1})})
    _totals.merge_acts(acts, acts, ActTotals)
    assert _view(acts) == _view(_acts({1: (6, 2, 4.0, 1.0, 1.5, {4: 2})}))


_act = st.tuples(_num, st.integers(0, 5), _num, _num, _num, _hist)


def _acts(rows: dict[int, tuple[float, int, float, float, float, dict[int, int]]]) -> dict[int, ActTotals]:
    out = {}
    for k, (entries, errors, dur_sum, lo, hi, hist) in rows.items():
        a = out[k] = ActTotals()
        a.entries, a.errors, a.dur_sum, a.dur_min, a.dur_max, a.hist = entries, errors, dur_sum, lo, hi, dict(hist)  # type: ignore[assignment]
    return out


def _view(acts: dict[int, ActTotals]) -> str:
    return repr(
        sorted(
            (k, a.entries, a.errors, a.dur_sum, a.dur_min, a.dur_max, sorted(a.hist.items())) for k, a in acts.items()
        )
    )


@needs_c
@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.integers(0, 6), _act, max_size=4),
    st.dictionaries(st.integers(0, 6), _act, max_size=4),
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 99), _num, _num, _num), max_size=5),
    st.lists(st.tuples(st.integers(0, 2000), st.integers(1, 50)), max_size=6),
)
def test_checkpoint_totals_agree(
    dst: dict[int, Any],
    src: dict[int, Any],
    rows: list[tuple[int, int, float, float, float]],
    bins: list[tuple[int, int]],
) -> None:
    from execlog_tui import _totals

    d_py, d_c = _acts(dst), _acts(dst)
    totals.py_merge_acts(d_py, _acts(src), ActTotals)
    _totals.merge_acts(d_c, _acts(src), ActTotals)
    assert _view(d_py) == _view(d_c)
    # A run's rows (act ids as the flat floats carry them) and a histogram over acts among them.
    flat = tuple(float(x) if i < 2 else x for row in rows for i, x in enumerate(row))
    ids = [row[0] for row in rows]
    hist = tuple(x for j, (b, c) in enumerate(bins) if ids for x in (ids[j % len(ids)], b, c))
    d_py, d_c = _acts(dst), _acts(dst)
    totals.py_add_acts(d_py, flat, hist, ActTotals)
    _totals.add_acts(d_c, flat, hist, ActTotals)
    assert _view(d_py) == _view(d_c)
    with pytest.raises(KeyError):
        _totals.add_acts({}, (), (99, 1, 1), ActTotals)


@needs_c
def test_code_run_meanwhile_cannot_crash_it() -> None:
    """A number whose addition empties the dicts being merged, a key whose comparison does, callbacks
    that raise, grow the rows or the dict: an exception as Python's or a result, never a crash or an
    endless loop (what the C code reads is held while code runs)."""
    from execlog_tui import _totals

    src: dict[Any, Any] = {}
    dst: dict[Any, Any] = {}

    class Hostile(float):
        def __add__(self, other: object) -> float:
            src.clear()
            dst.clear()
            return 1.0

        __radd__ = __iadd__ = __add__  # type: ignore[assignment]

    for c_fn, py_fn in ((_totals.merge_counts, totals.py_merge_counts), (_totals.merge_comps, totals.py_merge_comps)):
        for impl in (c_fn, py_fn):
            src.clear()
            dst.clear()
            if impl in (_totals.merge_counts, totals.py_merge_counts):
                for k in range(50):
                    src[k], dst[k] = Hostile(1.0), Hostile(2.0)
            else:
                src.update({f"c{k}": [Hostile(1.0), 0, 1.0, 1.0] for k in range(50)})
                dst.update({f"c{k}": [Hostile(1.0), 0, 1.0, 1.0] for k in range(50)})
            with pytest.raises(RuntimeError, match="changed size during iteration"):
                impl(dst, src)

    class Key:
        """A key whose comparison empties the dict being merged from."""

        def __hash__(self) -> int:
            return 7

        def __eq__(self, other: object) -> bool:
            src.clear()
            return False

    for impl2 in (_totals.merge_comps, totals.py_merge_comps):
        src.clear()
        src[Key()] = [10**20, 0, 1.5, 2.5]
        dst = {Key(): [1, 0, 1.0, 1.0]}
        with pytest.raises(RuntimeError):
            impl2(dst, src)
    grown = {1: ActTotals()}

    def more() -> ActTotals:
        grown[len(grown) + 1] = ActTotals()
        return ActTotals()

    with pytest.raises(RuntimeError):  # never an endless loop
        _totals.merge_acts({}, grown, more)

    def boom() -> ActTotals:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        _totals.merge_acts({}, {1: ActTotals()}, boom)
    with pytest.raises(ZeroDivisionError):
        _totals.add_acts({}, (1.0, 1, 1.0, 1.0, 1.0), (), boom)
    rows = [0.0, 1, 1.0, 1.0]

    def grow(name: str) -> str:
        rows.extend([0.0] * 400)  # the rows are read from a copy: this changes nothing here
        return "OTHER"

    out: dict[str, list[float]] = {}
    _totals.add_comps(out, rows, ("A",), set(), grow)
    assert out == {"OTHER": [1, 0, 1.0, 1.0]}


_count = st.integers(0, 2**40)


def _pack(values: list[int]) -> bytes:
    from array import array

    return array("q", values).tobytes()


@needs_c
@settings(max_examples=300, deadline=None)
@given(
    _rows,
    _hist,
    st.lists(st.tuples(st.integers(0, 5), _count, _count, _count), max_size=8),
    st.dictionaries(st.integers(0, 6), _act, max_size=4),
    st.lists(st.tuples(st.integers(0, 6), _count, _count, _count, _count), max_size=5),
    st.lists(st.tuples(st.integers(0, 2000), st.integers(1, 50)), max_size=6),
)
def test_packed_totals_are_the_numbers_they_stand_for(
    dst: dict[str, list[float]],
    h: dict[int, int],
    rows: list[tuple[int, int, int, int]],
    adst: dict[int, Any],
    arows: list[tuple[int, int, int, int, int]],
    bins: list[tuple[int, int]],
) -> None:
    """The C scanner hands a run's totals over packed (native int64 values in one bytes object): C and
    Python read them as the ints and floats the flat sequences carried (durations float), to the bit."""
    from execlog_tui import _totals

    names = ("API", "CACHE", "AUTH", "DB", "NEW1", "NEW2")
    tracked = {"API", "CACHE", "AUTH", "DB", "OTHER"}
    pairs = [x for kv in h.items() for x in kv]
    comps = [x for row in rows for x in row]
    acts = [x for row in arows for x in row]
    ids = [row[0] for row in arows]
    ahist = [x for j, (b, c) in enumerate(bins) if ids for x in (ids[j % len(ids)], b, c)]
    as_numbers = (
        tuple(pairs),
        tuple(float(x) if i % 4 >= 2 else x for i, x in enumerate(comps)),
        tuple(float(x) if i % 5 >= 2 else x for i, x in enumerate(acts)),
        tuple(ahist),
    )
    results = []
    for add_pairs, add_comps, add_acts in (
        (totals.py_add_pairs, totals.py_add_comps, totals.py_add_acts),
        (_totals.add_pairs, _totals.add_comps, _totals.add_acts),
    ):
        for p, c, a, ah in (as_numbers, (_pack(pairs), _pack(comps), _pack(acts), _pack(ahist))):
            g, d, ad = {1: 2}, copy.deepcopy(dst), _acts(adst)
            add_pairs(g, p)
            add_comps(d, c, names, tracked, lambda _n: "OTHER")
            add_acts(ad, a, ah, ActTotals)
            results.append(repr((g, d)) + _view(ad))
    assert len(set(results)) == 1, results
    assert totals.unpack(_pack([7, 2**40, 3]), 3, (1,)) == [7, float(2**40), 3]
    for bad in (_totals.add_pairs, totals.py_add_pairs):
        with pytest.raises(TypeError):
            bad({}, b"\x00" * 12)  # not whole int64 values
