"""The layers hold: dialogs/ is platform-neutral, and no import in bot/ runs back up the layers.

What a reader relies on when following a message: the conversation logic can be
read and tested without a network, a web server or a database; an adapter never
reaches into the process that hosts it; Slack and Teams never depend on each other.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys

import pytest

import bot
import dialogs
from tests.conftest import ROOT

# What dialogs/ must never load, directly or through anything it imports.
NOT_IN_DIALOGS = (
    "aiohttp", "slack_bolt", "slack_sdk", "botbuilder", "botframework", "msrest",
    "sqlalchemy", "asyncpg", "aiosqlite", "alembic", "prometheus_client", "bot",
)  # fmt: skip

# bot/'s layers, lowest first. A module may import from its own layer or a lower one, never a higher one.
LAYERS: list[tuple[str, ...]] = [
    # the process's parts that know nothing of platforms
    (
        "bot.settings",
        "bot.logs",
        "bot.metrics",
        "bot.delivery",
        "bot.inflight",
        "bot.storage",
        "bot.diagnoser",
        "bot.fitted_model",
        "bot.build_backend",
        "bot.console",
        "bot.version",
        "bot.setup_errors",
        "bot.textbars",
        "bot.findings",
        "bot.platform_words",
    ),
    # built from those: the stores and dialogs put together, the turn router, the nudge fan-out
    ("bot.services", "bot.turns", "bot.nudges", "bot.platform", "bot.evaluation", "bot.privacy"),
    # the platform adapters
    ("bot.slack", "bot.teams"),
    # the composition roots that put platforms and the rest together
    ("bot.server", "bot.messengers", "bot.doctor"),
    ("bot.cli",),
]


def _modules(package) -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + "."))


def _layer(module: str) -> int | None:
    for i, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    return None


def _imports(module: str) -> set[str]:
    """Every module this one imports, at the top or inside a function."""
    path = ROOT / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = ROOT / module.replace(".", "/") / "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.process
def test_every_module_of_dialogs_imports_no_platform_sdk_web_framework_or_database():
    modules = _modules(dialogs)
    assert "dialogs.nudges.turns" in modules and "dialogs.diagnosis.model" in modules, "the walk found the subpackages"
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted({{m for m in sys.modules if m.split('.')[0] in {NOT_IN_DIALOGS!r}}})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "", f"dialogs/ loaded {result.stdout.strip()}"


def test_every_module_of_bot_has_a_layer():
    assert [m for m in _modules(bot) if _layer(m) is None and m not in ("bot.__init__",)] == []


@pytest.mark.parametrize("module", [m for m in _modules(bot) if _layer(m) is not None])
def test_no_import_runs_back_up_the_layers(module):
    mine = _layer(module)
    upward = sorted(name for name in _imports(module) if (theirs := _layer(name)) is not None and theirs > mine)
    assert upward == [], f"{module} (layer {mine}) imports from a higher layer: {upward}"


@pytest.mark.parametrize("one, other", [("bot.slack", "bot.teams"), ("bot.teams", "bot.slack")])
def test_slack_and_teams_never_import_each_other(one, other):
    package = __import__(one, fromlist=["_"])
    crossing = {m: sorted(n for n in _imports(m) if n == other or n.startswith(other + ".")) for m in _modules(package)}
    assert {m: names for m, names in crossing.items() if names} == {}
