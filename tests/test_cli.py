"""The `leadbot` command as a user runs it: a subprocess of the installed console script."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.conftest import LEADBOT

pytestmark = pytest.mark.process  # starts leadbot or other OS processes

TIMEOUT = 120


def run(args: list[str], stdin: str = "", env_extra: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [LEADBOT, *args], input=stdin, capture_output=True, text=True, timeout=TIMEOUT, env=env, cwd=cwd
    )


@pytest.fixture
def db_env(tmp_path) -> dict:
    return {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}


def test_no_command_prints_help():
    result = run([])
    assert result.returncode == 2 and "chat" in result.stdout and "diagnose" in result.stdout


def test_diagnose_text_prints_a_readable_diagnosis():
    result = run(["diagnose", "a carer has been taking money from a client's purse"])
    assert result.returncode == 0
    assert result.stdout.startswith("First move: escalate")


def test_diagnose_without_text_explains_itself():
    result = run(["diagnose"])
    assert result.returncode == 2 and "give a message" in result.stderr


def test_diagnose_jsonl_contract_and_bad_lines(tmp_path):
    lines = [
        json.dumps({"id": "a", "text": "my manager told us to change the dates on the audit records"}),
        "this is not json",
        json.dumps({"id": "b"}),
        json.dumps(["not", "an", "object"]),
        "",
        json.dumps({"id": 7, "text": "number id"}),
        json.dumps({"id": "c", "text": "hello"}),
        json.dumps({"id": "d", "text": "nobody knows who owns the repairs queue and jobs get done twice"}),
    ]
    result = run(["diagnose", "--jsonl"], stdin="\n".join(lines) + "\n")
    assert result.returncode == 2, "bad lines make the run exit 2 at the end"
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 7, "one output per input line (blank lines are not inputs)"
    assert out[0]["id"] == "a" and out[0]["first_move"] == "escalate"
    assert set(out[0]) == {
        "id",
        "first_move",
        "problem",
        "both",
        "pattern",
        "topic",
        "confidence",
        "principle",
        "next_step",
    }
    assert out[0]["topic"] == "whistleblowing", "being told to alter records goes to the speak-up route"
    assert out[0]["problem"] is None and out[0]["both"] is False and out[0]["pattern"] is None
    assert out[1] == {"id": None, "error": "line 2: not valid JSON (Expecting value)"}
    assert out[2]["id"] == "b" and "text must be a string" in out[2]["error"]
    assert out[3]["id"] is None and "object" in out[3]["error"]
    assert out[4]["id"] == 7 and "id must be" in out[4]["error"]
    assert out[5]["id"] == "c" and out[5]["first_move"] == "none" and out[5]["principle"] is None
    assert out[5]["topic"] is None, "topic is null unless first_move is escalate"
    coached = out[6]
    assert coached["first_move"] in ("lead", "manage") and coached["topic"] is None
    assert set(coached["principle"]) == {"id", "text", "source"} and set(coached["next_step"]) == {"id", "text"}
    assert 0.0 <= coached["confidence"] <= 1.0


def test_diagnose_jsonl_is_deterministic_across_runs():
    text = "\n".join(
        json.dumps({"id": str(i), "text": t})
        for i, t in enumerate(["the team don't get why we merged", "letters go out late", "cheers"])
    )
    first, second = run(["diagnose", "--jsonl"], stdin=text), run(["diagnose", "--jsonl"], stdin=text)
    assert first.returncode == 0 and first.stdout == second.stdout


def test_scripted_chat_session(db_env):
    script = "\n".join(
        [
            "hello",
            "my colleague keeps making racist comments about her",
            "help",
            "what do you store?",
            "forget me",
            "quit",
        ]
    )
    result = run(["chat", "--user", "alice"], stdin=script + "\n", env_extra=db_env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Hello, I'm leadbot" in out
    assert "How leadbot works" in out
    assert "(1 record)" in out or "records)" in out
    assert "Traceback" not in result.stderr


def test_chat_quick_test_with_numbered_choices_and_state_kept_between_runs(db_env):
    # A vague message asks the quick test; numbers pick the options shown.
    first = run(["chat", "--user", "bob"], stdin="things are bad with the team\n", env_extra=db_env)
    assert "1) " in first.stdout and "Quick test" in first.stdout
    # A new session carries on where the last one stopped (state is in the database).
    second = run(["chat", "--user", "bob"], stdin="2\n1\n", env_extra=db_env)
    assert "MANAGEMENT FIRST" in second.stdout, second.stdout
    assert "Next step:" in second.stdout and "\u2014 " in second.stdout


def test_stats_shows_counts_without_text(db_env):
    run(["chat", "--user", "carol"], stdin="things are bad with the team\n2\n1\n1\n1\n", env_extra=db_env)
    result = run(["stats"], env_extra=db_env)
    assert result.returncode == 0
    assert "yes    1" in result.stdout


def test_a_broken_content_dir_stops_start_up_with_a_clear_message(tmp_path, db_env):
    (tmp_path / "content").mkdir()
    result = run(["chat"], stdin="", env_extra={**db_env, "LEADBOT_CONTENT_DIR": str(tmp_path / "content")})
    assert result.returncode == 1
    assert "principles.yaml: entry -: field -: file is missing" in result.stderr


def test_a_bad_setting_is_named(db_env):
    result = run(["diagnose", "hello"], env_extra={"LEADBOT_TIMEZONE": "Mars/Olympus"})
    assert result.returncode == 2 and "LEADBOT_TIMEZONE" in result.stderr


def test_diagnose_jsonl_answers_every_bad_line_and_still_runs_the_rest():
    deep = "[" * 100_000 + "]" * 100_000
    lines = [
        json.dumps({"id": "first", "text": "nobody knows who owns the repairs queue and jobs get done twice"}),
        deep,
        '{"id": "nested", "text": ' + deep + "}",
        '{"id": "huge", "text": ' + "9" * 5000 + "}",
        json.dumps({"id": "last", "text": "hello"}),
    ]
    result = run(["diagnose", "--jsonl"], stdin="\n".join(lines) + "\n")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("id") for o in out] == ["first", None, None, None, "last"], "one line out per line in, in order"
    assert out[1] == {"id": None, "error": "line 2: JSON nested too deeply to read"}
    assert out[2] == {"id": None, "error": "line 3: JSON nested too deeply to read"}
    assert out[3]["error"].startswith("line 4: not valid JSON")
    assert out[0]["first_move"] in ("lead", "manage") and out[4]["first_move"] == "none"


def _voted(db_env) -> None:
    # Two people: one finds a step useful, one does not.
    run(["chat", "--user", "dee"], stdin="things are bad with the team\n2\n1\n1\n1\n", env_extra=db_env)
    run(["chat", "--user", "eve"], stdin="things are bad with the team\n2\n1\n1\n2\n", env_extra=db_env)


def test_stats_as_bars_json_and_csv(db_env):
    _voted(db_env)
    text = run(["stats"], env_extra=db_env)
    assert text.returncode == 0
    (row,) = [line for line in text.stdout.splitlines() if " yes " in line and " no " in line]
    assert "yes    1  no    1  \u2588\u2588\u2588\u2588\u2588\u2591\u2591\u2591\u2591\u2591  50% yes" in row, row

    as_json = run(["stats", "--json"], env_extra=db_env)
    data = json.loads(as_json.stdout)
    assert set(data) == {"misreads", "feedback"}
    (step,) = data["feedback"]
    assert step["useful"] == 1 and step["not_useful"] == 1 and step["step_id"] in row

    as_csv = run(["stats", "feedback", "--csv"], env_extra=db_env)
    assert as_csv.returncode == 0
    assert as_csv.stdout.splitlines() == ["step_id,useful,not_useful", f"{step['step_id']},1,1"]
    both = run(["stats", "--csv"], env_extra=db_env)
    assert both.returncode == 2 and "choose one" in both.stderr


def test_stats_on_a_fresh_database_says_nothing_is_counted(db_env):
    result = run(["stats", "misreads"], env_extra=db_env)
    assert result.returncode == 0 and "nothing counted yet" in result.stdout
    assert json.loads(run(["stats", "misreads", "--json"], env_extra=db_env).stdout) == {"misreads": []}


def test_eval_report_says_not_measured_rather_than_missed_when_a_file_has_no_cases_for_a_measure(tmp_path):
    # Escalations with no topic labels: topic routing cannot be scored, which is not a miss.
    rows = [
        {"id": "e1", "text": "a carer has been taking money from a client's purse", "first_move": "escalate"},
        {"id": "n1", "text": "thanks, that's all for today", "first_move": "none"},
    ]
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = run(["diagnose", "--eval", str(labelled)])
    assert result.returncode == 0, result.stderr
    topic_line = next(line for line in result.stdout.splitlines() if line.startswith("escalations shown"))
    assert "not measured" in topic_line and "MISSED" not in topic_line
    # A measure that is scored still gets its verdict.
    recall_line = next(line for line in result.stdout.splitlines() if line.startswith("escalate recall"))
    assert recall_line.rstrip().endswith(("ok", "MISSED"))


def test_eval_report_says_how_far_the_way_back_from_a_false_alarm_reaches(content, diagnoser, false_alarm):
    from bot.evaluation import format_report, run_cases, score

    rows = [
        {"id": "f1", "text": false_alarm, "first_move": "lead", "problem": "confidence"},
        {"id": "e1", "text": "one of my team told me she has been cutting herself again", "first_move": "escalate"},
    ]
    report = format_report(score(run_cases(content, diagnoser, rows)))
    lines = {line.split("  ")[0]: line for line in report.splitlines()}
    assert lines["false alarms offered a way back"].split()[-1] == "100.0%"
    assert lines["real escalations offered one"].split()[-1] == "0.0%"
