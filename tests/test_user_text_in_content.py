"""Issue 16: everything the bot says to a person comes from content/ (and so exists in Welsh too).

Scans the modules that build chat replies, cards, nudges and pages for string literals that
read like an English sentence. Log lines, exceptions, docstrings and command-line help are
for administrators and developers and are not scanned; neither are the `leadbot doctor`
checks (bot/*/health.py), which speak to the administrator in English.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAT_FACING = [
    "dialogs",
    "bot/slack",
    "bot/teams",
    "bot/nudges",
    "bot/console",
    "bot/turns.py",
    "bot/server/pages.py",
    "bot/platform_words.py",
]
NOT_SCANNED = ("dialogs/diagnosis", "bot/slack/health.py", "bot/teams/health.py")
SENTENCE = re.compile(r"^[A-Z][a-z']+(?:,? [\w'’-]+){3,}[.!?…]?$")
FOR_ADMINS = {
    "debug",
    "info",
    "warning",
    "error",
    "exception",
    "critical",
    "log",
    "print",
    "add_argument",
    "add_parser",
    "ArgumentParser",
    "Field",
}


def sentences_in(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    skipped: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            skipped.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.Raise) or (
            isinstance(node, ast.Call)
            and (name := node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", ""))
            and (
                name in FOR_ADMINS
                or name.endswith(("Error", "Exception", "Invalid", "Unavailable"))
                or name == "SystemExit"
            )
        ):
            skipped.update(id(sub) for sub in ast.walk(node))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skipped
        and SENTENCE.match(node.value.strip())
    ]


def test_the_scanner_finds_a_sentence_written_in_code():
    planted = 'def reply():\n    log.info("Logged for admins, never shown to people.")\n    return "Sorry, I could not find that step."\n'
    assert sentences_in(planted) == [(3, "Sorry, I could not find that step.")]


def test_no_sentence_a_person_reads_is_written_in_python():
    found = []
    for root in CHAT_FACING:
        path = ROOT / root
        for module in [path] if path.suffix == ".py" else sorted(path.rglob("*.py")):
            rel = module.relative_to(ROOT).as_posix()
            if rel.startswith(NOT_SCANNED):
                continue
            found += [f"{rel}:{line}: {text!r}" for line, text in sentences_in(module.read_text())]
    assert not found, (
        "move these into content/ (wording.yaml or messages.yaml, with the Welsh in content/cy/):\n" + "\n".join(found)
    )
