from collections.abc import Callable, Collection, Sequence
from typing import Any

ABI: int

def merge_counts(dst: dict[Any, Any], src: dict[Any, Any], /) -> None: ...
def add_pairs(dst: dict[Any, Any], flat: bytes | Sequence[Any], /) -> None: ...
def merge_comps(dst: dict[str, list[float]], src: dict[str, list[float]], /) -> None: ...
def add_comps(
    dst: dict[str, list[float]],
    flat: bytes | Sequence[float],
    names: Sequence[str],
    tracked: Collection[str],
    fold: Callable[[str], str],
    /,
) -> None: ...
def merge_acts(dst: dict[int, Any], src: dict[int, Any], new: Callable[[], Any], /) -> None: ...
def add_acts(
    dst: dict[int, Any], acts: bytes | Sequence[float], act_hist: bytes | Sequence[Any], new: Callable[[], Any], /
) -> None: ...
