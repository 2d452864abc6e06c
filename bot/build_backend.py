"""The build backend: setuptools, with the diagnosis model fitted into the package as it is built.

`pip install .` and `pip install -e .` run this (pyproject.toml's
`build-backend`), so the first `leadbot chat` after an install finds a fitted
model in `bot/model/` and answers at once instead of fitting for a minute. A
model already there under the same key (content and code unchanged) is kept.
A fit that fails never fails the install: the bot then fits on first use, with
a progress line.

Only `dialogs` and `bot.fitted_model` are imported here: the build
environment has what they need (pyproject's `build-system.requires`) and not
the service's other dependencies.
"""

from __future__ import annotations

import sys

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 - every other hook is setuptools' own


def _build_model() -> None:
    try:
        from bot.fitted_model import write_packaged_model
        from dialogs.content_loader import load_content

        target, fitted = write_packaged_model(load_content())
        print(f"leadbot: diagnosis model {'fitted into' if fitted else 'already in'} {target}", file=sys.stderr)
    except Exception as exc:
        print(
            f"leadbot: the diagnosis model was not built ({type(exc).__name__}: {exc}); it will be fitted on first use",
            file=sys.stderr,
        )


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _build_model()
    return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    _build_model()
    return _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)
