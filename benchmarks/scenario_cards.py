"""The scenario cards behind benchmarks/data/scenario_cards.jsonl, drawn again from the same seed.

Each card fixes what a message must be about, by the label guide's own definitions (the problem and
what is wrong), plus a distraction, whether both moves are needed, a typing style and a service.
Two helpers wrote one message per card (200 each, writer A and writer B); a third labelled every
message blind from the text and the label guide; only messages where card and blind label agree on
every field, and the labeller was sure, were kept (see benchmarks/data/scenario_cards.md).

    python benchmarks/scenario_cards.py OUT_DIR   # writes cards_A.jsonl and cards_B.jsonl
"""

import json
import random
import sys
from pathlib import Path

rng = random.Random(20261204)
CUES = {
    "uncertainty": [
        "people do not know what the work is for any more",
        "the priority is unclear: two things both said to come first",
        "a change is coming and nobody can say what it means for their day",
        "instructions from above contradict each other and the team can't tell which holds",
        "a new way of working started and staff can't explain why it replaced the old one",
    ],
    "confidence": [
        "they know the new process but think it will fail like the last one",
        "they know the task but doubt they can cope with the change",
        "after a bad year they've lost faith that anything leadership says will stick",
        "capable staff who now check everything with the manager before acting",
        "they understand the plan but quietly think the direction is wrong",
    ],
    "inconsistency": [
        "work is regularly late",
        "the load is uneven between people: a few carry it",
        "standards vary between shifts, crews or sites",
        "allocation is haphazard: whoever shouts gets the work",
        "the rota is poorly coordinated so cover falls through",
        "handovers between shifts drop things",
        "each person does the same task a different way and the results differ",
    ],
    "control": [
        "the same case or job gets worked twice by two people",
        "work is kept outside the system: personal inboxes, side chats, private spreadsheets",
        "things agreed at meetings drift and nobody does them",
        "a queue or shared inbox that nobody owns, items sit untouched",
        "a backlog where nobody knows which items are still live or who has them",
        "actions have no owner so each one stalls",
    ],
}
DISTRACT = [
    "none",
    "none",
    "the team's morale is low (mention it, but the problem above still comes first)",
    "a recent change mentioned in passing (not the point)",
    "the manager was the best specialist and got promoted with no training",
    "a second, smaller issue of a different kind mentioned at the end",
    "a complaint from the public or a senior person triggered the message",
    "the manager is tired and a bit sarcastic",
]
STYLES = [
    "text-speak, all lower case, abbreviations (u, tbh, ffs, cos, pls), no full stops",
    "one long rambling run-on message, 80-140 words, asides and backtracking",
    "Scottish English (Glasgow or Edinburgh), some Scots words",
    "Geordie English",
    "Scouse English",
    "Brummie / Black Country English",
    "Yorkshire English",
    "Welsh English (valleys), maybe one Welsh word like 'cwtch' or 'tidy'",
    "Northern Irish English",
    "West Country English",
    "London English, casual",
    "formal, like a paragraph pasted from an email to HR or a director, full sentences",
    "bullet-point notes pasted from a notebook",
    "dictated by voice: no punctuation, a misheard word or two",
    "terse, under 15 words",
    "a question: 'how do I...' or 'what do I do when...'",
    "plain and calm, 2-3 sentences",
    "typed on a phone in a hurry, typos",
]
SERVICES = [
    "council housing repairs",
    "council tax and benefits",
    "planning enforcement",
    "waste and recycling crews",
    "library service",
    "adult social care assessment team",
    "children's services admin",
    "NHS outpatients booking",
    "NHS ward (nursing)",
    "NHS pharmacy",
    "ambulance control room",
    "community mental health admin (non-clinical)",
    "HMRC contact centre",
    "DWP jobcentre work coaches",
    "DVLA casework",
    "Land Registry casework",
    "Environment Agency field officers",
    "highways maintenance",
    "parks and grounds",
    "school business office",
    "university student services",
    "fire service control",
    "police contact centre (civilian staff)",
    "court listing office",
    "prison admin (non-custodial)",
    "passport office",
    "trading standards",
    "environmental health inspectors",
    "licensing team",
    "council IT service desk",
    "NHS estates and porters",
    "GP practice reception",
    "occupational therapy waiting list",
    "registrars",
    "leisure centre staff",
    "bereavement services admin",
    "housing allocations",
    "revenues recovery",
    "payroll team",
    "FOI and complaints team",
]
out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
cards = []
probs = ["uncertainty", "confidence", "inconsistency", "control"] * 100
rng.shuffle(probs)
for i, p in enumerate(probs):
    both = rng.random() < 0.25
    first = "lead" if p in ("uncertainty", "confidence") else "manage"
    second = "manage" if first == "lead" else "lead"
    cards.append(
        {
            "card": f"c{i:03d}",
            "first_move": first,
            "problem": p,
            "what_is_wrong": rng.choice(CUES[p]),
            "also": rng.choice(DISTRACT),
            "both": both,
            "both_note": (
                f"the team ALSO clearly needs {second} after it (say something that shows it), but {first} comes first"
            )
            if both
            else f"only {first}: nothing that needs {second}",
            "style": rng.choice(STYLES),
            "service": rng.choice(SERVICES),
        }
    )
for card in cards:
    card["pattern"] = "specialist_promoted" if "specialist" in card["also"] else None
for half, name in ((cards[:200], "A"), (cards[200:], "B")):
    with open(out / f"cards_{name}.jsonl", "w") as f:
        for c in half:
            f.write(json.dumps(c) + "\n")
print(len(cards), "cards in", out)
