"""Build the diagnoser from settings, without touching the database (keeps `leadbot diagnose` quick)."""

from __future__ import annotations

from bot.settings import Settings
from dialogs.content_loader import Content, load_content
from dialogs.diagnosis.diagnoser import ContentDiagnoser


def build_diagnoser(settings: Settings, content: Content | None = None) -> ContentDiagnoser:
    content = content or load_content(settings.content_dir)
    return ContentDiagnoser(content, cache_dir=settings.cache_dir, ask_below=settings.ask_below)
