"""Load: 200 managers holding whole conversations on Slack and Teams at once, against `leadbot serve`.

Half the managers are on Slack (signed message.im events, then block_actions
button presses, exactly as Slack sends them to the Request URL), half on Teams
(personal-chat message Activities, then Action.Submit presses on the cards).
Each manager repeats whole conversations for the duration: a problem from the
labelled sets (../shared/eval/public_dev.jsonl, benchmarks/data/holdout.jsonl),
then presses on the choices offered (up to --presses), with a think time
between steps. The fake Slack Web API and fake Bot Framework connectors run in
this process and record every reply.

Workspaces and tenants overlap on purpose: the Slack managers are spread over
--workspaces workspaces (installed through Bolt's OAuth flow) that reuse the
same user and DM ids; the Teams managers over --tenants tenants that reuse the
same user and conversation ids. A reply is routed to its manager by
(bot token -> workspace, channel) or (tenant's connector, conversation), so a
reply that crossed over lands with someone it does not fit.

Checks, per turn: every inbound is acknowledged (2xx) and answered by exactly
the replies leadbot's own dialog engine gives for that manager's conversation
(run here on the same messages and presses, as a reference): the same text
and the same buttons, in that manager's channel or conversation. Anything
missing after --reply-timeout is lost; anything extra is a duplicate; a reply
that does not match (another person's diagnosis, a "that button belongs to an
earlier part" answer) is a mismatch. Server log lines at warning or error
after start-up are counted too.

Two configurations in one run, each next to the bare SDK apps driven the same way:
  1. SQLite, one `leadbot serve` process;
  2. PostgreSQL (a scratch database), two `leadbot serve` replicas behind a round-robin client.
The bare apps (benchmarks/common.py: a slack-bolt AsyncApp and a botbuilder
ActivityHandler that echo, in one aiohttp process like leadbot, as many
replicas as leadbot has) get the same managers, messages and presses.

    python benchmarks/load_test.py [--quick] [--duration 60] [--managers 200] [--think-ms 3000]
                                   [--presses 3] [--configs sqlite,postgres] [--json]
    python benchmarks/load_test.py --soak [MINUTES] [--soak-every 15] [--configs sqlite]

--quick: 10 s per phase. --soak: only leadbot, repeated conversations for
MINUTES (default 3), printing the serve processes' resident memory at intervals.
Figures: turns per second, p50 / p99 latency (inbound POSTed -> last reply
recorded at the fake), leadbot p99 / bare p99 (target <= 1.5), cold start to
/readyz, resident memory under load, CPU per turn.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from benchmarks import common  # noqa: E402
from tests.fakes import slack_requests as rq  # noqa: E402
from tests.fakes import teams_client as tc  # noqa: E402
from tests.fakes.bot_connector import FakeConnector, Sent  # noqa: E402
from tests.fakes.slack_api import Call, FakeSlackApi  # noqa: E402

SECRET = "load-test-signing-secret"
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "load-test-client-secret"
PLATFORMS = ("slack", "teams")
# The dialogs' events for a press that did not move the conversation on (bot/slack/listeners.py):
# no chat.update of the pressed message then.
NOT_ANSWERED = {"duplicate", "unavailable", "error", "conflict", "stale", "state_reset"}
PREFERRED = ("why", "another_step", "done", "useful:yes")  # what a manager presses on a diagnosis, in turn


# --- the reference: leadbot's own dialog engine, run here on each manager's conversation ----------


class Reference:
    """What leadbot should answer, turn by turn, for one conversation at a time (pure, in memory)."""

    def __init__(self, cache_dir: Path):
        from bot.diagnoser import build_diagnoser
        from bot.settings import Settings
        from dialogs.content_loader import load_content
        from dialogs.dialog import Dialog

        settings = Settings(_env_file=None, cache_dir=cache_dir)
        self.content = load_content(settings.content_dir)
        started = time.monotonic()
        diagnoser = build_diagnoser(settings, self.content)
        self.build_seconds = time.monotonic() - started

        class Cached:  # the same text always gets the same diagnosis: diagnose each text once
            ask_below = diagnoser.ask_below
            diagnose = staticmethod(functools.lru_cache(maxsize=4096)(diagnoser.diagnose))

        self.dialog = Dialog(self.content, Cached(), settings.retention_days)

    def turn(self, state, text: str | None = None, value: str | None = None):
        from dialogs.models import ChoicePress, ConversationKey, Inbound
        from dialogs.state import ConversationState

        key = ConversationKey(
            platform="console", workspace_id="reference", user_id="reference", conversation_id="reference"
        )
        state = state or ConversationState()
        if value is not None:
            inbound = Inbound(key=key, surface="button", choice=ChoicePress(value=value, token=state.prompt))
        else:
            inbound = Inbound(key=key, surface="dm", text=text)
        decided = self.dialog.handle(inbound, state)
        return decided.replies, decided.state, decided.event


def choose(live, pressed: set[str], n: int) -> str:
    """What the manager presses: on a diagnosis why, another step, done, then yes (it was useful); else one of the answers."""
    values = [c.value for c in live]
    for value in PREFERRED:
        if value in values and value not in pressed:
            return value
    return values[n % len(values)]


# --- signatures: what a person reads, and the buttons, without the per-prompt token ---------------


def slack_expected(reply) -> tuple[str, list[str]]:
    from bot.slack import blocks

    return blocks.render(reply, show_quote=True).text, [c.label for c in reply.choices]


def slack_seen(call: Call) -> tuple[str, list[str]]:
    return call.text, [b["text"]["text"] for b in call.buttons()]


def teams_expected(reply) -> tuple[str, list[str]]:
    return reply.plain_text(), [c.label for c in reply.choices]


def teams_seen(sent: Sent) -> tuple[str, list[str]]:
    card = sent.card
    if card is None:
        return sent.body.get("text") or "", []
    return card.get("fallbackText") or "", [a.get("title") for a in sent.actions]


def slack_text_as_sent(text: str) -> str:
    """Slack escapes &, < and > in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def teams_text_as_read(text: str) -> str:
    from bot.teams.inbound import WireActivity, message_text

    return message_text(WireActivity(text=text))


def slack_text_as_read(text: str) -> str:
    from bot.slack.inbound import plain_text

    return plain_text(slack_text_as_sent(text))


# --- results ----------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    turns: int = 0
    conversations: int = 0
    http_errors: int = 0
    lost: int = 0
    duplicates: int = 0
    mismatched: int = 0
    updates_missing: int = 0
    mismatch_examples: list[str] = field(default_factory=list)

    def merge(self, other: Tally) -> None:
        for name in ("turns", "conversations", "http_errors", "lost", "duplicates", "mismatched", "updates_missing"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.latencies += other.latencies
        self.mismatch_examples += other.mismatch_examples[: max(0, 3 - len(self.mismatch_examples))]

    @property
    def errors(self) -> int:
        return self.http_errors + self.lost + self.duplicates + self.mismatched + self.updates_missing


@dataclass
class PhaseResult:
    config: str
    app: str  # "leadbot" or "bare"
    tallies: dict[str, Tally]
    wall: float
    starts: list[float]  # seconds from launch to /readyz, per process
    rss_peak: list[float]
    rss_end: list[float]
    cpu: float  # serve processes' CPU seconds during the load
    log_problems: Counter
    stray: int  # replies at the fakes that belong to no manager
    load: float
    slack_api: Counter  # Web API methods the servers called during the load


# --- the managers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchUser(tc.TeamsUser):
    """A Teams user whose personal chat id is the same in every tenant (a deliberate collision)."""

    conversation: str = ""

    @property
    def personal_conversation(self) -> str:
        return self.conversation


@dataclass
class Manager:
    n: int
    platform: str
    workspace: str  # Slack team id or Teams tenant id
    user: str
    conversation: str  # Slack DM channel or Teams conversation id
    texts: list[str]
    rng: random.Random
    replies: asyncio.Queue = field(default_factory=asyncio.Queue)
    updates: asyncio.Queue = field(default_factory=asyncio.Queue)
    tally: Tally = field(default_factory=Tally)
    state: Any = None  # the reference conversation state
    teams_user: BenchUser | None = None


class World:
    """The fakes of both platforms, the HTTP session, and where each reply goes."""

    def __init__(self, reference: Reference, texts: list[str], args: argparse.Namespace):
        self.reference = reference
        self.texts = texts
        self.args = args
        self.slack = FakeSlackApi()
        self.connectors: dict[str, FakeConnector] = {}
        self.tenants = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"leadbot-load-tenant-{i}")) for i in range(args.tenants)]
        self.teams = [f"T0LOAD{i:02d}" for i in range(args.workspaces)]
        self.slack_routes: dict[tuple[str | None, str], Manager] = {}
        self.teams_routes: dict[tuple[str, str | None], Manager] = {}
        self.stray = 0
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        await self.slack.start()
        self.slack.client_id, self.slack.client_secret = CLIENT_ID, CLIENT_SECRET
        for i, team in enumerate(self.teams):
            self.slack.add_workspace(
                team, f"xoxb-load-{i}", bot_user_id=f"U0LOADBOT{i}", bot_id=f"B0LOAD{i}", code=f"code-{i}"
            )
        self.slack.on_call.append(self._slack_arrived)
        for tenant in self.tenants:
            connector = await FakeConnector().start()
            connector.on_sent.append(functools.partial(self._teams_arrived, tenant))
            self.connectors[tenant] = connector
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=60)
        )

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()
        await self.slack.stop()
        for connector in self.connectors.values():
            await connector.stop()

    def forget_calls(self) -> None:
        """The fakes keep every call; a long run needs only the routing (keeps this process small)."""
        self.slack.calls.clear()
        self.slack.attempts.clear()
        for connector in self.connectors.values():
            connector.sent.clear()
            connector.attempts.clear()

    @property
    def slack_workspaces(self) -> dict[str, tuple[str, str]]:
        return {ws.team_id: (ws.token, ws.bot_user_id) for ws in self.slack.workspaces.values()}

    def _slack_arrived(self, call: Call) -> None:
        if call.method not in ("chat.postMessage", "chat.update", "respond"):
            return
        manager = self.slack_routes.get((call.team_id, call.args.get("channel")))
        if manager is None or call.method == "respond":
            self.stray += 1  # nobody's channel in that workspace, or an ephemeral answer nobody should get
            return
        (manager.replies if call.method == "chat.postMessage" else manager.updates).put_nowait((call.at, call))

    def _teams_arrived(self, tenant: str, sent: Sent) -> None:
        now = time.monotonic()
        manager = self.teams_routes.get((tenant, sent.conversation_id))
        if manager is None:
            self.stray += 1
            return
        (manager.replies if sent.kind in ("send", "reply") else manager.updates).put_nowait((now, sent))

    # --- installing leadbot in every Slack workspace (Bolt's OAuth flow, as an admin's browser does) --

    async def install(self, base: str) -> None:
        assert self.session is not None
        for i in range(len(self.teams)):
            async with self.session.get(f"{base}/slack/install") as resp:
                await resp.read()
                state = resp.cookies["slack-app-oauth-state"].value  # the same state is in the authorize link
            async with self.session.get(
                f"{base}/slack/oauth_redirect",
                params={"code": f"code-{i}", "state": state},
                headers={"Cookie": f"slack-app-oauth-state={state}"},
            ) as resp:
                await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"installing in {self.teams[i]} failed: {resp.status}")
            self.slack.oauth_codes[f"code-{i}"] = next(
                ws for ws in self.slack.workspaces.values() if ws.team_id == self.teams[i]
            )

    # --- managers ---------------------------------------------------------------------------

    def managers(self, count: int, tag: str) -> list[Manager]:
        out = []
        half = count // 2
        for n in range(count):
            platform = "slack" if n < half else "teams"
            k = n if platform == "slack" else n - half
            groups = self.teams if platform == "slack" else self.tenants
            workspace = groups[k % len(groups)]
            slot = k // len(groups)  # the same slot number, hence the same ids, in every workspace or tenant
            rng = random.Random(f"{tag}-{n}")
            texts = self.texts[:]
            rng.shuffle(texts)
            if platform == "slack":
                m = Manager(n, platform, workspace, f"U{tag}{slot:05d}", f"D{tag}{slot:05d}", texts, rng)
                self.slack_routes[(workspace, m.conversation)] = m
            else:
                aad = str(uuid.uuid5(uuid.NAMESPACE_URL, f"leadbot-load-user-{tag}-{slot}"))
                conversation = f"a:1{tag}{aad.replace('-', '')}"
                m = Manager(n, platform, workspace, aad, conversation, texts, rng)
                m.teams_user = BenchUser(
                    tenant_id=workspace, aad_object_id=aad, name=f"Manager {slot}", conversation=conversation
                )
                self.teams_routes[(workspace, conversation)] = m
            out.append(m)
        return out

    def drop_routes(self, managers: list[Manager]) -> None:
        for m in managers:
            self.slack_routes.pop((m.workspace, m.conversation), None)
            self.teams_routes.pop((m.workspace, m.conversation), None)


class RoundRobin:
    """The load balancer: each request to the next replica in turn."""

    def __init__(self, urls: list[str]):
        self.urls = urls
        self._next = itertools.count()

    def __call__(self) -> str:
        return self.urls[next(self._next) % len(self.urls)]


# --- one manager's conversations ------------------------------------------------------------------


class Conversation:
    def __init__(self, world: World, m: Manager, pick: RoundRobin, app: str):
        self.world, self.m, self.pick, self.app = world, m, pick, app
        self.args = world.args
        self.session = world.session

    async def post(self, path: str, data: bytes, headers: dict[str, str]) -> bool:
        try:
            async with self.session.post(self.pick() + path, data=data, headers=headers) as resp:
                await resp.read()
                return 200 <= resp.status < 300
        except (TimeoutError, aiohttp.ClientError):
            return False

    async def send_slack(self, text: str | None = None, pressed: tuple[Call, dict] | None = None) -> tuple[float, bool]:
        m = self.m
        if pressed is None:
            envelope = rq.event_envelope(
                m.workspace,
                rq.dm_event(m.workspace, m.user, m.conversation, slack_text_as_sent(text or "")),
                self.bot_user,
            )
            body, ctype = json.dumps(envelope), "application/json"
        else:
            call, button = pressed
            payload = rq.block_actions(
                m.workspace,
                m.user,
                m.conversation,
                button,
                self.world.slack.response_url(f"{m.n}"),
                message=rq.message_of(call),
            )
            body, ctype = urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        started = time.monotonic()
        ok = await self.post("/slack/events", body.encode(), rq.signed_headers(SECRET, body, ctype))
        return started, ok

    @property
    def bot_user(self) -> str:
        return self.world.slack_workspaces[self.m.workspace][1]

    async def send_teams(self, text: str | None = None, pressed: tuple[Sent, dict] | None = None) -> tuple[float, bool]:
        m = self.m
        service_url = self.world.connectors[m.workspace].service_url
        if pressed is None:
            activity = tc.personal_message(service_url, m.teams_user, text or "")
        else:
            card, data = pressed
            activity = tc.submit(service_url, m.teams_user, card, data)
        started = time.monotonic()
        ok = await self.post("/api/messages", json.dumps(activity).encode(), {"Content-Type": "application/json"})
        return started, ok

    async def collect(self, queue: asyncio.Queue, count: int) -> list[tuple[float, Any]]:
        got = []
        deadline = time.monotonic() + self.args.reply_timeout
        while len(got) < count:
            try:
                got.append(await asyncio.wait_for(queue.get(), max(0.001, deadline - time.monotonic())))
            except TimeoutError:
                break
        return got

    def leftovers(self) -> int:
        """Replies that arrived when nothing was awaited: duplicates (or very late ones)."""
        n = 0
        for queue in (self.m.replies, self.m.updates):
            while not queue.empty():
                queue.get_nowait()
                n += 1
        return n

    async def step(self, text: str | None, pressed: Any, value: str | None) -> tuple[Any, list]:
        """Send one inbound; wait for and check its replies.

        Returns the last reply seen and the choices it offers (to press on), or (None, []) when it
        was lost or did not match."""
        m, t, ref = self.m, self.m.tally, self.world.reference
        t.duplicates += self.leftovers()
        read = (
            None if text is None else (slack_text_as_read(text) if m.platform == "slack" else teams_text_as_read(text))
        )
        replies, new_state, event = ref.turn(m.state, text=read, value=value)
        m.state = new_state
        if self.app == "leadbot":
            expected = [(slack_expected if m.platform == "slack" else teams_expected)(r) for r in replies]
        else:
            expected = [self.echo_expected(text, pressed, value)]
        send = self.send_slack if m.platform == "slack" else self.send_teams
        started, ok = await send(text, pressed)
        t.turns += 1
        if not ok:
            t.http_errors += 1
        want_update = (
            self.app == "leadbot" and m.platform == "slack" and value is not None and event not in NOT_ANSWERED
        )
        got = await self.collect(m.replies, len(expected))
        if want_update and len(await self.collect(m.updates, 1)) != 1:
            t.updates_missing += 1
        if len(got) < len(expected):
            t.lost += len(expected) - len(got)
            return None, []
        if got:
            t.latencies.append(got[-1][0] - started)
        seen = [(slack_seen if m.platform == "slack" else teams_seen)(item) for _, item in got]
        if seen != expected:
            t.mismatched += 1
            if len(t.mismatch_examples) < 3:
                t.mismatch_examples.append(
                    f"{m.platform} manager {m.n}: expected {expected[-1][0][:80]!r} {expected[-1][1]}, got {seen[-1][0][:80]!r} {seen[-1][1]}"
                )
            return None, []
        return (got[-1][1], replies[-1].choices) if got else (None, [])

    def echo_expected(self, text: str | None, pressed: Any, value: str | None) -> tuple[str, list[str]]:
        if self.m.platform == "slack":
            return (slack_text_as_sent(text or "") if value is None else f"You pressed: {pressed[1]['value']}"), []
        return (f"You said: {text}" if value is None else f"You pressed: {json.dumps(pressed[1], sort_keys=True)}"), []

    async def think(self) -> None:
        if self.args.think_ms:
            await asyncio.sleep(self.args.think_ms / 1000 * self.m.rng.uniform(0.5, 1.5))

    async def run(self, number: int) -> None:
        """One whole conversation: a problem, then presses on what is offered."""
        m = self.m
        text = m.texts[number % len(m.texts)]
        m.tally.conversations += 1
        last, offered = await self.step(text, None, None)
        pressed_values: set[str] = set()
        for n in range(self.args.presses):
            # the choices on the reply just received (checked to be the ones the reference offers)
            if not offered or last is None:
                return
            value = choose(offered, pressed_values, m.n + n)
            pressed_values.add(value)
            label = next(c.label for c in offered if c.value == value)
            await self.think()
            if self.app == "leadbot":
                pressed = (last, last.button(label)) if m.platform == "slack" else (last, last.action(label)["data"])
            else:
                if m.platform == "slack":
                    pressed = (
                        last,
                        {
                            "action_id": "bare_choice",
                            "value": value,
                            "text": {"type": "plain_text", "text": label, "emoji": True},
                        },
                    )
                else:
                    pressed = (last, {"leadbot": "choice", "value": value, "token": None})
            last, offered = await self.step(None, pressed, value)


async def drive(
    world: World, managers: list[Manager], pick: RoundRobin, app: str, seconds: float, on_tick=None
) -> float:
    """Every manager holds conversations until `seconds` have passed (finishing the one under way)."""
    args = world.args
    started = time.monotonic()
    deadline = started + seconds

    async def one(m: Manager) -> None:
        convo = Conversation(world, m, pick, app)
        if args.think_ms:
            await asyncio.sleep(args.think_ms / 1000 * m.n / len(managers))  # spread the first messages out
        number = 0
        while time.monotonic() < deadline:
            await convo.run(number)
            number += 1
            await convo.think()

    tasks = [asyncio.create_task(one(m)) for m in managers]
    ticker = asyncio.create_task(on_tick()) if on_tick else None
    try:
        await asyncio.gather(*tasks)
    finally:
        if ticker:
            ticker.cancel()
    wall = time.monotonic() - started
    await asyncio.sleep(2)  # anything arriving now is a duplicate
    for m in managers:
        m.tally.duplicates += Conversation(world, m, pick, app).leftovers()
    return wall


# --- processes --------------------------------------------------------------------------------


@dataclass
class Servers:
    procs: list[subprocess.Popen]
    urls: list[str]
    starts: list[float]
    logs: list[Path]
    offsets: list[int]


async def launch(
    world: World, app: str, count: int, database_url: str | None, workdir: Path, cache_dir: Path
) -> Servers:
    """`count` replicas of leadbot serve (or of the bare apps), started together; time each to /readyz."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(workdir),
        "LEADBOT_CACHE_DIR": str(cache_dir),
        "LEADBOT_LOG_LEVEL": "WARNING",
    }
    if app == "leadbot":
        env.update(
            DATABASE_URL=database_url or "",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_CLIENT_ID=CLIENT_ID,
            SLACK_CLIENT_SECRET=CLIENT_SECRET,
            SLACK_API_URL=world.slack.api_url,
        )
    procs, urls, logs = [], [], []
    for i in range(count):
        port = common.free_port()
        log = workdir / f"{app}-{i}-{uuid.uuid4().hex[:4]}.log"
        with open(log, "w") as out:
            if app == "leadbot":
                cmd = [world.args.leadbot, "serve", "--host", "127.0.0.1", "--port", str(port)]
            else:
                cmd = [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--serve-bare",
                    str(port),
                    "--api-url",
                    world.slack.api_url,
                    "--bare-workspaces",
                    json.dumps(world.slack_workspaces),
                ]
            procs.append(subprocess.Popen(cmd, env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT))
        urls.append(f"http://127.0.0.1:{port}")
        logs.append(log)
    launched = time.monotonic()
    try:
        ready = await asyncio.gather(
            *(common.wait_ready(world.session, url, proc) for url, proc in zip(urls, procs, strict=False))
        )
    except BaseException:
        common.stop_all(procs)
        raise
    return Servers(procs, urls, [r - launched for r in ready], logs, [log.stat().st_size for log in logs])


def log_problems(servers: Servers) -> Counter:
    """Warning and error lines the servers logged after they were ready."""
    found: Counter = Counter()
    for log, offset in zip(servers.logs, servers.offsets, strict=False):
        with open(log, "rb") as f:
            f.seek(offset)
            for line in f.read().decode(errors="replace").splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    if line.strip():
                        found[f"unstructured: {line.strip()[:100]}"] += 1
                    continue
                if record.get("level") in ("warning", "error", "critical"):
                    found[f"{record.get('level')}: {record.get('logger')}: {str(record.get('msg'))[:80]}"] += 1
    return found


async def phase(
    world: World,
    config: str,
    app: str,
    replicas: int,
    database_url: str | None,
    workdir: Path,
    cache_dir: Path,
    tag: str,
    seconds: float,
) -> PhaseResult:
    servers = await launch(world, app, replicas, database_url, workdir, cache_dir)
    world.stray = 0
    try:
        if app == "leadbot":
            await world.install(servers.urls[0])
        managers = world.managers(world.args.managers, tag)
        pick = RoundRobin(servers.urls)
        await warm_up(world, managers, pick, app)
        peak = [0.0] * replicas

        async def sample() -> None:
            while True:
                for i, proc in enumerate(servers.procs):
                    peak[i] = max(peak[i], common.rss_mb(proc.pid))
                await asyncio.sleep(1)

        cpu_before = sum(common.cpu_seconds(p.pid) for p in servers.procs)
        calls_before = len(world.slack.calls)
        wall = await drive(world, managers, pick, app, seconds, on_tick=sample)
        slack_api = Counter(c.method for c in world.slack.calls[calls_before:])
        cpu = sum(common.cpu_seconds(p.pid) for p in servers.procs) - cpu_before
        rss_end = [common.rss_mb(p.pid) for p in servers.procs]
        peak = [max(a, b) for a, b in zip(peak, rss_end, strict=False)]
        tallies = {p: Tally() for p in PLATFORMS}
        for m in managers:
            tallies[m.platform].merge(m.tally)
        world.drop_routes(managers)
        world.forget_calls()
        problems = log_problems(servers)
        return PhaseResult(
            config,
            app,
            tallies,
            wall,
            servers.starts,
            peak,
            rss_end,
            cpu,
            problems,
            world.stray,
            os.getloadavg()[0],
            slack_api,
        )
    finally:
        common.stop_all(servers.procs)


async def warm_up(world: World, managers: list[Manager], pick: RoundRobin, app: str) -> None:
    """One conversation for a few managers of each platform (imports, pools, the model), not counted."""
    warm = [m for m in managers if m.platform == "slack"][:3] + [m for m in managers if m.platform == "teams"][:3]
    for m in warm:
        await Conversation(world, m, pick, app).run(len(m.texts) - 1)
    await asyncio.sleep(0.5)
    for m in warm:
        Conversation(world, m, pick, app).leftovers()
        m.tally = Tally()


# --- the report -------------------------------------------------------------------------------


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}" if seconds == seconds else "-"


def report(results: list[PhaseResult], args: argparse.Namespace, extra: dict) -> dict:
    print()
    think = f"think {args.think_ms} ms x U(0.5, 1.5)" if args.think_ms else "no think time (saturated)"
    print(
        f"{args.managers} managers ({args.managers // 2} Slack in {args.workspaces} workspaces, {args.managers - args.managers // 2} Teams in {args.tenants} tenants), "
        f"{args.duration:g} s per phase, {think}, up to {args.presses} presses per conversation; {os.cpu_count()} CPUs"
    )
    print(f"messages: {extra['texts']} from {', '.join(p.name for p in common.EVAL_SETS if p.exists())}")
    print("latency = inbound POSTed -> last reply recorded at the fake; ratio = leadbot p99 / bare p99 (target <= 1.5)")
    print(
        "errors = lost + dup (duplicate or unexpected replies) + mism (replies not matching the manager's own conversation) + http (non-2xx) + Slack presses whose message was not updated"
    )
    header = f"{'configuration':<24}{'platform':<9}{'app':<9}{'turns':>7}{'turns/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'ratio':>7}{'errors':>8}{'lost':>6}{'dup':>5}{'mism':>6}{'http':>6}"
    print(header)
    print("-" * len(header))
    summary: dict = {"phases": [], **extra}
    by = {(r.config, r.app): r for r in results}
    for config in dict.fromkeys(r.config for r in results):
        for platform in PLATFORMS:
            bare = by.get((config, "bare"))
            for app in ("leadbot", "bare"):
                r = by.get((config, app))
                if r is None:
                    continue
                t = r.tallies[platform]
                ratio = ""
                if app == "leadbot" and bare is not None and bare.tallies[platform].latencies and t.latencies:
                    ratio = f"{common.pct(t.latencies, 0.99) / common.pct(bare.tallies[platform].latencies, 0.99):.2f}"
                name = "leadbot" if app == "leadbot" else ("bare bolt" if platform == "slack" else "bare bb")
                print(
                    f"{config:<24}{platform:<9}{name:<9}{t.turns:>7}{t.turns / r.wall:>9.1f}{fmt_ms(common.pct(t.latencies, 0.5)):>8}"
                    f"{fmt_ms(common.pct(t.latencies, 0.99)):>8}{fmt_ms(max(t.latencies, default=float('nan'))):>8}{ratio:>7}"
                    f"{t.errors:>8}{t.lost:>6}{t.duplicates:>5}{t.mismatched:>6}{t.http_errors:>6}"
                )
                summary["phases"].append(
                    {
                        "config": config,
                        "platform": platform,
                        "app": app,
                        "turns": t.turns,
                        "conversations": t.conversations,
                        "turns_per_s": round(t.turns / r.wall, 1),
                        "p50_ms": round(common.pct(t.latencies, 0.5) * 1000, 1),
                        "p99_ms": round(common.pct(t.latencies, 0.99) * 1000, 1),
                        "p99_ratio": float(ratio) if ratio else None,
                        "lost": t.lost,
                        "duplicates": t.duplicates,
                        "mismatched": t.mismatched,
                        "http_errors": t.http_errors,
                        "updates_missing": t.updates_missing,
                    }
                )
    print()
    header = f"{'configuration':<24}{'app':<9}{'procs':>6}{'start->readyz s':>17}{'RSS peak MiB':>14}{'RSS end MiB':>13}{'CPU ms/turn':>13}{'auth.test':>11}{'stray':>7}{'log warn/err':>14}{'load avg':>10}"
    print(header)
    print("-" * len(header))
    for r in results:
        turns = sum(t.turns for t in r.tallies.values())
        starts = "/".join(f"{s:.2f}" for s in r.starts)
        print(
            f"{r.config:<24}{r.app:<9}{len(r.starts):>6}{starts:>17}{'/'.join(f'{x:.0f}' for x in r.rss_peak):>14}"
            f"{'/'.join(f'{x:.0f}' for x in r.rss_end):>13}{r.cpu / max(turns, 1) * 1000:>13.1f}{r.slack_api['auth.test']:>11}{r.stray:>7}{sum(r.log_problems.values()):>14}{r.load:>10.1f}"
        )
        summary.setdefault("processes", []).append(
            {
                "config": r.config,
                "app": r.app,
                "start_s": [round(s, 2) for s in r.starts],
                "rss_peak_mib": [round(x) for x in r.rss_peak],
                "rss_end_mib": [round(x) for x in r.rss_end],
                "cpu_ms_per_turn": round(r.cpu / max(turns, 1) * 1000, 1),
                "stray": r.stray,
                "slack_api_calls": dict(r.slack_api),
                "log_problems": dict(r.log_problems),
            }
        )
    for r in results:
        for problem, count in r.log_problems.most_common(5):
            print(f"  {r.config} {r.app} log: {count} x {problem}")
        for t in r.tallies.values():
            for example in t.mismatch_examples:
                print(f"  {r.config} {r.app} mismatch: {example}")
    total_errors = sum(t.errors for r in results for t in r.tallies.values()) + sum(r.stray for r in results)
    print()
    print(
        f"errors, lost, duplicate, mismatched or stray replies in all phases: {total_errors}"
        + ("  (OK)" if total_errors == 0 else "  (FAILED)")
    )
    ratios = [p["p99_ratio"] for p in summary["phases"] if p["p99_ratio"] is not None]
    if ratios:
        met = all(x <= 1.5 for x in ratios)
        print(
            f"p99 within 1.5x of the bare apps: {'yes' if met else 'no'} (ratios {', '.join(f'{x:.2f}' for x in ratios)})"
        )
    summary["total_errors"] = total_errors
    return summary


# --- soak ------------------------------------------------------------------------------------


async def soak(
    world: World, config: str, replicas: int, database_url: str | None, workdir: Path, cache_dir: Path, minutes: float
) -> int:
    servers = await launch(world, "leadbot", replicas, database_url, workdir, cache_dir)
    every = world.args.soak_every
    samples: list[tuple[float, list[float]]] = []
    try:
        await world.install(servers.urls[0])
        managers = world.managers(world.args.managers, "S")
        pick = RoundRobin(servers.urls)
        await warm_up(world, managers, pick, "leadbot")
        started = time.monotonic()
        print(
            f"soak: {config}, {len(servers.procs)} leadbot serve process(es), {world.args.managers} managers, {minutes:g} min; RSS every {every:g} s"
        )
        print(f"{'t s':>6}{'RSS MiB':>16}{'turns':>8}{'p99 ms':>8}{'errors':>8}")

        async def tick() -> None:
            seen_turns, seen = 0, {m.n: 0 for m in managers}
            while True:
                await asyncio.sleep(every)
                rss = [common.rss_mb(p.pid) for p in servers.procs]
                samples.append((time.monotonic() - started, rss))
                turns = sum(m.tally.turns for m in managers)
                window = [x for m in managers for x in m.tally.latencies[seen[m.n] :]]  # this interval's latencies
                seen = {m.n: len(m.tally.latencies) for m in managers}
                errors = sum(m.tally.errors for m in managers) + world.stray
                print(
                    f"{samples[-1][0]:>6.0f}{'/'.join(f'{x:.1f}' for x in rss):>16}{turns - seen_turns:>8}{fmt_ms(common.pct(window, 0.99)):>8}{errors:>8}",
                    flush=True,
                )
                seen_turns = turns
                world.forget_calls()

        await drive(world, managers, pick, "leadbot", minutes * 60, on_tick=tick)
        errors = sum(m.tally.errors for m in managers) + world.stray
        print(f"turns {sum(m.tally.turns for m in managers)}, errors/lost/duplicates/mismatches {errors}")
        if len(samples) >= 4:
            quarter = max(1, len(samples) // 4)
            for i in range(len(servers.procs)):
                early = sorted(s[1][i] for s in samples[quarter : 2 * quarter])
                late = sorted(s[1][i] for s in samples[-quarter:])
                e, l_ = early[len(early) // 2], late[len(late) // 2]
                print(
                    f"process {i}: median RSS {e:.1f} MiB in the second quarter, {l_:.1f} MiB in the last quarter: {l_ - e:+.1f} MiB ({(l_ - e) / e * 100:+.1f}%)"
                )
        for problem, count in log_problems(servers).most_common(5):
            print(f"  log: {count} x {problem}")
        return 0 if errors == 0 else 1
    finally:
        common.stop_all(servers.procs)


# --- main ------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> int:
    tmp = tempfile.TemporaryDirectory(prefix="leadbot-load-")
    workdir = Path(tmp.name)
    cache_dir = Path(os.environ.get("LEADBOT_CACHE_DIR") or Path.home() / ".cache" / "leadbot")
    reference = Reference(cache_dir)
    texts = common.eval_texts()
    world = World(reference, texts, args)
    await world.start()
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    results: list[PhaseResult] = []
    extra = {"reference_build_s": round(reference.build_seconds, 2), "texts": len(texts)}
    tags = iter("ABCDEFGHJKLMNPQRSTUVWXYZ")
    try:
        for config in configs:
            if config == "sqlite":
                name, replicas = "SQLite, 1 process", 1
                ctx = _Sqlite(workdir)
            elif config == "postgres":
                name, replicas = "PostgreSQL, 2 replicas", args.pg_replicas
                name = f"PostgreSQL, {replicas} replicas"
                ctx = common.scratch_postgres(args.postgres, prefix="leadbot_load")
            else:
                raise SystemExit(f"unknown configuration {config!r} (sqlite, postgres)")
            async with ctx as database_url:
                if args.soak is not None:
                    return await soak(world, name, replicas, database_url, workdir, cache_dir, args.soak)
                order = ("leadbot", "bare") if len(results) % 4 == 0 else ("bare", "leadbot")
                for app in order:
                    print(f"{name}: {app} ...", flush=True)
                    results.append(
                        await phase(
                            world, name, app, replicas, database_url, workdir, cache_dir, next(tags), args.duration
                        )
                    )
    finally:
        await world.stop()
        tmp.cleanup()
    summary = report(results, args, extra)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"this bench process (fakes, managers, reference engine): {usage.ru_utime + usage.ru_stime:.0f} s CPU; reference model ready in {reference.build_seconds:.1f} s"
    )
    if args.json:
        print(json.dumps(summary))
    return 0 if summary["total_errors"] == 0 else 1


class _Sqlite:
    def __init__(self, workdir: Path):
        self.path = workdir / f"load-{uuid.uuid4().hex[:6]}.db"

    async def __aenter__(self) -> str:
        return f"sqlite+aiosqlite:///{self.path}"

    async def __aexit__(self, *exc) -> None:
        for p in self.path.parent.glob(self.path.name + "*"):
            p.unlink(missing_ok=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60, help="seconds of load per phase (default 60)")
    parser.add_argument("--quick", action="store_true", help="10 s per phase")
    parser.add_argument(
        "--managers", type=int, default=200, help="simulated managers, half on each platform (default 200)"
    )
    parser.add_argument("--workspaces", type=int, default=4, help="Slack workspaces the Slack managers are spread over")
    parser.add_argument("--tenants", type=int, default=4, help="Teams tenants the Teams managers are spread over")
    parser.add_argument(
        "--think-ms",
        type=int,
        default=3000,
        help="mean pause before each message or press (x U(0.5, 1.5)); 0 = saturated",
    )
    parser.add_argument(
        "--presses", type=int, default=3, help="button presses per conversation at most (while choices are offered)"
    )
    parser.add_argument(
        "--reply-timeout", type=float, default=30, help="seconds to wait for a reply before counting it lost"
    )
    parser.add_argument("--configs", default="sqlite,postgres", help="which configurations, in order: sqlite, postgres")
    parser.add_argument(
        "--postgres", default=common.PG_ADMIN, metavar="ADMIN_URL", help="PostgreSQL server for the scratch database"
    )
    parser.add_argument("--pg-replicas", type=int, default=2, help="leadbot serve replicas on PostgreSQL (default 2)")
    parser.add_argument(
        "--soak",
        type=float,
        nargs="?",
        const=3.0,
        metavar="MINUTES",
        help="soak mode: leadbot only, for MINUTES (default 3)",
    )
    parser.add_argument("--soak-every", type=float, default=15, help="soak: seconds between RSS samples")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    parser.add_argument(
        "--leadbot",
        default=common.LEADBOT,
        metavar="PATH",
        help="the leadbot command to serve (another checkout's, to compare two versions)",
    )
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--bare-workspaces", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        workspaces = json.loads(args.bare_workspaces)
        common.serve_bare(
            args.serve_bare,
            slack={
                "secret": SECRET,
                "api_url": args.api_url,
                "workspaces": {k: tuple(v) for k, v in workspaces.items()},
            },
            teams=True,
        )
        sys.exit(0)
    if args.quick:
        args.duration = 10
    args.leadbot = str(Path(args.leadbot).absolute())
    sys.exit(asyncio.run(main(args)))
