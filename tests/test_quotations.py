"""Honest quotations: only words a source wrote go in quotation marks, under the source's real name.

The articles the content draws on are the seeds in ../shared/seeds/ (or wherever
LEADBOT_SEEDS_DIR points). Content keeps copies in content/sources/ so that
`leadbot content check` can check quotations anywhere; from a clean clone with no
seeds beside it, these tests check against those copies instead.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

from dialogs.content_loader import default_content_dir, load_content
from dialogs.flows import coach
from dialogs.quotations import is_verbatim, normalise
from tests.conftest import LEADBOT, ROOT, edit_yaml
from tests.test_dialogs import FixedDiagnoser, make, say


def seeds_dir() -> Path:
    """The seed articles: LEADBOT_SEEDS_DIR, else ../shared/seeds beside the repository, else the copies in content/."""
    for candidate in (os.environ.get("LEADBOT_SEEDS_DIR"), ROOT.parent / "shared" / "seeds"):
        if candidate and Path(candidate).is_dir() and any(Path(candidate).glob("*.txt")):
            return Path(candidate)
    return default_content_dir() / "sources"


SEEDS = {p.name: p.read_text(encoding="utf-8") for p in sorted(seeds_dir().glob("*.txt"))}


def _seed_for(content, source_id: str) -> str:
    """The seed article a source's kept copy is: identical bytes, so the copy cannot drift from the original."""
    copy = (content.directory / content.sources[source_id].text).read_text(encoding="utf-8")
    matches = [
        text
        for text in SEEDS.values()
        if hashlib.sha256(text.encode()).digest() == hashlib.sha256(copy.encode()).digest()
    ]
    assert matches, f"content's copy of {source_id} is not identical to any seed in {seeds_dir()}"
    return matches[0]


def test_every_quotation_in_content_is_word_for_word_in_the_seed_it_cites(content):
    quoted = [p for p in content.principles.values() if p.quote]
    assert len(quoted) >= 10
    for p in quoted:
        seed = _seed_for(content, p.quote.source)
        assert is_verbatim(p.quote.text, seed), f"principle {p.id}: {p.quote.text!r} is not in its source"


def test_every_source_is_credited_by_its_real_title_and_site_or_as_untitled(content):
    for source in content.sources.values():
        seed = _seed_for(content, source.id)
        first_lines = normalise("\n".join(seed.splitlines()[:3]))
        if source.title:
            assert normalise(source.title) in first_lines and normalise(source.site) in first_lines, source.id
        else:
            assert "untitled" in source.description, f"{source.id} has no title and must not look as if it had one"
    local_gov = content.sources["local-gov-article"]
    assert local_gov.title == "Leadership vs Management in Local Government: Why Both Matter and Deserve Space"
    assert local_gov.site == "truthaboutlocalgov"


def test_the_drucker_line_is_credited_as_often_attributed_with_its_documented_source(content):
    quote = coach.quote_for(content, "drucker-right-things")
    assert quote.text == "Management is doing things right; leadership is doing the right things."
    assert (
        quote.source.startswith("often attributed to Peter Drucker")
        and "Bennis and Burt Nanus" in quote.source
        and "(1985)" in quote.source
    )
    assert "Leadership vs Management in Local Government" in quote.source, "and where the words were quoted"


QUOTE_MARKS = re.compile(r"[\u201c\u201d\"]|(?<![\w])'[^']+'(?![\w])")


def test_the_bots_own_words_carry_no_quotation_marks(content):
    """Paraphrase and advice are the bot's voice: quotation marks belong only to checked quotations."""
    own: list[tuple[str, str]] = []
    own += [(f"principle {p.id}", p.text) for p in content.principles.values()]
    own += [(f"step {s.id}", s.text + " " + s.follow_up) for s in content.next_steps.values()]
    own += [(f"pattern {p.id}", f"{p.name} {p.looks_like} {p.advice}") for p in content.patterns.values()]
    own += [(f"problem {p.id}", f"{p.why} {p.question} {p.choice_label}") for p in content.problems.values()]
    own += [(f"nudge {n.id}", f"{n.title} {n.text} {n.question}") for n in content.nudges.values()]
    own += [(f"cue {c.id}", f"{c.says} {c.means}") for c in content.cues.values()]
    own += [(f"situation {s.id}", s.mentioned) for s in content.situations.values()]
    offending = [(where, m.group()) for where, text in own for m in [QUOTE_MARKS.search(text)] if m]
    assert offending == []


def _principle(data, pid):
    return next(p for p in data["principles"] if p["id"] == pid)


def test_content_check_refuses_a_quotation_the_source_never_wrote(content_copy):
    edit_yaml(
        content_copy / "principles.yaml",
        lambda d: _principle(d, "one-standard")["quote"].update(text="One standard, whoever is on shift."),
    )
    result = subprocess.run(
        [LEADBOT, "content", "check", str(content_copy)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert (
        "principles.yaml: entry principles one-standard: field quote.text: not found word for word in sources/"
        in result.stderr
    )


def test_content_check_refuses_a_made_up_title_and_a_missing_source_text(content_copy):
    def retitle(data):
        source = next(s for s in data["sources"] if s["id"] == "supervision-article")
        source["title"] = "Leadership and management in UK public-sector supervision"

    edit_yaml(content_copy / "sources.yaml", retitle)
    (content_copy / "sources" / "leadership-vs-management-in-local-government.txt").unlink()
    result = subprocess.run(
        [LEADBOT, "content", "check", str(content_copy)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert (
        "sources.yaml: entry sources supervision-article: field title: 'Leadership and management in UK public-sector supervision' does not appear"
        in result.stderr
    )
    assert "sources.yaml: entry sources local-gov-article: field text: cannot read" in result.stderr


async def test_a_principle_without_a_quotation_is_shown_in_the_bots_own_words(content_copy, diagnoser):
    def unquote(data):
        for p in data["principles"]:
            p.pop("quote", None)

    edit_yaml(content_copy / "principles.yaml", unquote)
    edit_yaml(content_copy / "cy" / "principles.yaml", unquote)  # no quotation, so no translation of one either
    plain = load_content(content_copy)
    service, _ = make(plain, FixedDiagnoser(diagnoser, first_move="manage", problem="control"))
    [reply] = await say(service, "nobody owns the queue")
    assert reply.quote is None, "nothing is dressed up as a quotation"
    principle_texts = {p.text for p in plain.principles.values()}
    assert principle_texts & set(reply.lines), "the principle is said in the bot's own voice"
    assert "\u201c" not in reply.plain_text()
