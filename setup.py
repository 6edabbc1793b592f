"""Build the optional C accelerator of the batch fast path; the package works without it (pure Python)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "execlog_tui._scan",
            sources=["execlog_tui/_scan.c"],
            depends=["execlog_tui/_scan_grammar.h"],  # generated from core/grammar.py
            optional=True,  # no compiler or headers: install anyway, fastpath falls back to Python
            extra_compile_args=["-O2"],
        )
    ]
)
