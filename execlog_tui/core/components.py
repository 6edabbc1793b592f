"""SPEC 4: the cap on tracked components, the one place every entry's component goes through.

At most `limit` distinct components are tracked, the first ones in the order the engine receives
entries, plus always the known components (SPEC 1) and those of configured critical paths (SPEC 10),
which do not use up the limit. Every other component, and one literally named OTHER, is folded into
OTHER: it has figures but no breaker and no alerts of its own. The names folded in are counted (exactly
up to `COUNT_EXACT`, "at least" beyond) so that memory stays bounded whatever the input.
"""

from __future__ import annotations

from collections.abc import Iterable

OTHER = "OTHER"
DEFAULT_LIMIT = 1000
COUNT_EXACT = 100_000  # distinct folded names remembered for the warning's count; beyond, "at least"


class ComponentCap:
    """`fold(component)` -> the component itself while tracked, OTHER otherwise.

    `order` lists the tracked components in the order they were first received (append-only): the
    fast path registers its components from it, so a component reaches a run only once tracked.
    """

    __slots__ = ("limit", "always", "tracked", "order", "_budget", "_folded", "folded_more", "first_fold_file")

    def __init__(self, limit: int = DEFAULT_LIMIT, always: Iterable[str] = ()) -> None:
        self.limit = limit
        self.always = frozenset(c.upper() for c in always) - {OTHER}
        self.tracked: set[str] = set()
        self.order: list[str] = []
        self._budget = limit  # tracked slots left for components outside `always`
        self._folded: set[str] = set()
        self.folded_more = False  # more than COUNT_EXACT distinct names were folded in
        self.first_fold_file: str | None = None

    def fold(self, component: str) -> str:
        if component in self.tracked:
            return component
        return self._admit(component)

    def _admit(self, component: str) -> str:
        if component != OTHER:
            if component in self.always:
                self.tracked.add(component)
                self.order.append(component)
                return component
            if self._budget > 0:
                self._budget -= 1
                self.tracked.add(component)
                self.order.append(component)
                return component
            folded = self._folded
            if component not in folded:
                if len(folded) < COUNT_EXACT:
                    folded.add(component)
                else:
                    self.folded_more = True
        return OTHER

    @property
    def folded(self) -> int:
        """Distinct components folded into OTHER (a literal OTHER not counted); exact up to COUNT_EXACT."""
        return len(self._folded)

    def warning(self) -> str | None:
        """The warning SPEC 4 asks for, None while nothing was folded in."""
        n = self.folded
        if not n:
            return None
        count = f"at least {n:,}" if self.folded_more else f"{n:,}"
        noun = "component" if n == 1 and not self.folded_more else "components"
        return (
            f"{count} {noun} beyond the first {self.limit:,} folded into {OTHER} "
            f"(MONITORING.max_components): they have figures but no breaker or alerts of their own"
        )
