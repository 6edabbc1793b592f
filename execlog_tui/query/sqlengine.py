"""DuckDB, imported on first use, through its compiled module when the installed package has one.

DuckDB's Python package (`duckdb`) is its compiled engine (`_duckdb`, beside it in the same wheel since
DuckDB 1.4) with Python wrappers around it: the relational API, expressions, and a version lookup that
imports importlib.metadata. A query here uses only the connection, its cursors and the exceptions, which
the compiled module has itself; importing it alone takes ~0.02 s instead of ~0.14 s of a warm query's
~0.5 s. A DuckDB without that module (older, or packaged differently) is imported whole.

Its `__version__` is the engine's (the package's own is read from importlib.metadata, the costly part):
what the kept copies are keyed by (columnar.fingerprint, livecopy's check), since the rows they hold are
the engine's reading of the SQL; a release of the Python binding alone keeps them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# What the query modules use of it (a module lacking any of these is not the engine we know).
_USED = (
    "connect",
    "__version__",
    "Error",
    "InvalidInputException",
    "IOException",
    "PermissionException",
    "ConversionException",
    "InternalException",
    "OutOfMemoryException",
)
_module: ModuleType | None = None


def duckdb() -> ModuleType:
    """The module to connect with (`duckdb.connect`, `duckdb.Error` and kin, `duckdb.__version__`)."""
    global _module
    if _module is None:
        try:
            found = importlib.import_module("_duckdb")
            if not all(hasattr(found, name) for name in _USED):
                raise ImportError("not DuckDB's engine")
        except ImportError:
            found = importlib.import_module("duckdb")
        _module = found
    return _module
