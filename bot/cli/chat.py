"""`leadbot chat`: the coaching conversation in a terminal, with state in the default database."""

from __future__ import annotations

import asyncio
import getpass
import sys

from bot.cli.common import announce_fit, report_content_errors, settings_or_exit, setup_logging
from bot.console.render import render
from dialogs.content_loader import ContentInvalid
from dialogs.models import ConversationKey, Inbound

QUIT = {"quit", "exit", "bye", "/quit", "/exit", ":q"}


def register(sub) -> None:
    p = sub.add_parser("chat", help="talk to leadbot in the terminal")
    p.add_argument("--user", default=None, help="who you are (default: your login name); state is kept per user")
    p.add_argument(
        "--language",
        choices=["en", "cy"],
        default=None,
        help="talk in English (en) or Welsh (cy), and remember it; default: your last choice, else LEADBOT_LANGUAGE",
    )
    p.set_defaults(run=run)


def run(args) -> int:
    settings = settings_or_exit()
    setup_logging(settings.model_copy(update={"log_level": "WARNING"}) if settings.log_level == "INFO" else settings)
    return asyncio.run(
        chat(settings, args.user or getpass.getuser(), sys.stdin, sys.stdout, getattr(args, "language", None))
    )


async def chat(settings, user: str, stdin, stdout, language: str | None = None) -> int:
    from bot.services import build_services
    from bot.storage.database_url import location
    from dialogs.store import StoreUnavailable

    try:
        services = await build_services(settings, on_fit=announce_fit)
    except ContentInvalid as exc:
        report_content_errors(exc)
        return 1
    except StoreUnavailable:
        print(
            f"leadbot: cannot reach the database at DATABASE_URL ({location(settings.database_url)}): is it running?",
            file=sys.stderr,
        )
        return 1
    try:
        await services.store.purge(settings.retention_days, audit_days=settings.audit_days)
        key = ConversationKey(
            platform="console", workspace_id="local", user_id=user[:128] or "you", conversation_id="console"
        )
        interactive = stdin.isatty()
        if language:
            await services.conversations.choose_language(key, language)
        said = services.content.in_language(await services.conversations.language_for(key))
        stdout.write(said.messages.greeting + "\n" + said.say("console_quit") + "\n")
        while True:
            if interactive:
                stdout.write("\nyou> ")
            stdout.flush()
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            text = line.rstrip("\n")
            if text.strip().lower() in QUIT:
                break
            result = await services.conversations.handle(Inbound(key=key, surface="console", text=text))
            for reply in result.replies:
                stdout.write("\n" + render(reply, services.content.in_language(reply.language).wording) + "\n")
            stdout.flush()
        return 0
    finally:
        await services.close()
