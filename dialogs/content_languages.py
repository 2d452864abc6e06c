"""Content in another language: `content/<code>/` holds the words, the English files hold everything else.

A translation file mirrors its English file with the same entry ids, but carries
only what a person reads (a principle's title and text, a step's text and
follow-up question, a topic's name and reply...). Ids, references, match terms,
training examples and quotations themselves stay in the English files, so the
diagnosis and every cross-reference are shared. A quotation keeps the words of
its source; a translation gives `quote.translation`, shown beside it and marked
as a translation.

`overlay` compares a translation with its English file and reports, per file,
entry and field, every entry or field that is missing or extra, then merges the
words into a copy of the English data, which the same pydantic model checks
(lengths, placeholders) as it checks English.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

# Languages leadbot can speak. English is the content itself; the others are translations of it.
LANGUAGES = ("en", "cy")
TRANSLATIONS = tuple(code for code in LANGUAGES if code != "en")
NAMES = {"en": "English", "cy": "Cymraeg"}

ALL = "*"  # every field in the file is words


@dataclass(frozen=True)
class Entries:
    """A list of entries with ids, and which of each entry's fields are words (dotted for nested ones)."""

    fields: tuple[str, ...]


# For each file: ALL, or its sections, each ALL (a mapping or value that is all words) or Entries.
TRANSLATED: dict[str, Any] = {
    "messages.yaml": ALL,
    "wording.yaml": ALL,
    "pages.yaml": ALL,
    "problems.yaml": {"quick_test": ALL, "problems": Entries(("name", "why", "question", "choice_label"))},
    "patterns.yaml": {"patterns": Entries(("name", "looks_like", "advice"))},
    "principles.yaml": {"principles": Entries(("title", "text", "quote.translation", "quote.said_by"))},
    "next_steps.yaml": {"next_steps": Entries(("text", "follow_up"))},
    "nudges.yaml": {"nudges": Entries(("title", "text", "question"))},
    "escalation.yaml": {
        "intro": ALL,
        "urgent_line": ALL,
        "outro": ALL,
        "unsure": {"title": ALL, "reply": ALL, "if_about": ALL},
        "not_sensitive": ALL,
        "topics": Entries(("name", "reply")),
        "routes": Entries(("name", "contact", "when")),
    },
    "cues.yaml": {"cues": Entries(("says", "means"))},
    "situations.yaml": {"situations": Entries(("mentioned",))},
    "sources.yaml": {"sources": Entries(("description",))},
}


@dataclass(frozen=True)
class Gap:
    entry: str
    field: str
    message: str


def _flatten(value: Any, prefix: str) -> dict[str, Any]:
    """Every leaf of a mapping or list, by dotted path: `help.3`, `stored.2.what`."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.update(_flatten(v, f"{prefix}.{i}" if prefix else str(i)))
    else:
        out[prefix] = value
    return out


def _fields(value: dict, prefix: str = "") -> list[str]:
    """An entry's fields by dotted path, into nested mappings (quote.translation) but not into lists (terms)."""
    out: list[str] = []
    for k, v in value.items():
        path = f"{prefix}.{k}" if prefix else str(k)
        out.extend(_fields(v, path) if isinstance(v, dict) else [path])
    return out


def _get(item: dict, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(item, dict) or part not in item:
            return None
        item = item[part]
    return item


def _set(item: dict, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        item = item.setdefault(part, {})
    item[parts[-1]] = value


def _wanted(entry: dict, field: str) -> bool:
    """Does this English entry have words in `field` that a translation must give?"""
    if field == "quote.translation":
        return isinstance(entry.get("quote"), dict)  # every quotation gets a rendering beside it
    return _get(entry, field) is not None


def _entries(english: list, translated: Any, section: str, spec: Entries, merged: list, gaps: list[Gap]) -> None:
    if not isinstance(translated, list):
        gaps.append(Gap("-", section, "expected a list of entries, each with an id"))
        return
    by_id = {e.get("id"): e for e in english if isinstance(e, dict)}
    merged_by_id = {e.get("id"): e for e in merged if isinstance(e, dict)}
    seen: set[str] = set()
    for i, item in enumerate(translated):
        if not isinstance(item, dict) or "id" not in item:
            gaps.append(Gap(f"{section} #{i + 1}", "id", "every entry needs the id of its English entry"))
            continue
        eid = str(item["id"])
        if eid in seen:
            gaps.append(Gap(f"{section} {eid}", "id", "translated twice"))
            continue
        seen.add(eid)
        if eid not in by_id:
            gaps.append(Gap(f"{section} {eid}", "id", "extra entry: there is no English entry with this id"))
            continue
        given = set(_fields({k: v for k, v in item.items() if k != "id"}))
        for extra in sorted(given - set(spec.fields)):
            gaps.append(
                Gap(
                    f"{section} {eid}",
                    extra,
                    "extra field: only words are translated here; the rest stays in the English file",
                )
            )
        for field in spec.fields:
            value = _get(item, field)
            if _wanted(by_id[eid], field):
                if value is None:
                    gaps.append(Gap(f"{section} {eid}", field, "missing: the English entry has it"))
                else:
                    _set(merged_by_id[eid], field, value)
            elif value is not None:
                gaps.append(Gap(f"{section} {eid}", field, "extra field: the English entry has none"))
    for eid, entry in by_id.items():
        if eid not in seen and any(_wanted(entry, f) for f in spec.fields):
            gaps.append(Gap(f"{section} {eid}", "-", "missing entry: not translated"))


def _all_words(english: Any, translated: Any, path: str, gaps: list[Gap]) -> None:
    """A part that is all words: the same keys (and list lengths) as the English, and nothing else."""
    want, have = _flatten(english, path), _flatten(translated, path)
    for key in want:
        if key not in have:
            gaps.append(Gap("-", key, "missing: the English file has it"))
    for key in have:
        if key not in want:
            gaps.append(Gap("-", key, "extra field: the English file has none"))


def overlay(name: str, english: dict, translated: dict) -> tuple[dict, list[Gap]]:
    """The English data with the translation's words in it, and every gap between the two."""
    spec = TRANSLATED[name]
    gaps: list[Gap] = []
    if spec == ALL:
        _all_words(english, translated, "", gaps)
        return translated, gaps
    merged = copy.deepcopy(english)
    for key in translated:
        if key not in spec:
            gaps.append(
                Gap("-", key, "extra field: only words are translated here; the rest stays in the English file")
            )
    for section, part in spec.items():
        if section not in english:
            continue
        if section not in translated:
            gaps.append(Gap("-", section, "missing: the English file has it"))
            continue
        if isinstance(part, Entries):
            _entries(english[section], translated[section], section, part, merged[section], gaps)
        elif isinstance(part, dict):
            for key in part:
                if key in english[section]:
                    sub = translated[section] if isinstance(translated[section], dict) else {}
                    if key not in sub:
                        gaps.append(Gap("-", f"{section}.{key}", "missing: the English file has it"))
                    else:
                        merged[section][key] = sub[key]
            for key in translated[section] if isinstance(translated[section], dict) else []:
                if key not in part:
                    gaps.append(Gap("-", f"{section}.{key}", "extra field: only words are translated here"))
        else:
            _all_words(english[section], translated[section], section, gaps)
            merged[section] = translated[section]
    return merged, gaps
