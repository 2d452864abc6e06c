"""The Teams SDK lives in bot/teams/ and nowhere else, behind a handful of entry points that speak only
leadbot's own types. botbuilder-python is archived (README, "The Teams SDK"); this keeps a move to the
Microsoft 365 Agents SDK to that one folder. A new import of the SDK elsewhere, or a new way into
bot/teams/, fails here and has to be added on purpose."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

from tests.conftest import ROOT

SDK_PACKAGES = ("botbuilder", "botframework", "msrest", "msal", "microsoft_agents")
TEAMS = ROOT / "bot" / "teams"
# Everything the rest of leadbot uses from bot/teams/: what a replacement folder must provide.
ENTRY_POINTS = {
    "bot.teams.mount": {"mount"},  # POST /api/messages on the aiohttp app, started and drained with it
    "bot.teams.messenger": {"build_messenger"},  # proactive sends for `leadbot nudge send-due` (bot.delivery.Messenger)
    "bot.teams.adapter": {"check_settings"},  # MICROSOFT_* settings that cannot work, as a SetupError
    "bot.teams.health": {"teams_checks"},  # `leadbot doctor`'s Teams lines
    "bot.teams.app_package": {"PackageOptions", "write_package"},  # `leadbot teams package` (no SDK inside)
}


def _product_files() -> list[Path]:
    return [p for top in ("bot", "dialogs") for p in (ROOT / top).rglob("*.py") if TEAMS not in p.parents]


def _imports(path: Path) -> list[tuple[str, set[str]]]:
    """(module, names imported from it) for every import in the file, at any depth."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(alias.name, set()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.module, {alias.name for alias in node.names}))
    return out


def test_nothing_outside_bot_teams_imports_a_teams_sdk():
    offenders = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in _product_files()
        for module, _ in _imports(path)
        if module.split(".")[0] in SDK_PACKAGES
    ]
    assert offenders == [], "the Teams SDK belongs in bot/teams/ only"


def test_the_rest_of_leadbot_reaches_into_bot_teams_only_through_its_entry_points():
    used: dict[str, set[str]] = {}
    for path in _product_files():
        for module, names in _imports(path):
            if module == "bot.teams" or module.startswith("bot.teams."):
                assert module in ENTRY_POINTS, f"{path.relative_to(ROOT)} imports {module}, which is not an entry point"
                stray = names - ENTRY_POINTS[module]
                assert not stray, f"{path.relative_to(ROOT)} imports {sorted(stray)} from {module}, not an entry point"
                used.setdefault(module, set()).update(names)
    assert used == ENTRY_POINTS, "every entry point listed is used (remove any that no longer is)"


def test_the_entry_points_speak_only_leadbots_own_types():
    for module_name, names in ENTRY_POINTS.items():
        module = importlib.import_module(module_name)
        for name in names:
            target = getattr(module, name)
            if inspect.isclass(target):
                continue  # PackageOptions: a pydantic model of plain values
            for label, annotation in inspect.get_annotations(target).items():
                for word in ast.walk(ast.parse(str(annotation), mode="eval")):
                    if isinstance(word, ast.Name) and word.id in vars(module):
                        owner = getattr(vars(module)[word.id], "__module__", "") or ""
                        assert owner.split(".")[0] not in SDK_PACKAGES, (
                            f"{module_name}.{name}: {label} is an SDK type ({owner}.{word.id})"
                        )
