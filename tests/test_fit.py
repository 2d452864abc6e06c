"""Advice fitted to what the manager said, held to a hand-labelled set (benchmarks/data/fit_set.yaml).

Each message there was written for this project and labelled by a person: the
diagnosis, what the message really says about the team's circumstances, the
next steps a coach would accept and those that would be wrong (mostly steps
that take for granted something the message never said).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

from dialogs.diagnosis.types import Diagnosis
from dialogs.selection import Fit, advice_for, next_step, ranked_principles
from dialogs.situations import situations_in
from tests.conftest import LEADBOT, ROOT
from tests.test_dialogs import FixedDiagnoser, make, press, say

CASES = yaml.safe_load((ROOT / "benchmarks" / "data" / "fit_set.yaml").read_text())["messages"]


def _fit(content, case, seed: int = 0) -> Fit:
    said = situations_in(content, case["text"])
    return Fit.of(
        content, case["first_move"], case["problem"], case.get("pattern"), case.get("both", False), said, seed
    )


def _every_step_offered(content, fit: Fit) -> list[str]:
    """The first step and every *another step* after it, until the bot has none left."""
    shown: list[str] = []
    while (step := next_step(content, fit, shown)) is not None:
        shown.append(step.id)
    return shown


def test_the_fit_set_names_only_real_steps_principles_and_situations(content):
    for case in CASES:
        for key in ("accept", "wrong"):
            assert set(case[key]) <= set(content.next_steps), (
                case["id"],
                key,
                set(case[key]) - set(content.next_steps),
            )
        assert set(case.get("wrong_principles", [])) <= set(content.principles), case["id"]
        assert set(case["situations"]) <= set(content.situations), case["id"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_no_step_a_coach_would_call_wrong_is_ever_offered(content, case):
    offered = _every_step_offered(content, _fit(content, case))
    assert offered, "there is always something to suggest"
    assert not set(offered) & set(case["wrong"]), (
        f"{case['text']!r} was offered {sorted(set(offered) & set(case['wrong']))}"
    )


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_the_first_step_is_one_a_coach_would_accept(content, diagnoser, case):
    seed = diagnoser.diagnose(case["text"]).seed
    first = next_step(content, _fit(content, case, seed), [])
    assert first.id in case["accept"], f"{case['text']!r} got {first.id}"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_no_principle_that_does_not_fit_can_be_shown(content, case):
    """Not the first one, nor any a later *not quite* could bring."""
    allowed = {p.id for p in ranked_principles(content, _fit(content, case))}
    assert not allowed & set(case.get("wrong_principles", [])), case["text"]


@pytest.mark.parametrize(
    "first_move,problem",
    [("lead", "uncertainty"), ("lead", "confidence"), ("manage", "inconsistency"), ("manage", "control")],
)
def test_steps_that_assume_nothing_are_offered_when_nothing_specific_was_said(content, first_move, problem):
    """A message with no situation still gets steps: general ones for its problem, never a specific one."""
    fit = Fit.of(content, first_move, problem, None, False, [], 0)
    offered = _every_step_offered(content, fit)
    assert len(offered) >= 3 and all(not content.next_steps[s].needs for s in offered)


async def test_why_names_only_situations_the_message_really_mentioned(content, diagnoser):
    checked = 0
    for case in CASES:
        signals = diagnoser.diagnose(case["text"]).signals
        reading = {k: case.get(k) for k in ("first_move", "problem", "pattern")} | {
            "both": case.get("both", False),
            "signals": signals,
        }
        service, _ = make(content, FixedDiagnoser(diagnoser, **reading))
        [reply] = await say(service, case["text"])
        if reply.kind == "escalation":
            continue  # the real diagnoser routed it to people: nothing to explain
        [why] = await press(service, reply, "why")
        text = " ".join(why.lines)
        claimed = {s.id for s in content.situations.values() if s.mentioned in text}
        assert claimed <= set(case["situations"]), (case["id"], claimed - set(case["situations"]))
        checked += bool(claimed)
    assert checked >= 20, "most replies fitted to a situation say which one"


def test_leadbot_diagnose_and_a_conversation_give_the_same_principle_and_step(content, diagnoser, tmp_path):
    """Same message, same advice: `leadbot diagnose --jsonl`, `leadbot diagnose TEXT` and `leadbot chat`."""
    env = dict(os.environ, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/chat.db")
    lines = "\n".join(json.dumps({"id": c["id"], "text": c["text"]}) for c in CASES) + "\n"
    out = subprocess.run(
        [LEADBOT, "diagnose", "--jsonl"], input=lines, capture_output=True, text=True, timeout=300, env=env
    )
    assert out.returncode == 0, out.stderr
    records = {r["id"]: r for r in map(json.loads, out.stdout.splitlines())}
    committed = []
    for case in CASES:
        d: Diagnosis = diagnoser.diagnose(case["text"])
        rec = records[case["id"]]
        if d.first_move not in ("lead", "manage"):
            continue
        d.situations = situations_in(content, case["text"])
        advice = advice_for(content, Fit.of(content, d.first_move, d.problem, d.pattern, d.both, d.situations, d.seed))
        assert (rec["principle"]["id"], rec["next_step"]["id"]) == (advice.principle.id, advice.step.id), case["id"]
        if d.confidence >= diagnoser.ask_below:
            committed.append((case, advice))
    assert len(committed) >= 10
    for case, advice in committed[:3]:
        said = subprocess.run(
            [LEADBOT, "diagnose", case["text"]], capture_output=True, text=True, timeout=120, env=env
        ).stdout
        chat = subprocess.run(
            [LEADBOT, "chat", "--user", case["id"]],
            input=case["text"] + "\n",
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        ).stdout
        flat_chat = " ".join(chat.split())
        assert advice.principle.quote.text in said and advice.step.text in said
        assert advice.principle.quote.text in flat_chat and advice.step.text in flat_chat, case["id"]
