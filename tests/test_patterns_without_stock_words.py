"""Issue 12: each of the six common mistakes is named when a manager describes it in their own words.

The messages were written for this test, apart from the training data and the
labelled sets, without the stock words ("micromanaging", "charismatic",
"paperwork", "promoted because I was good at the job"). The pattern is read by
arg-max, "-" (no common mistake) included; a bar above it lost patterns on
independently written messages.
"""

from __future__ import annotations

import pytest

CASES = [
    (
        "over_managing",
        "lead",
        "I sign off every single email my officers send before it goes out, and now they won't decide anything without me",
    ),
    (
        "paperwork",
        "manage",
        "my inspectors spend friday afternoons filling in three different logs that nobody reads, and I still don't know which sites are overdue",
    ),
    (
        "specialist_promoted",
        None,  # the move follows whatever the symptom is
        "I was the best benefits assessor in the office so they gave me the team. nobody's shown me how to run a return-to-work meeting",
    ),
    (
        "agreement_not_commitment",
        "manage",
        "everyone nodded at the new handover plan in the meeting and a fortnight later not one person has used it",
    ),
    (
        "charisma",
        "lead",
        "the director did a big inspiring launch with a video and balloons for the new strategy, and my team still can't tell me what they should do differently on monday",
    ),
    (
        "over_leading",
        "manage",
        "I spend all my time on purpose and values with the team, and meanwhile our FOI responses have gone past the deadline three months running",
    ),
]


@pytest.mark.parametrize("pattern, move, message", CASES, ids=[c[0] for c in CASES])
def test_the_common_mistake_is_named_without_its_stock_words(diagnoser, pattern, move, message):
    d = diagnoser.diagnose(message)
    assert d.pattern == pattern, (message, d.pattern)
    if move:
        assert d.first_move == move, (message, d.first_move)


def test_a_plain_problem_names_no_common_mistake(diagnoser):
    d = diagnoser.diagnose("two of my caseworkers rang the same tenant about arrears yesterday without knowing")
    assert d.first_move == "manage" and d.pattern is None, (d.first_move, d.pattern)
