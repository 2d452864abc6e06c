"""leadbot's version, for `leadbot --version`, the build-info metric and `leadbot doctor`."""

from __future__ import annotations

import functools
import platform


@functools.cache
def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("leadbot")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def describe() -> str:
    return f"leadbot {version()} (Python {platform.python_version()})"
