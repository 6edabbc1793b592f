"""Build the optional C accelerators (the fast path's scanner, bucket totals); the package works without them."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "execlog_tui._scan",
            sources=["execlog_tui/_scan.c"],
            depends=["execlog_tui/_scan_grammar.h"],  # generated from core/grammar.py
            optional=True,  # no compiler or headers: install anyway, fastpath falls back to Python
            extra_compile_args=["-O2"],
        ),
        Extension(
            "execlog_tui._totals",
            sources=["execlog_tui/_totals.c"],
            optional=True,  # as above: core/totals.py has the same functions in Python
            extra_compile_args=["-O2"],
        ),
    ]
)
