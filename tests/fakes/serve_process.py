"""`leadbot serve` as a separate OS process, the way an operator runs it, for tests where process behaviour matters.

    proc = await ServeProcess.start(env, workdir)   # waits for GET /healthz
    await proc.get("/readyz")                       # (status, json)
    proc.send_signal(signal.SIGTERM); await proc.wait()
    proc.logs()                                     # every JSON log line it wrote on stderr

Settings come only from the environment given (the developer's own environment
and .env file are not read: the process runs in an empty working directory).
`SlackDm` and `SlackPress` talk to it as Slack does; replies are what the fake
Slack Web API recorded.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp

from tests.fakes import slack_requests as rq
from tests.fakes.private_pg import free_port
from tests.fakes.slack_api import Call, FakeSlackApi, Workspace

LEADBOT = str(Path(sys.executable).parent / "leadbot")
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TOKEN = "xoxb-T0FAULTS-token"

# Settings we pass through from the test environment (the rest are dropped so a developer's own values cannot leak in).
KEEP = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "LEADBOT_CACHE_DIR",
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
    "PYTHONPATH",
)


def serve_env(database_url: str, slack: FakeSlackApi | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in KEEP}
    env.update(DATABASE_URL=database_url, LEADBOT_LOG_LEVEL="INFO", PYTHONUNBUFFERED="1")
    if slack is not None:
        env.update(SLACK_BOT_TOKEN=SLACK_TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.api_url)
    env.update(extra)
    return env


class ServeProcess:
    def __init__(self, proc: asyncio.subprocess.Process, port: int):
        self.proc = proc
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.lines: list[str] = []
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    @classmethod
    async def start(cls, env: dict[str, str], workdir: Path, ready_timeout: float = 60) -> ServeProcess:
        workdir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        proc = await asyncio.create_subprocess_exec(
            LEADBOT,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            cwd=str(workdir),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        served = cls(proc, port)
        try:
            await served.wait_healthy(ready_timeout)
        except BaseException:
            await served.kill()
            raise
        return served

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        async for raw in self.proc.stderr:
            async with self._changed:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                self._changed.notify_all()

    async def wait_healthy(self, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as probe:
            while True:
                if self.proc.returncode is not None:
                    raise AssertionError(f"leadbot serve exited with {self.proc.returncode}: {self.stderr_tail()}")
                try:
                    async with probe.get(f"{self.url}/healthz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if loop.time() > deadline:
                    raise AssertionError(f"leadbot serve did not come up: {self.stderr_tail()}")
                await asyncio.sleep(0.1)

    # --- talking to it ----------------------------------------------------------------

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.http.get(self.url + path) as resp:
            body = await resp.text()
            try:
                return resp.status, json.loads(body)
            except ValueError:
                return resp.status, body

    async def metrics(self) -> str:
        status, body = await self.get("/metrics")
        assert status == 200
        return body

    def slack(self) -> rq.SlackSender:
        return rq.SlackSender(self.http, self.url, SECRET)

    # --- its log --------------------------------------------------------------------

    def logs(self) -> list[dict]:
        out = []
        for line in self.lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"unparsed": line})
        return out

    def stderr_tail(self, n: int = 40) -> str:
        return "\n".join(self.lines[-n:])

    async def wait_log(self, predicate, timeout: float = 30) -> dict:
        """The first log record matching `predicate`, waiting for it to be written."""

        def found():
            return next((r for r in self.logs() if predicate(r)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), timeout)
        return found()

    # --- stopping it ----------------------------------------------------------------

    def send_signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    async def wait(self, timeout: float = 30) -> int:
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        await asyncio.wait_for(self._reader, 5)
        return code

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()
        try:
            await asyncio.wait_for(self._reader, 5)
        except (TimeoutError, asyncio.CancelledError):
            self._reader.cancel()
        await self.http.close()


class SlackPerson:
    """One manager in one Slack workspace, writing to a `leadbot serve` process (any replica)."""

    def __init__(
        self, fake: FakeSlackApi, workspace: Workspace, user: str = "U0FAULTY1", dm_channel: str = "D0FAULTY1"
    ):
        self.fake, self.workspace, self.user, self.dm_channel = fake, workspace, user, dm_channel

    def posts(self) -> list[Call]:
        return self.fake.of("chat.postMessage", channel=self.dm_channel)

    async def dm(self, served: ServeProcess, text: str, timeout: float = 30) -> Call:
        before = len(self.posts())
        event = rq.dm_event(self.workspace.team_id, self.user, self.dm_channel, text)
        resp = await served.slack().event(rq.event_envelope(self.workspace.team_id, event, self.workspace.bot_user_id))
        assert resp.status == 200, resp.status
        [reply] = (
            await self.fake.wait_for("chat.postMessage", count=before + 1, timeout=timeout, channel=self.dm_channel)
        )[before:]
        return reply

    async def press(self, served: ServeProcess, message: Call, label: str, timeout: float = 30) -> Call:
        before = len(self.posts())
        payload = rq.block_actions(
            self.workspace.team_id,
            self.user,
            self.dm_channel,
            message.button(label),
            self.fake.response_url(f"press-{self.user}"),
            message=rq.message_of(message),
        )
        resp = await served.slack().interaction(payload)
        assert resp.status == 200, resp.status
        posts = await self.fake.wait_for("chat.postMessage", count=before + 1, timeout=timeout, channel=self.dm_channel)
        return posts[before]


def metric(text: str, name: str, **labels: str) -> float:
    """One sample's value from Prometheus text output (0 when the labelled series has no sample yet)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0
