"""The fitted diagnosis model: shipped with the package (`leadbot model build`), cached, or fitted with a
progress line first. Small content (a handful of training examples) keeps each fit here under a second."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from bot.diagnoser import build_diagnoser
from bot.fitted_model import model_file_name
from bot.settings import Settings
from dialogs.content_loader import default_content_dir, load_content
from tests.conftest import LEADBOT


@pytest.fixture
def small_content(tmp_path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(default_content_dir(), target, ignore=shutil.ignore_patterns("__pycache__", "*.py", "training"))
    (target / "training").mkdir()
    for name in ("seed.yaml", "vague.yaml"):
        shutil.copy2(default_content_dir() / "training" / name, target / "training" / name)
    return target


def _settings(cache: Path, content_dir: Path | None = None) -> Settings:
    extra = {"LEADBOT_CONTENT_DIR": str(content_dir)} if content_dir else {}
    return Settings(_env_file=None, LEADBOT_CACHE_DIR=str(cache), **extra)


def test_a_packaged_model_is_used_before_the_cache_and_nothing_is_fitted(tmp_path, content, diagnoser, cache_dir):
    packaged = tmp_path / "packaged"
    packaged.mkdir()
    name = model_file_name(content)
    shutil.copy2(cache_dir / name, packaged / name)  # what `leadbot model build` leaves in the package
    user_cache = tmp_path / "user-cache"
    fits: list[float] = []
    built = build_diagnoser(_settings(user_cache), content, on_fit=fits.append, packaged_dir=packaged)
    assert fits == [], "no fit announced"
    assert not user_cache.exists() or not list(user_cache.iterdir()), "nothing written to the user cache"
    message = "half the team still think we're doing the old triage, nobody has explained why we changed it"
    assert built.diagnose(message) == diagnoser.diagnose(message), "the same model"


def test_with_no_model_for_the_content_a_fit_is_announced_with_an_estimate_then_cached(tmp_path, small_content):
    content = load_content(small_content)
    settings = _settings(tmp_path / "cache", small_content)
    fits: list[float] = []
    build_diagnoser(settings, content, on_fit=fits.append, packaged_dir=tmp_path / "empty")
    assert len(fits) == 1 and fits[0] > 0, "announced once, with a time"
    assert (tmp_path / "cache" / model_file_name(content)).is_file()
    build_diagnoser(settings, content, on_fit=fits.append, packaged_dir=tmp_path / "empty")
    assert len(fits) == 1, "the next start loads the cached model"
    # The next estimate is this machine's own: scaled from the fit just made.
    from bot.fitted_model import DEFAULT_RATE, estimate_seconds

    assert estimate_seconds(tmp_path / "cache", 1000) != 1000 / DEFAULT_RATE


def _leadbot(args: list[str], tmp_path: Path, **settings: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEADBOT_", "DATABASE_URL"))}
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'm.db'}", **settings)
    return subprocess.run([LEADBOT, *args], capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)


def test_model_build_writes_a_readable_model_once_and_clears_old_ones(tmp_path, small_content):
    out = tmp_path / "model"
    out.mkdir()
    (out / "model-0123456789abcdef01234567.npz").write_bytes(b"a model for content that has changed since")
    first = _leadbot(["model", "build", "--out", str(out)], tmp_path, LEADBOT_CONTENT_DIR=str(small_content))
    assert first.returncode == 0, first.stderr
    (model,) = out.glob("model-*.npz")
    assert model.name == model_file_name(load_content(small_content)), "named by the diagnoser's own cache key"
    assert stat.S_IMODE(model.stat().st_mode) == 0o644, "readable by the service's own uid when built as root"
    assert first.stdout.startswith("fitted the diagnosis model on")
    again = _leadbot(["model", "build", "--out", str(out)], tmp_path, LEADBOT_CONTENT_DIR=str(small_content))
    assert again.returncode == 0 and "nothing to do" in again.stdout
    forced = _leadbot(
        ["model", "build", "--out", str(out), "--force"], tmp_path, LEADBOT_CONTENT_DIR=str(small_content)
    )
    assert forced.returncode == 0 and forced.stdout.startswith("fitted")


def test_a_first_run_after_a_content_edit_says_it_is_fitting_and_roughly_how_long(tmp_path, small_content):
    cache = tmp_path / "cache"
    first = _leadbot(
        ["diagnose", "nobody knows who owns the queue"],
        tmp_path,
        LEADBOT_CONTENT_DIR=str(small_content),
        LEADBOT_CACHE_DIR=str(cache),
    )
    assert first.returncode == 0, first.stderr
    assert first.stderr.startswith(
        "leadbot: fitting the diagnosis model to this content, about 5 seconds; this happens once"
    )
    second = _leadbot(
        ["diagnose", "nobody knows who owns the queue"],
        tmp_path,
        LEADBOT_CONTENT_DIR=str(small_content),
        LEADBOT_CACHE_DIR=str(cache),
    )
    assert second.returncode == 0 and "fitting" not in second.stderr
