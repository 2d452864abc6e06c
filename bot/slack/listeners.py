"""Bolt listeners: acknowledge, translate to an Inbound, hand it to the turn router, render, send.

Every listener acknowledges before anything slow (events are acknowledged by
Bolt before the listener starts). Listeners run in tasks Bolt starts after
the ack, so the work never delays it. What a message means (a nudge command,
a poll vote, a conversation turn) is the router's decision; a listener only
decides where the answer goes.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks, inbound, outbox
from bot.slack.failures import delivery_for
from bot.slack.home import LANGUAGE_ACTION, LANGUAGE_NAMES, QUOTES_ACTION, home_view
from bot.slack.inbound import is_dm
from bot.slack.outbox import Channel, Destination, Ephemeral
from bot.slack.prefs import Prefs
from bot.slack.runtime import SlackRuntime
from dialogs import language
from dialogs.models import ConversationKey, Inbound, Reply

log = logging.getLogger(__name__)


def _ephemeral(body: dict) -> Ephemeral:
    """Only the person who typed the command or pressed the button sees the answer: their response_url."""
    url = body.get("response_url")
    return Ephemeral(url if isinstance(url, str) else None)


def _user_of(body: dict, event: dict | None) -> str | None:
    """Who sent the event, typed the command or pressed the button, if the payload says."""
    if event is not None:
        user = event.get("user")
    elif isinstance(body.get("user"), dict):  # a button press
        user = body["user"].get("id")
    else:  # a slash command
        user = body.get("user_id")
    return user if isinstance(user, str) else None


# A press whose turn gave one of these did not move the conversation on: the pressed message keeps its buttons.
NOT_ANSWERED = {"duplicate", "unavailable", "error", "conflict", "stale", "state_reset"}


class Listeners:
    def __init__(self, runtime: SlackRuntime):
        self.rt = runtime

    def register(self, app: AsyncApp) -> None:
        work = [self.rt.begin]  # admitted as a turn, or answered "busy" (self.busy)
        t = self.rt.tracked
        app.event("message", middleware=work)(t(self.on_message, self.busy))
        app.event("app_mention", middleware=work)(t(self.on_mention, self.busy))
        app.event("app_home_opened", middleware=work)(t(self.on_home_opened, self.busy))
        app.command(re.compile(r"^/"), middleware=work)(t(self.on_command, self.busy))
        app.block_action(blocks.CONTINUE_ACTION, middleware=work)(t(self.on_continue_privately, self.busy))
        app.block_action(QUOTES_ACTION, middleware=work)(t(self.on_home_quotes, self.busy))
        app.block_action(LANGUAGE_ACTION, middleware=work)(t(self.on_home_language, self.busy))
        app.block_action(re.compile("^" + re.escape(blocks.CHOICE_ACTION)), middleware=work)(
            t(self.on_choice, self.busy)
        )
        app.block_action(re.compile(".*"), middleware=work)(t(self.on_unknown_button, self.busy))
        if app.installation_store is not None:
            # Bolt's own listeners: uninstalling, or revoking the tokens, deletes the workspace's installation.
            # Never refused: nobody would be told, and a revoked token must not stay usable.
            always = [self.rt.begin_always]
            app.event("app_uninstalled", middleware=always)(t(app.default_app_uninstalled_event_listener()))
            app.event("tokens_revoked", middleware=always)(t(app.default_tokens_revoked_event_listener()))
        # Last: any other event type is acknowledged (Bolt does that for events) and ignored.
        app.event(re.compile(".*"))(self.on_other_event)

    # --- past the bound on turns in flight ---------------------------------

    async def busy(
        self, body: dict, context: Any, client: AsyncWebClient, ack=None, event: dict | None = None, **_: Any
    ) -> None:
        """Not admitted (LEADBOT_MAX_TURNS_IN_FLIGHT reached, or shutting down): tell the person at once,
        where the answer would have gone. Nothing touches the database."""
        if ack is not None:
            await ack()
        dest: Destination | None = None
        surface = "events"
        if "command" in body or body.get("type") == "block_actions":
            if body.get("response_url"):
                dest, surface = _ephemeral(body), "slash" if "command" in body else "button"
        elif (
            event is not None
            and event.get("type") == "message"
            and inbound.is_answerable_dm(event, context.bot_user_id)
        ):
            dest, surface = Channel(event["channel"], thread_ts=event.get("thread_ts")), "dm"
        elif (
            event is not None
            and event.get("type") == "app_mention"
            and inbound.is_answerable_mention(event, context.bot_user_id)
        ):
            dest, surface = Channel(event["channel"], thread_ts=event.get("thread_ts") or event.get("ts")), "mention"
        if dest is None:
            return  # App Home opened, a bot's own message...: nobody is waiting for an answer
        # The language from what is already in memory: the words, the person's remembered choice, their locale.
        workspace, user = inbound.workspace_of(context, body), _user_of(body, event)
        text = (event or {}).get("text") if event is not None else body.get("text")
        stored = self.rt.prefs.remembered(workspace, user) if workspace and user else None
        locale = self.rt.locales.remembered(workspace, user) if workspace and user else None
        reply = self.rt.router.busy(
            "slack", surface, text if isinstance(text, str) else None, locale, stored.language if stored else None
        )
        await outbox.send(client, dest, [blocks.render(reply, words=self.words([reply]))], self.rt.metrics)

    # --- messages ---------------------------------------------------------

    async def on_message(self, body: dict, event: dict, context: Any, client: AsyncWebClient) -> None:
        if not inbound.is_answerable_dm(event, context.bot_user_id):
            log.debug(
                "message ignored", extra={"subtype": event.get("subtype"), "channel_type": event.get("channel_type")}
            )
            return
        msg = inbound.message_inbound(body, event, inbound.workspace_of(context, body), "dm")
        if msg is not None:
            await self.answer(client, msg, Channel(event["channel"], thread_ts=event.get("thread_ts")))

    async def on_mention(self, body: dict, event: dict, context: Any, client: AsyncWebClient) -> None:
        if not inbound.is_answerable_mention(event, context.bot_user_id):
            return
        msg = inbound.message_inbound(body, event, inbound.workspace_of(context, body), "mention")
        if msg is not None:
            thread = event.get("thread_ts") or event.get("ts")
            # In a channel the answer is the gist, with a button to carry on privately.
            await self.answer(client, msg, Channel(event["channel"], thread_ts=thread), short=msg.in_channel)

    async def on_command(self, ack, command: dict, body: dict, context: Any, client: AsyncWebClient) -> None:
        await ack()
        msg = inbound.slash_inbound(command, inbound.workspace_of(context, body))
        if msg is not None:
            await self.answer(client, msg, _ephemeral(body))

    # --- buttons ----------------------------------------------------------

    async def on_choice(self, ack, body: dict, action: dict, context: Any, client: AsyncWebClient) -> None:
        await ack()
        decoded = blocks.decode_choice(action.get("value"))
        if decoded is None:
            await self.unknown_press(body, context, client)
            return
        token, value = decoded
        msg = inbound.press_inbound(body, inbound.workspace_of(context, body), token, value)
        if msg is None:
            return
        container = body.get("container") or {}
        message = body.get("message")
        if container.get("is_ephemeral") or not isinstance(message, dict):
            await self.answer(client, msg, _ephemeral(body))
            return
        show_quotes = self.prefetch_show_quotes(msg)
        routed = await self.rt.router.route(msg)
        channel = msg.key.conversation_id
        if routed.kind == "poll_vote":
            # The new counts are on the nudge itself; the thanks is for the voter only.
            await self.reply(client, msg.key, routed.replies, _ephemeral(body), show_quotes=show_quotes)
            return
        thread = container.get("thread_ts") or message.get("thread_ts")
        dest: Destination = Channel(channel, thread_ts=thread)
        work = []
        if routed.event == "stale" and not is_dm(channel):
            dest = _ephemeral(body)  # someone else's buttons, or old ones: only the presser needs to know
        elif routed.event not in NOT_ANSWERED and container.get("message_ts"):
            # the pressed message keeps its content, loses its buttons and says what was chosen
            label = (action.get("text") or {}).get("text") or ""
            kept = blocks.chosen(message.get("blocks") or [], label, self.words(routed.replies))
            text = message.get("text") or blocks.ELLIPSIS
            work.append(outbox.update(client, channel, container["message_ts"], text, kept, self.rt.metrics))
        # The edit of the pressed message and the answer do not depend on each other: one round trip, not two.
        short = isinstance(dest, Channel) and not is_dm(channel)
        work.append(self.reply(client, msg.key, routed.replies, dest, short=short, show_quotes=show_quotes))
        await asyncio.gather(*work)

    async def on_unknown_button(self, ack, body: dict, context: Any, client: AsyncWebClient) -> None:
        await ack()
        await self.unknown_press(body, context, client)

    async def unknown_press(self, body: dict, context: Any, client: AsyncWebClient) -> None:
        """A press we never rendered: the dialogs answer it as a stale press, only to the presser."""
        log.info("unrecognised button press", extra={"platform": "slack"})
        msg = inbound.press_inbound(body, inbound.workspace_of(context, body), None, "")
        if msg is None or not body.get("response_url"):
            return
        await self.answer(client, msg, _ephemeral(body))

    async def on_continue_privately(self, ack, body: dict, context: Any, client: AsyncWebClient) -> None:
        await ack()
        workspace = inbound.workspace_of(context, body)
        user, channel = inbound.press_user(body), inbound.press_channel(body)
        source = inbound.key(workspace, user, channel)
        if source is None:
            return
        try:
            has_state = await self.rt.services.store.load_state(source) is not None
        except Exception:
            has_state = True
        if not has_state:
            # Someone else's thread, or already moved: nothing to carry, and nothing to overwrite.
            note = self.words([])["slack_nothing_to_continue"]
            await outbox.send(client, _ephemeral(body), [blocks.notice(note)], self.rt.metrics)
            return
        try:
            opened = await client.conversations_open(users=user)
            dm = opened["channel"]["id"]
        except Exception as exc:
            outbox.failed(self.rt.metrics, "conversations.open", delivery_for(exc))
            return
        target = source.model_copy(update={"conversation_id": dm})
        result = await self.rt.router.move(source, target)
        if result.event == "moved":
            container = body.get("container") or {}
            message = body.get("message") if isinstance(body.get("message"), dict) else {}
            if container.get("message_ts") and not container.get("is_ephemeral"):
                kept = blocks.continued(message.get("blocks") or [], self.words(result.replies))
                text = message.get("text") or blocks.ELLIPSIS
                await outbox.update(client, channel, container["message_ts"], text, kept, self.rt.metrics)
        await self.reply(client, target, result.replies, Channel(dm))

    # --- App Home ---------------------------------------------------------

    async def on_home_opened(self, body: dict, event: dict, context: Any, client: AsyncWebClient) -> None:
        if event.get("tab") != "home" or not isinstance(event.get("user"), str):
            return
        await self.publish_home(client, inbound.workspace_of(context, body), event["user"])

    async def on_home_quotes(self, ack, body: dict, action: dict, context: Any, client: AsyncWebClient) -> None:
        await ack()
        workspace, user = inbound.workspace_of(context, body), inbound.press_user(body)
        if not workspace or not user:
            return
        try:
            prefs = await self.rt.prefs.load(workspace, user)  # keeps the person's language as it is
            await self.rt.prefs.save(
                workspace, user, prefs.model_copy(update={"show_quotes": action.get("value") == "on"})
            )
        except Exception:
            log.warning("could not save settings", exc_info=True)
        await self.publish_home(client, workspace, user)

    async def on_home_language(self, ack, body: dict, action: dict, context: Any, client: AsyncWebClient) -> None:
        """Cymraeg / English on the Home tab: the same remembered choice as saying it in a message."""
        await ack()
        workspace, user = inbound.workspace_of(context, body), inbound.press_user(body)
        code = action.get("value")
        if not workspace or not user or code not in LANGUAGE_NAMES:
            return
        try:
            prefs = await self.rt.prefs.load(workspace, user)
            await self.rt.prefs.save(workspace, user, prefs.model_copy(update={"language": code}))
        except Exception:
            log.warning("could not save settings", exc_info=True)
        await self.publish_home(client, workspace, user)

    async def publish_home(self, client: AsyncWebClient, workspace: str | None, user: str) -> None:
        prefs = Prefs()
        if workspace:
            try:
                prefs = await self.rt.prefs.load(workspace, user)
            except Exception:
                log.warning("settings unavailable; using defaults", exc_info=True)
        code = prefs.language
        if code is None and workspace:
            code = language.fallback(
                stored=None,
                locale=await self.rt.locales.locale(client, workspace, user),
                default=self.rt.settings.language,
            )
        content = self.rt.services.content.in_language(code or self.rt.settings.language)
        view = home_view(content, self.rt.settings.retention_days, prefs, self.rt.settings.audit_days)
        try:
            await client.views_publish(user_id=user, view=view)
        except Exception as exc:
            outbox.failed(self.rt.metrics, "views.publish", delivery_for(exc))

    # --- everything else --------------------------------------------------

    async def on_other_event(self, event: dict) -> None:
        log.debug("event ignored", extra={"event_type": str(event.get("type"))[:64]})

    # --- the turn ---------------------------------------------------------

    def words(self, replies: list[Reply]):
        """Slack's own phrases in the language of these replies (or the default language)."""
        code = replies[0].language if replies else self.rt.settings.language
        return self.rt.services.content.in_language(code).wording

    async def answer(self, client: AsyncWebClient, msg: Inbound, dest: Destination, short: bool = False) -> None:
        """Route the turn and send its replies to `dest`. Only a conversation's answer is ever shortened."""
        if msg.choice is None and msg.key.workspace_id:
            # Slack sends no locale with a message: ask once per person, then from memory.
            msg = msg.model_copy(
                update={"locale": await self.rt.locales.locale(client, msg.key.workspace_id, msg.key.user_id)}
            )
        show_quotes = self.prefetch_show_quotes(msg)
        routed = await self.rt.router.route(msg)
        if routed.event == "forget":
            self.rt.prefs.forget(msg.key.workspace_id, msg.key.user_id)
        short = short and routed.kind == "conversation"
        await self.reply(client, msg.key, routed.replies, dest, short=short, show_quotes=show_quotes)

    def prefetch_show_quotes(self, msg: Inbound) -> asyncio.Task[bool] | None:
        """Read the manager's quote setting alongside a conversation turn rather than after it.

        On PostgreSQL it comes over another pooled connection, so it costs the reply no
        time; on SQLite's one connection it queues, as it did after the turn.
        """
        if self.rt.services.db.dialect.name != "postgresql" or self.rt.router.is_nudge(msg):
            return None
        return asyncio.create_task(self.rt.show_quotes(msg.key.workspace_id, msg.key.user_id))

    async def reply(
        self,
        client: AsyncWebClient,
        key: ConversationKey,
        replies: list[Reply],
        dest: Destination,
        short: bool = False,
        show_quotes: asyncio.Task[bool] | None = None,
    ) -> None:
        show = True
        if show_quotes is not None:
            show = await show_quotes  # started with the turn, so done by now; awaited even when unused
        elif any(r.quote for r in replies):
            show = await self.rt.show_quotes(key.workspace_id, key.user_id)
        if not replies:
            return
        rendered = []
        for i, r in enumerate(replies):
            last = i == len(replies) - 1
            words = self.words([r])
            extra = [blocks.continue_button(words)] if short and last and r.kind != "error" else None
            rendered.append(blocks.render(r, show_quote=show, short=short, extra=extra, words=words))
        await outbox.send(client, dest, rendered, self.rt.metrics)
