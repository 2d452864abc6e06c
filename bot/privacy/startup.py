"""At start-up, note in the audit log whether the settings or the content changed since the last start."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.privacy.snapshot import changed, settings_snapshot
from bot.settings import Settings
from bot.storage.audit import AuditLog
from dialogs.content_loader import Content


async def record_startup(
    audit: AuditLog, settings: Settings, content: Content, now: datetime | None = None
) -> list[str]:
    """Record a `settings` event naming what changed (and its new, non-secret values) and a `content`
    event with the old and new fingerprints, each only when something differs from the last one
    recorded. Returns the kinds recorded."""
    now = now or datetime.now(UTC)
    recorded = []
    snapshot = settings_snapshot(settings)
    last = await audit.last("settings")
    before = (last or {}).get("detail", {}).get("settings") if last else None
    if before != snapshot:
        names = changed(before or {}, snapshot)
        action = "first_recorded" if before is None else "changed"
        detail = {"changed": names if before is not None else [], "settings": snapshot}
        await audit.record("settings", action, at=now, count=len(names) if before is not None else None, detail=detail)
        recorded.append("settings")
    last = await audit.last("content")
    previous = (last or {}).get("detail", {}).get("fingerprint") if last else None
    if previous != content.fingerprint:
        action = "first_recorded" if previous is None else "changed"
        await audit.record("content", action, at=now, detail={"fingerprint": content.fingerprint, "previous": previous})
        recorded.append("content")
    return recorded
