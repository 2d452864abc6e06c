"""The content and fitted diagnoser that every in-process leadbot of a test run shares.

`build_services` loads the content (YAML, a third of a second) and the fitted
model (half a second) for each app it builds; hundreds of end-to-end tests each
build one. Both are read-only once built, so tests build them once per content
directory and settings, and hand them to `build_services`. The `leadbot serve`
processes some tests start build their own, as in production.
"""

from __future__ import annotations

from bot.diagnoser import build_diagnoser
from bot.services import Services, build_services
from bot.settings import Settings
from dialogs.content_loader import Content, load_content
from dialogs.diagnosis.diagnoser import ContentDiagnoser

_built: dict[tuple, tuple[Content, ContentDiagnoser]] = {}


def shared_parts(settings: Settings) -> tuple[Content, ContentDiagnoser]:
    key = (settings.content_dir, settings.cache_dir, settings.ask_below)
    if key not in _built:
        content = load_content(settings.content_dir)
        _built[key] = (content, build_diagnoser(settings, content))
    return _built[key]


async def services_for(settings: Settings, **kwargs) -> Services:
    """`build_services(settings)`, with the run's shared content and diagnoser."""
    content, diagnoser = shared_parts(settings)
    return await build_services(settings, content=content, diagnoser=diagnoser, **kwargs)
