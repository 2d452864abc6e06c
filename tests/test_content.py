"""Content files: the packaged content is valid and complete; broken content is reported precisely."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dialogs.content_loader import ContentInvalid, load_content
from dialogs.content_schema import PLACEHOLDER
from tests.conftest import LEADBOT, edit_yaml


def _errors(directory: Path) -> list[str]:
    with pytest.raises(ContentInvalid) as info:
        load_content(directory)
    return [str(e) for e in info.value.errors]


def test_packaged_content_meets_the_brief(content):
    assert len(content.nudges) >= 52, "a year of weekly nudges without repeats"
    assert {n.theme for n in content.nudges.values()} == {"lead", "manage", "balance"}
    for problem in ("uncertainty", "confidence", "inconsistency", "control"):
        assert sum(problem in s.problems for s in content.next_steps.values()) >= 4, problem
    for pattern in content.patterns:
        assert any(pattern in s.patterns for s in content.next_steps.values()), pattern
    drucker = [
        p.quote for p in content.principles.values() if p.quote and p.quote.said_by and "Drucker" in p.quote.said_by
    ]
    assert drucker and all(
        q.said_by.startswith("often attributed to Peter Drucker") and "Bennis and" in q.said_by for q in drucker
    )
    topics = " ".join(content.topics).lower()
    for sensitive in (
        "bullying",
        "harassment",
        "discrimination",
        "self-harm",
        "safeguarding",
        "whistleblowing",
        "grievance",
        "disciplinary",
    ):
        assert sensitive.split("-")[0] in topics, f"no escalation topic for {sensitive}"
    # Routes carry placeholders an organisation fills in.
    assert any(PLACEHOLDER.search(r.contact) for r in content.routes.values())


def test_british_spelling_in_what_the_bot_says(content):
    american = (
        "organize",
        "prioritize",
        "color",
        "behavior",
        "center ",
        "program ",
        "recognize",
        "apologize",
        "favor",
        "analyze",
    )
    texts = [content.messages.model_dump_json()]
    texts += [p.text for p in content.principles.values()] + [s.text + s.follow_up for s in content.next_steps.values()]
    texts += [n.text + n.question + n.title for n in content.nudges.values()]
    joined = " ".join(texts).lower()
    assert not [w for w in american if w in joined]


def test_yaml_syntax_error_names_the_file_and_line(content_copy):
    (content_copy / "nudges.yaml").write_text("nudges:\n  - id: one\n    title: [unclosed\n")
    errors = _errors(content_copy)
    assert any(e.startswith("nudges.yaml: entry line") and "YAML syntax error" in e for e in errors), errors


def test_missing_field_names_file_entry_and_field(content_copy):
    first_id = None

    def drop_question(data):
        nonlocal first_id
        first_id = data["nudges"][0]["id"]
        del data["nudges"][0]["question"]

    edit_yaml(content_copy / "nudges.yaml", drop_question)
    errors = _errors(content_copy)
    assert f"nudges.yaml: entry nudges {first_id}: field question: Field required" in errors


def test_duplicate_id_is_reported(content_copy):
    def duplicate(data):
        data["principles"][1]["id"] = data["principles"][0]["id"]

    edit_yaml(content_copy / "principles.yaml", duplicate)
    errors = _errors(content_copy)
    assert any("principles.yaml" in e and "duplicate id" in e for e in errors), errors


def test_dangling_reference_is_reported(content_copy):
    edit_yaml(content_copy / "next_steps.yaml", lambda d: d["next_steps"][0].update(principle="no-such-principle"))
    edit_yaml(content_copy / "nudges.yaml", lambda d: d["nudges"][2].update(principle="also-missing"))
    errors = _errors(content_copy)
    assert any(
        e.startswith("next_steps.yaml: entry") and "field principle: names a missing principle 'no-such-principle'" in e
        for e in errors
    ), errors
    assert any(e.startswith("nudges.yaml: entry") and "'also-missing'" in e for e in errors), errors


def test_a_topic_outranking_a_missing_topic_is_reported(content_copy):
    def outrank(data):
        topic = next(t for t in data["topics"] if t["id"] == "safeguarding-child")
        topic["outranks"] = ["threats-violence", "threats-and-violence"]

    edit_yaml(content_copy / "escalation.yaml", outrank)
    errors = _errors(content_copy)
    assert (
        "escalation.yaml: entry safeguarding-child: field outranks.1: names a missing topic 'threats-and-violence'"
        in errors
    ), errors


def test_every_error_is_reported_not_just_the_first(content_copy):
    edit_yaml(content_copy / "patterns.yaml", lambda d: d["patterns"][0].update(first_move="sideways"))
    edit_yaml(content_copy / "escalation.yaml", lambda d: d["topics"][0]["routes"].append("nowhere"))
    (content_copy / "training" / "broken.yaml").write_text("examples:\n  - text: hi\n    first_move: lead\n")
    errors = _errors(content_copy)
    assert any(e.startswith("patterns.yaml:") and "first_move" in e for e in errors)
    assert any(e.startswith("escalation.yaml:") and "'nowhere'" in e for e in errors)
    assert any(e.startswith("training/broken.yaml: entry examples #1") for e in errors)


def test_bad_regular_expression_in_terms_is_reported(content_copy):
    edit_yaml(content_copy / "cues.yaml", lambda d: d["cues"][0]["terms"].append("/(unclosed/"))
    errors = _errors(content_copy)
    assert any(e.startswith("cues.yaml:") and "terms." in e and "regular expression" in e for e in errors), errors


@pytest.mark.process
def test_content_check_command_exits_nonzero_listing_errors(content_copy):
    edit_yaml(content_copy / "nudges.yaml", lambda d: d["nudges"][0].update(theme="vibes"))
    result = subprocess.run(
        [LEADBOT, "content", "check", str(content_copy)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "nudges.yaml: entry nudges" in result.stderr and "field theme" in result.stderr


@pytest.mark.process
def test_content_check_command_passes_on_packaged_content():
    result = subprocess.run([LEADBOT, "content", "check"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("content OK")


def test_readme_storage_table_matches_what_the_bot_tells_users(content):
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    section = readme.split("## What is stored", 1)[1].split("\n## ", 1)[0]
    for item in content.messages.stored:
        assert f"| {item.what} | {item.why} |" in section, f"README's table is missing or differs for: {item.what}"


def _check(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if k != "LEADBOT_CONTENT_DIR"}
    env.update(env_extra or {})
    return subprocess.run([LEADBOT, "content", "check", *args], capture_output=True, text=True, timeout=60, env=env)


def test_content_check_with_no_folder_checks_what_serve_would_load(content_copy):
    """LEADBOT_CONTENT_DIR is what `serve` loads, so `content check` with no folder checks that, not the packaged copy."""
    edit_yaml(content_copy / "nudges.yaml", lambda d: d["nudges"][0].update(theme="vibes"))
    result = _check(env_extra={"LEADBOT_CONTENT_DIR": str(content_copy)})
    assert result.returncode == 1, "the broken copy serve would refuse is refused here too"
    assert f"checking {content_copy}" in result.stderr and "field theme" in result.stderr
    assert _check().returncode == 0, "without the setting, the packaged content"


def test_a_poll_that_is_neither_true_nor_false_is_an_error(content_copy):
    first = None

    def perhaps(data):
        nonlocal first
        first = data["nudges"][0]["id"]
        data["nudges"][0]["poll"] = "perhaps"

    edit_yaml(content_copy / "nudges.yaml", perhaps)
    result = _check(str(content_copy))
    assert result.returncode == 1
    assert (
        f"nudges.yaml: entry nudges {first}: field poll: Value error, must be true or false, not 'perhaps'"
        in result.stderr
    )
    edit_yaml(
        content_copy / "nudges.yaml", lambda d: d["nudges"][0].update(poll="yes")
    )  # in quotes: a word, not YAML's yes
    assert "field poll" in _check(str(content_copy)).stderr


def test_a_forget_done_message_without_its_records_placeholder_is_an_error(content_copy):
    text = (content_copy / "messages.yaml").read_text()
    (content_copy / "messages.yaml").write_text(text.replace(" ({records})", ""))
    result = _check(str(content_copy))
    assert result.returncode == 1
    assert "messages.yaml: entry -: field forget_done: Value error, must keep {records}" in result.stderr


def test_the_pages_file_is_checked_like_the_others(content_copy):
    edit_yaml(content_copy / "pages.yaml", lambda d: d["terms"].pop("paragraphs"))
    errors = _errors(content_copy)
    assert "pages.yaml: entry -: field terms.paragraphs: Field required" in errors, errors
