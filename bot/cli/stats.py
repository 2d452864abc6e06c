"""`leadbot stats`: anonymous counts for content authors. No text, no users."""

from __future__ import annotations

import asyncio

from bot.cli.common import settings_or_exit


def register(sub) -> None:
    p = sub.add_parser("stats", help="feedback per next step, and where the first guess was not quite right")
    p.set_defaults(run=run)


def run(args) -> int:
    return asyncio.run(_stats(settings_or_exit()))


async def _stats(settings) -> int:
    from bot.storage.db import make_engine
    from bot.storage.migrate import upgrade
    from bot.storage.sql_store import SqlStore

    db = make_engine(settings.database_url)
    try:
        await upgrade(db)
        store = SqlStore(db)
        misreads = await store.misread_report()
        feedback = await store.feedback_report()
    finally:
        await db.dispose()
    print("Where the first guess was not quite right (after 'not quite', the quick test landed elsewhere):")
    if not misreads:
        print("  nothing counted yet")
    for first, final, count in misreads:
        print(f"  {count:5}  first guess {first:28} quick test said {final}")
    print("\nWas this useful? per next step:")
    if not feedback:
        print("  nothing counted yet")
    for step_id, useful, not_useful in feedback:
        print(f"  {step_id:40} yes {useful:4}  no {not_useful:4}")
    return 0
