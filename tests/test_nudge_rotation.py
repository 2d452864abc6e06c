"""Which nudge a channel gets: no repeat within 52 weeks, balanced themes, new content used, deterministic."""

from __future__ import annotations

from collections import Counter

from dialogs.content_schema import Nudge
from dialogs.nudges.render import POLL_OPTIONS, is_poll_value, parse_poll_value, render_nudge
from dialogs.nudges.rotation import channel_seed, pick, plan
from dialogs.nudges.schedule import week_index
from dialogs.quotations import attribution

TWO_YEARS = 104


def _check_no_repeat_within_52_weeks(picks: list[tuple[str, Nudge]]) -> None:
    last: dict[str, int] = {}
    for week, nudge in picks:
        i = week_index(week)
        if nudge.id in last:
            assert i - last[nudge.id] >= 52, f"{nudge.id} repeated after {i - last[nudge.id]} weeks"
        last[nudge.id] = i


def test_two_simulated_years_never_repeat_within_52_weeks_and_themes_stay_balanced(content):
    nudges = list(content.nudges.values())
    for n in range(40):
        seed = channel_seed("slack", f"T{n % 4}", f"C{n}")
        picks = plan(nudges, [], "2025-W01", TWO_YEARS, seed)
        _check_no_repeat_within_52_weeks(picks)
        for start in range(0, TWO_YEARS - 12):
            window = Counter(nudge.theme for _, nudge in picks[start : start + 12])
            assert max(window.values()) - min(window[t] for t in ("lead", "manage", "balance")) <= 1, window
        themes = Counter(nudge.theme for _, nudge in picks)
        assert set(themes) == {"lead", "manage", "balance"} and max(themes.values()) - min(themes.values()) <= 1


def test_a_year_uses_52_different_nudges(content):
    picks = plan(list(content.nudges.values()), [], "2025-W01", 52, channel_seed("teams", "tenant", "19:abc"))
    assert len({n.id for _, n in picks}) == 52


def test_skipped_weeks_do_not_break_the_rule(content):
    """Weeks without a nudge (holidays, downtime) leave gaps in the history; 52 weeks still means 52 weeks."""
    nudges = list(content.nudges.values())
    seed = channel_seed("slack", "T1", "C1")
    history: list[tuple[str, str]] = []
    picks = []
    for k, week in enumerate(w for w, _ in plan(nudges, [], "2025-W01", TWO_YEARS, seed)):
        if k % 7 == 3:
            continue  # that week was skipped
        chosen = pick(nudges, history, week, seed)
        history.append((week, chosen.id))
        picks.append((week, chosen))
    _check_no_repeat_within_52_weeks(picks)


def test_the_same_channel_gets_the_same_rotation_everywhere_and_channels_differ(content):
    nudges = list(content.nudges.values())
    a = plan(nudges, [], "2025-W10", 10, channel_seed("slack", "T1", "C1"))
    again = plan(list(reversed(nudges)), [], "2025-W10", 10, channel_seed("slack", "T1", "C1"))
    assert [n.id for _, n in a] == [n.id for _, n in again], "content order must not matter"
    others = {
        tuple(n.id for _, n in plan(nudges, [], "2025-W10", 3, channel_seed("slack", "T1", f"C{i}"))) for i in range(20)
    }
    assert len(others) > 5, "neighbouring channels should not all get the same nudges"


def test_a_nudge_added_to_content_enters_the_rotation_within_three_weeks(content):
    nudges = list(content.nudges.values())
    seed = channel_seed("slack", "T1", "C1")
    history = [(w, n.id) for w, n in plan(nudges, [], "2025-W01", 30, seed)]
    new = nudges[0].model_copy(update={"id": "lead-brand-new", "title": "Brand new"})
    upcoming = plan([*nudges, new], history, "2025-W31", 3, seed)
    assert "lead-brand-new" in [n.id for _, n in upcoming]


def test_render_has_the_principle_with_its_source_the_question_and_an_anonymous_poll(content):
    nudge = next(n for n in content.nudges.values() if n.poll)
    reply = render_nudge(content, nudge, "2025-W14")
    principle = content.principles[nudge.principle]
    assert reply.kind == "nudge" and reply.title == nudge.title
    assert reply.quote.text == principle.quote.text and reply.follow_up == nudge.question
    assert reply.quote.source == attribution(principle.quote, content.sources)
    assert [c.label for c in reply.choices] == ["More meaning", "More structure", "About right"]
    assert [parse_poll_value(c.value).option for c in reply.choices] == list(POLL_OPTIONS)
    assert all(c.value.startswith("poll:2025-W14:") for c in reply.choices)
    counted = render_nudge(content, nudge, "2025-W14", counts={"meaning": 3, "about_right": 1})
    assert [c.label for c in counted.choices] == ["More meaning (3)", "More structure (0)", "About right (1)"]
    assert "meaning 3, structure 0, about right 1 (4 votes so far, anonymous" in counted.plain_text()
    assert [(t.label, t.count) for t in counted.tally] == [
        ("More meaning", 3),
        ("More structure", 0),
        ("About right", 1),
    ]
    assert reply.tally is None, "no results before anyone is asked"
    few = render_nudge(content, nudge, "2025-W14", counts={"meaning": 2})
    assert few.tally is None and [c.label for c in few.choices] == ["More meaning", "More structure", "About right"]
    assert "Results appear after 3 votes." in few.plain_text() and "2" not in few.lines[-1], "two votes: no count"
    assert (
        "Results appear after 5 votes."
        in render_nudge(content, nudge, "2025-W14", counts={"meaning": 4}, min_votes=5).plain_text()
    )
    from bot.console.render import render as console

    assert (
        "  \u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2591\u2591 More meaning 3" in console(counted).splitlines()
    )
    quiet = nudge.model_copy(update={"poll": False})  # an editor may turn a nudge's poll off
    assert render_nudge(content, quiet, "2025-W14").choices == []


def test_every_packaged_nudge_has_the_poll_the_readme_promises(content):
    from tests.conftest import ROOT

    assert "a one-click anonymous poll" in (ROOT / "README.md").read_text()
    without = [n.id for n in content.nudges.values() if not render_nudge(content, n, "2025-W14").choices]
    assert without == []


def test_a_nudge_shows_only_real_quotations_under_their_real_source(content):
    for nudge in content.nudges.values():
        reply = render_nudge(content, nudge, "2025-W14")
        principle = content.principles[nudge.principle]
        if principle.quote is None:
            assert reply.quote is None, nudge.id
        else:
            source = content.sources[principle.quote.source]
            assert (
                reply.quote.text == principle.quote.text and (source.title or source.description) in reply.quote.source
            )


def test_poll_values_that_are_not_ours_are_refused():
    for value in (
        "poll:2025-W14:everything",
        "poll:2025-W99:meaning",
        "poll:x:meaning",
        "useful:yes",
        "poll:2025-W14",
        "",
    ):
        assert not is_poll_value(value), value
    assert parse_poll_value("poll:2025-W14:about_right").option == "about_right"
