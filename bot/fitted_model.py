"""Where the fitted diagnosis model comes from: shipped with leadbot, cached on this machine, or fitted now.

Fitting takes tens of seconds on a busy 2-core machine, so a model is looked
for, by the diagnosis code's own cache key (which covers the content and the
code), in two places before fitting:

1. the packaged model directory, `bot/model/` in the installed package:
   read-only, written by `leadbot model build` when the package or the
   container image is built;
2. the user cache, LEADBOT_CACHE_DIR, where a model fitted at run time is kept.

Only when neither has it (the content was edited, say) is the model fitted,
and then the caller hears first how long it will take (`on_fit`).

This module knows one name from the diagnosis code, `model_file_name`, and
nothing else of its internals; if it ever goes, the packaged directory is
skipped and the diagnoser falls back to its own cache.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from dialogs.content_loader import Content
from dialogs.diagnosis.diagnoser import ContentDiagnoser

if TYPE_CHECKING:  # the build backend imports this module without the service's settings
    from bot.settings import Settings


PACKAGED_DIR = Path(__file__).resolve().parent / "model"
TIMING_FILE = "fit-seconds.json"
# Examples fitted per second on a quiet 2-core machine (3,510 examples in about 18 s), until this machine has its own figure.
DEFAULT_RATE = 200.0


def model_file_name(content: Content) -> str | None:
    """The file name the diagnoser caches this content's model under, or None if it cannot be told."""
    try:
        from dialogs.diagnosis.diagnoser import model_file_name as diagnoser_file_name

        return diagnoser_file_name(content)
    except (ImportError, AttributeError, TypeError):  # the diagnosis code changed how it names its cache
        return None


def source_of(settings: Settings, content: Content, packaged_dir: Path = PACKAGED_DIR) -> tuple[str, Path | None]:
    """("packaged" | "cached", its directory) when a fitted model is ready, ("fit", None) when one must be fitted,
    ("unknown", None) when the cache key cannot be told."""
    name = model_file_name(content)
    if name is None:
        return "unknown", None
    if (packaged_dir / name).is_file():
        return "packaged", packaged_dir
    if (settings.cache_dir / name).is_file():
        return "cached", settings.cache_dir
    return "fit", None


def estimate_seconds(cache_dir: Path, examples: int) -> float:
    """How long a fit will take here: scaled from the last fit on this machine, or from DEFAULT_RATE."""
    try:
        last = json.loads((cache_dir / TIMING_FILE).read_text())
        rate = float(last["examples"]) / float(last["seconds"])
    except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError):
        rate = DEFAULT_RATE
    return examples / rate if rate > 0 else examples / DEFAULT_RATE


def remember_timing(cache_dir: Path, seconds: float, examples: int) -> None:
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        (cache_dir / TIMING_FILE).write_text(json.dumps({"seconds": round(seconds, 2), "examples": examples}))
    except OSError:
        pass  # only the next estimate is less exact


def write_packaged_model(
    content: Content, out_dir: Path = PACKAGED_DIR, ask_below: float = 0.85, force: bool = False
) -> tuple[Path, bool]:
    """This content's model in `out_dir`, readable by everyone, with models for other content or code removed
    from there. A file already there under the same key is the same model (the key covers content and code)
    and is kept unless `force`. Returns (the model file, whether it was fitted now)."""
    name = model_file_name(content)
    if name is None:
        raise RuntimeError(
            "the diagnosis code no longer names its cached model by cache_key(); bot/fitted_model.py needs updating"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / name
    fitted = force or not target.is_file()
    if fitted:
        target.unlink(missing_ok=True)
        ContentDiagnoser(content, cache_dir=out_dir, ask_below=ask_below)
        if not target.is_file():
            raise RuntimeError(f"the diagnosis code did not write {target}")
    os.chmod(target, 0o644)  # built as root in an image, read by the service's own uid
    for other in out_dir.glob("model-*.npz"):
        if other != target:
            other.unlink()
    return target, fitted
