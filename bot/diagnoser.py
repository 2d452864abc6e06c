"""Build the diagnoser from settings, without touching the database (keeps `leadbot diagnose` quick).

The fitted model comes from the packaged model directory, the user cache, or a
fit made now, in that order (`bot.fitted_model`); a fit is announced first,
with an estimate, through `on_fit`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from bot.fitted_model import PACKAGED_DIR, estimate_seconds, remember_timing, source_of
from bot.settings import Settings
from dialogs.content_loader import Content, load_content
from dialogs.diagnosis.diagnoser import ContentDiagnoser

log = logging.getLogger(__name__)

OnFit = Callable[[float], None]


def log_fit(estimate: float) -> None:
    log.info(
        "fitting the diagnosis model for this content (no packaged or cached model matches it)",
        extra={"estimate_seconds": round(estimate)},
    )


def build_diagnoser(
    settings: Settings, content: Content | None = None, on_fit: OnFit | None = None, packaged_dir: Path = PACKAGED_DIR
) -> ContentDiagnoser:
    """The diagnoser, from the packaged model if it matches, else the user cache, else fitted now (after `on_fit(estimate)`)."""
    content = content or load_content(settings.content_dir)
    source, directory = source_of(settings, content, packaged_dir)
    if source in ("packaged", "cached"):
        return ContentDiagnoser(content, cache_dir=directory, ask_below=settings.ask_below)
    if source == "fit":
        (on_fit or log_fit)(estimate_seconds(settings.cache_dir, len(content.training)))
    started = time.perf_counter()
    diagnoser = ContentDiagnoser(content, cache_dir=settings.cache_dir, ask_below=settings.ask_below)
    if source == "fit":
        seconds = time.perf_counter() - started
        remember_timing(settings.cache_dir, seconds, len(content.training))
        log.info(
            "diagnosis model fitted and cached",
            extra={"seconds": round(seconds, 1), "cache_dir": str(settings.cache_dir)},
        )
    return diagnoser
