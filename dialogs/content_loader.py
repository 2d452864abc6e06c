"""Load `content/` into pydantic models, or report every problem found.

A content author should be able to fix all mistakes in one pass, so loading
never stops at the first error: YAML syntax, schema, duplicate ids and dangling
references are collected and reported together, each naming the file, the
entry and the field.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from dialogs import content_schema as s
from dialogs.content_languages import TRANSLATED, TRANSLATIONS, overlay
from dialogs.quotations import quotation_problem, source_problems
from dialogs.terms import term_error

# libyaml's C loader when present: several times faster on the training files, same results.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class ContentError:
    file: str
    entry: str  # an entry id, or "#3" for the fourth entry, or "-" for the file as a whole
    field: str  # dotted path of the field, or "-"
    message: str

    def __str__(self) -> str:
        return f"{self.file}: entry {self.entry}: field {self.field}: {self.message}"


class ContentInvalid(Exception):
    def __init__(self, errors: list[ContentError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class Content:
    principles: dict[str, s.Principle]
    problems: dict[str, s.Problem]
    quick_test: s.QuickTest
    patterns: dict[str, s.Pattern]
    next_steps: dict[str, s.NextStep]
    nudges: dict[str, s.Nudge]
    escalation: s.EscalationFile
    messages: s.Messages
    training: list[s.TrainingExample]
    cues: dict[str, s.Cue]
    directory: Path
    sources: dict[str, s.Source] = field(default_factory=dict)
    situations: dict[str, s.Situation] = field(default_factory=dict)
    fingerprint: str = ""  # sha256 over every file, so caches and tests can tell content apart
    # sha256 over only what the diagnosis model learns from (training/*.yaml and escalation.yaml),
    # so editing wording elsewhere never forces a refit.
    model_fingerprint: str = ""
    routes: dict[str, s.EscalationRoute] = field(default_factory=dict)
    topics: dict[str, s.EscalationTopic] = field(default_factory=dict)
    pages: s.PagesFile | None = None  # the /privacy and /terms pages
    wording: dict[str, str] = field(default_factory=dict)  # the phrases around the content (wording.yaml)
    language: str = "en"
    # This content in every language it has, itself included: {"en": ..., "cy": ...}.
    translations: dict[str, Content] = field(default_factory=dict)

    def in_language(self, code: str | None) -> Content:
        """The same content in another language, or this one if it has no such translation."""
        return self.translations.get(code or "", self)

    def say(self, key: str, **names: object) -> str:
        """A phrase from wording.yaml with its {names} filled in."""
        text = self.wording[key]
        for name, value in names.items():
            text = text.replace("{" + name + "}", str(value))
        return text


def default_content_dir() -> Path:
    import content

    return Path(content.__file__).resolve().parent


SINGLE_FILES: dict[str, type[BaseModel]] = {
    "principles.yaml": s.PrinciplesFile,
    "problems.yaml": s.ProblemsFile,
    "patterns.yaml": s.PatternsFile,
    "next_steps.yaml": s.NextStepsFile,
    "nudges.yaml": s.NudgesFile,
    "escalation.yaml": s.EscalationFile,
    "messages.yaml": s.Messages,
    "cues.yaml": s.CuesFile,
    "pages.yaml": s.PagesFile,
    "sources.yaml": s.SourcesFile,
    "situations.yaml": s.SituationsFile,
    "wording.yaml": s.WordingFile,
}


def _entry_name(raw: Any, loc: tuple[Any, ...]) -> tuple[str, str]:
    """Turn a pydantic error location into (entry, field) a person can find in the file.

    ("nudges", 3, "principle") becomes entry "<id of the fourth nudge>", field "principle".
    """
    if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
        items = raw.get(loc[0]) if isinstance(raw, dict) else None
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        if isinstance(item, dict) and item.get("id"):
            entry = str(item["id"])
        elif isinstance(item, dict) and item.get("text"):
            entry = f"#{loc[1] + 1} ({str(item['text'])[:40]!r})"
        else:
            entry = f"#{loc[1] + 1}"
        return f"{loc[0]} {entry}", ".".join(str(p) for p in loc[2:]) or "-"
    return "-", ".".join(str(p) for p in loc) or "-"


def _read_yaml(path: Path, rel: str, errors: list[ContentError]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        errors.append(ContentError(rel, "-", "-", "file is missing"))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(ContentError(rel, "-", "-", f"cannot be read: {exc}"))
        return None
    try:
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "-"
        problem = getattr(exc, "problem", None) or str(exc)
        errors.append(ContentError(rel, where, "-", f"YAML syntax error: {problem}"))
        return None
    if not isinstance(data, dict):
        errors.append(ContentError(rel, "-", "-", "expected a mapping at the top of the file"))
        return None
    return data


def _validate(model: type[BaseModel], data: Any, rel: str, errors: list[ContentError]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            entry, field_path = _entry_name(data, tuple(err["loc"]))
            errors.append(ContentError(rel, entry, field_path, err["msg"]))
        return None


def _unique(items: list[Any], rel: str, errors: list[ContentError], what: str = "id") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key = getattr(item, what)
        if key in out:
            errors.append(ContentError(rel, str(key), what, f"duplicate {what} {key!r}"))
        else:
            out[key] = item
    return out


def load_content(directory: Path | str | None = None) -> Content:
    """Load and check every content file. Raises ContentInvalid listing all errors."""
    root = Path(directory) if directory else default_content_dir()
    errors: list[ContentError] = []
    if not root.is_dir():
        raise ContentInvalid([ContentError(str(root), "-", "-", "content directory not found")])

    digest = hashlib.sha256()
    parsed: dict[str, Any] = {}
    raw: dict[str, Any] = {}  # the English files as read, for translations to be laid over
    model_digest = hashlib.sha256()
    for name, model in SINGLE_FILES.items():
        path = root / name
        if path.exists():
            digest.update(name.encode() + b"\0" + path.read_bytes())
            if name == "escalation.yaml":
                model_digest.update(name.encode() + b"\0" + path.read_bytes())
        data = _read_yaml(path, name, errors)
        if data is not None:
            raw[name] = data
            parsed[name] = _validate(model, data, name, errors)

    training: list[s.TrainingExample] = []
    training_places: list[tuple[str, int]] = []  # (file, index) of each example, for error messages
    training_dir = root / "training"
    training_files = sorted(training_dir.glob("*.yaml")) if training_dir.is_dir() else []
    if not training_files:
        errors.append(ContentError("training/", "-", "-", "no training examples (training/*.yaml)"))
    for path in training_files:
        rel = f"training/{path.name}"
        digest.update(rel.encode() + b"\0" + path.read_bytes())
        model_digest.update(rel.encode() + b"\0" + path.read_bytes())
        data = _read_yaml(path, rel, errors)
        if data is not None:
            tf = _validate(s.TrainingFile, data, rel, errors)
            if tf is not None:
                if tf.near_misses:
                    tf.examples = [
                        ex if ex.first_move == "escalate" else ex.model_copy(update={"near_miss": True})
                        for ex in tf.examples
                    ]
                training.extend(tf.examples)
                training_places.extend((rel, i) for i in range(len(tf.examples)))

    principles = (
        _unique(parsed["principles.yaml"].principles, "principles.yaml", errors)
        if parsed.get("principles.yaml")
        else {}
    )
    pf = parsed.get("problems.yaml")
    problems = _unique(pf.problems, "problems.yaml", errors) if pf else {}
    patterns = _unique(parsed["patterns.yaml"].patterns, "patterns.yaml", errors) if parsed.get("patterns.yaml") else {}
    steps = (
        _unique(parsed["next_steps.yaml"].next_steps, "next_steps.yaml", errors)
        if parsed.get("next_steps.yaml")
        else {}
    )
    nudges = _unique(parsed["nudges.yaml"].nudges, "nudges.yaml", errors) if parsed.get("nudges.yaml") else {}
    esc = parsed.get("escalation.yaml")
    topics = _unique(esc.topics, "escalation.yaml", errors) if esc else {}
    routes = _unique(esc.routes, "escalation.yaml", errors) if esc else {}
    cues = _unique(parsed["cues.yaml"].cues, "cues.yaml", errors) if parsed.get("cues.yaml") else {}
    sources = _unique(parsed["sources.yaml"].sources, "sources.yaml", errors) if parsed.get("sources.yaml") else {}
    situations = (
        _unique(parsed["situations.yaml"].situations, "situations.yaml", errors)
        if parsed.get("situations.yaml")
        else {}
    )
    for where, terms in _term_lists(esc, cues, situations):
        for i, term in enumerate(terms):
            problem = term_error(term)
            if problem:
                errors.append(ContentError(where[0], where[1], f"{where[2]}.{i}", problem))

    _check_references(principles, problems, patterns, steps, nudges, topics, routes, parsed, errors)
    if esc is not None:
        _check_training_topics(training, training_places, topics, errors)
    _check_coverage(principles, steps, problems, patterns, parsed, errors)
    _check_situations(principles, steps, patterns, situations, parsed, errors)
    _check_quotations(root, principles, sources, parsed, errors)

    translated = {
        code: _translation(root, code, raw, digest, errors) for code in TRANSLATIONS if (root / code).is_dir()
    }

    if errors:
        raise ContentInvalid(errors)
    english = Content(
        principles=principles,
        problems=problems,
        quick_test=pf.quick_test,
        patterns=patterns,
        next_steps=steps,
        nudges=nudges,
        escalation=esc,
        messages=parsed["messages.yaml"],
        training=training,
        cues=cues,
        directory=root,
        fingerprint=digest.hexdigest(),
        model_fingerprint=model_digest.hexdigest(),
        routes=routes,
        topics=topics,
        pages=parsed["pages.yaml"],
        sources=sources,
        situations=situations,
        wording=parsed["wording.yaml"].phrases,
    )
    english.fingerprint = digest.hexdigest()  # now over the translations too
    english.translations = {"en": english}
    for code, words in translated.items():
        english.translations[code] = _in_other_words(english, code, words)
    return english


def _translation(root: Path, code: str, raw: dict[str, Any], digest, errors: list[ContentError]) -> dict[str, Any]:
    """Check `<code>/*.yaml` against the English files and validate the merged result; {file: model}."""
    folder = root / code
    out: dict[str, Any] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name not in TRANSLATED:
            errors.append(
                ContentError(
                    f"{code}/{path.name}", "-", "-", f"extra file: only these are translated: {', '.join(TRANSLATED)}"
                )
            )
    for name in TRANSLATED:
        rel = f"{code}/{name}"
        path = folder / name
        if path.exists():
            digest.update(rel.encode() + b"\0" + path.read_bytes())
        data = _read_yaml(path, rel, errors)
        if data is None or raw.get(name) is None:
            continue  # reported already, or the English file is broken (reported under its own name)
        merged, gaps = overlay(name, raw[name], data)
        errors.extend(ContentError(rel, g.entry, g.field, g.message) for g in gaps)
        if not gaps:
            out[name] = _validate(SINGLE_FILES[name], merged, rel, errors)
    return out


def _in_other_words(english: Content, code: str, words: dict[str, Any]) -> Content:
    """The English content with the translation's words: the same ids, references, terms and training."""
    esc = words["escalation.yaml"]
    return dataclasses.replace(
        english,
        language=code,
        principles={p.id: p for p in words["principles.yaml"].principles},
        problems={p.id: p for p in words["problems.yaml"].problems},
        quick_test=words["problems.yaml"].quick_test,
        patterns={p.id: p for p in words["patterns.yaml"].patterns},
        next_steps={st.id: st for st in words["next_steps.yaml"].next_steps},
        nudges={n.id: n for n in words["nudges.yaml"].nudges},
        escalation=esc,
        topics={t.id: t for t in esc.topics},
        routes={r.id: r for r in esc.routes},
        messages=words["messages.yaml"],
        cues={c.id: c for c in words["cues.yaml"].cues},
        situations={x.id: x for x in words["situations.yaml"].situations},
        sources={x.id: x for x in words["sources.yaml"].sources},
        pages=words["pages.yaml"],
        wording=words["wording.yaml"].phrases,
    )


def _term_lists(esc: s.EscalationFile | None, cues: dict[str, s.Cue], situations: dict[str, s.Situation]):
    """Every list of match terms, with where it lives, so a bad regex is reported like any other error."""
    if esc is not None:
        for topic in esc.topics:
            yield ("escalation.yaml", f"topics {topic.id}", "terms"), topic.terms
            yield ("escalation.yaml", f"topics {topic.id}", "hints"), topic.hints
        yield ("escalation.yaml", "-", "figures_of_speech"), esc.figures_of_speech
    for cue in cues.values():
        yield ("cues.yaml", f"cues {cue.id}", "terms"), cue.terms
    for situation in situations.values():
        yield ("situations.yaml", f"situations {situation.id}", "terms"), situation.terms


def _check_situations(principles, steps, patterns, situations, parsed, errors) -> None:
    """Every situation a step, principle or pattern names exists, and each problem keeps steps that assume nothing."""
    if parsed.get("situations.yaml") is None:
        return
    named = [("principles.yaml", f"principles {p.id}", p) for p in principles.values()]
    named += [("next_steps.yaml", f"next_steps {st.id}", st) for st in steps.values()]
    for file, entry, item in named:
        for field_name in ("needs", "suits"):
            for i, sid in enumerate(getattr(item, field_name)):
                if sid not in situations:
                    errors.append(
                        ContentError(
                            file, entry, f"{field_name}.{i}", f"names a missing situation {sid!r} (situations.yaml)"
                        )
                    )
    for situation in situations.values():
        for i, sid in enumerate(situation.implies):
            if sid not in situations:
                errors.append(
                    ContentError(
                        "situations.yaml",
                        f"situations {situation.id}",
                        f"implies.{i}",
                        f"names a missing situation {sid!r}",
                    )
                )
    for pattern in patterns.values():
        for i, sid in enumerate(pattern.implies):
            if sid not in situations:
                errors.append(
                    ContentError(
                        "patterns.yaml",
                        f"patterns {pattern.id}",
                        f"implies.{i}",
                        f"names a missing situation {sid!r} (situations.yaml)",
                    )
                )
    if parsed.get("next_steps.yaml") is not None:
        # When a message says nothing specific, the bot still needs something true to suggest.
        for pid in ("uncertainty", "confidence", "inconsistency", "control"):
            n = sum(1 for st in steps.values() if pid in st.problems and not st.needs)
            if n < 3:
                errors.append(
                    ContentError(
                        "next_steps.yaml",
                        "-",
                        "needs",
                        f"problem {pid} has {n} general next steps (with no needs); at least 3 are needed",
                    )
                )
    if parsed.get("principles.yaml") is not None:
        for pid in ("uncertainty", "confidence", "inconsistency", "control"):
            if not any(pid in p.problems and not p.needs for p in principles.values()):
                errors.append(
                    ContentError("principles.yaml", "-", "needs", f"no principle with no needs serves problem {pid}")
                )


def _check_quotations(root: Path, principles, sources, parsed, errors) -> None:
    """Quoted words must be in the cited source word for word, and sources must carry their real names."""
    if parsed.get("sources.yaml") is not None:
        for source in sources.values():
            for field_name, message in source_problems(root, source):
                errors.append(ContentError("sources.yaml", f"sources {source.id}", field_name, message))
    if parsed.get("principles.yaml") is None or parsed.get("sources.yaml") is None:
        return
    for p in principles.values():
        if p.quote is not None:
            problem = quotation_problem(root, p.quote, sources)
            if problem:
                errors.append(ContentError("principles.yaml", f"principles {p.id}", f"quote.{problem[0]}", problem[1]))


def _check_references(principles, problems, patterns, steps, nudges, topics, routes, parsed, errors) -> None:
    if parsed.get("principles.yaml") is None:
        return  # already reported; every reference would be a second, misleading error
    for step in steps.values():
        if step.principle and step.principle not in principles:
            errors.append(
                ContentError("next_steps.yaml", step.id, "principle", f"names a missing principle {step.principle!r}")
            )
    for nudge in nudges.values():
        if nudge.principle not in principles:
            errors.append(
                ContentError("nudges.yaml", nudge.id, "principle", f"names a missing principle {nudge.principle!r}")
            )
    if parsed.get("escalation.yaml") is not None:
        for topic in topics.values():
            for i, route in enumerate(topic.routes):
                if route not in routes:
                    errors.append(
                        ContentError("escalation.yaml", topic.id, f"routes.{i}", f"names a missing route {route!r}")
                    )
            for i, other in enumerate(topic.outranks):
                if other not in topics or other == topic.id:
                    problem = "names itself" if other == topic.id else f"names a missing topic {other!r}"
                    errors.append(ContentError("escalation.yaml", topic.id, f"outranks.{i}", problem))


def _check_training_topics(training, places, topics, errors) -> None:
    """Every sensitive-matter example names the escalation topic it belongs to, so the bot learns whom to send it to."""
    for example, (file, index) in zip(training, places, strict=False):
        if example.first_move != "escalate":
            continue
        entry = f"#{index + 1} ({example.text[:40]!r})"
        if example.topic is None:
            errors.append(
                ContentError(file, entry, "topic", "an escalate example needs a topic (an id from escalation.yaml)")
            )
        elif example.topic not in topics:
            errors.append(ContentError(file, entry, "topic", f"names a missing escalation topic {example.topic!r}"))


def _check_coverage(principles, steps, problems, patterns, parsed, errors) -> None:
    """The dialogs rely on there being something to say for every problem and pattern."""
    if parsed.get("problems.yaml") is not None:
        missing = {"uncertainty", "confidence", "inconsistency", "control"} - set(problems)
        for pid in sorted(missing):
            errors.append(ContentError("problems.yaml", pid, "id", "problem is missing"))
    if parsed.get("patterns.yaml") is not None:
        missing = set(s.PatternId.__args__) - set(patterns)
        for pid in sorted(missing):
            errors.append(ContentError("patterns.yaml", pid, "id", "pattern is missing"))
    if parsed.get("next_steps.yaml") is not None:
        for pid in ("uncertainty", "confidence", "inconsistency", "control"):
            n = sum(1 for st in steps.values() if pid in st.problems)
            if n < 4:
                errors.append(
                    ContentError(
                        "next_steps.yaml", "-", "problems", f"problem {pid} has {n} next steps; at least 4 are needed"
                    )
                )
        for pid in s.PatternId.__args__:
            if not any(pid in st.patterns for st in steps.values()):
                errors.append(ContentError("next_steps.yaml", "-", "patterns", f"pattern {pid} has no next step"))
    if parsed.get("principles.yaml") is not None:
        for pid in ("uncertainty", "confidence", "inconsistency", "control"):
            if not any(pid in p.problems for p in principles.values()):
                errors.append(ContentError("principles.yaml", "-", "problems", f"no principle serves problem {pid}"))
    if parsed.get("nudges.yaml") is not None and len(parsed["nudges.yaml"].nudges) < 52:
        errors.append(
            ContentError(
                "nudges.yaml",
                "-",
                "nudges",
                f"{len(parsed['nudges.yaml'].nudges)} nudges; at least 52 are needed for a year without repeats",
            )
        )
