"""A run's cache options (--cache-dir, --no-cache, --cache-max, --jobs): the store they ask for (the feed plans
they allow: plans.plans_for). Apart from plans.py so that a query, which needs only the store, does not
import the engine and multiprocessing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from execlog_tui.cache.store import DEFAULT_LIMIT_SHARE, MIN_LIMIT, CacheStore


@dataclass(frozen=True, slots=True)
class CacheOptions:
    """The cache options of a run (--cache-dir, --no-cache, --cache-max, --jobs)."""

    directory: str | None = None
    enabled: bool = True
    max_mb: int | None = None
    jobs: int | None = None

    def store(self, archives_bytes: int = 0) -> CacheStore | None:
        """The store these options ask for (None with --no-cache), limited to --cache-max or a share
        of the archives' uncompressed size (`archives_bytes`)."""
        if not self.enabled:
            return None
        if self.max_mb is not None:
            limit = self.max_mb * 1024 * 1024
        else:
            limit = max(MIN_LIMIT, int(archives_bytes * DEFAULT_LIMIT_SHARE))
        return CacheStore(Path(self.directory).expanduser() if self.directory else None, limit)
