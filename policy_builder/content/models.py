"""Typed models passed between the pipeline stages. Frozen where they can be."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SEVERITIES = ("high", "medium", "low")
LEVELS = ("must", "should", "may", "note")
QUESTION_TYPES = ("text", "choice", "multi", "boolean", "date", "integer")
# What a clause's rule says about an action (clauses/actions.yaml). The first three
# require or allow it, the last two forbid it: one policy must never hold both kinds.
MODALITIES = ("must", "must_not", "should", "should_not", "may")
ALLOWING = frozenset({"must", "should", "may"})
FORBIDDING = frozenset({"must_not", "should_not"})


@dataclass(frozen=True)
class Choice:
    """One answer a choice question offers: the value stored, the label shown."""

    value: str
    label: str


@dataclass(frozen=True)
class Question:
    """One question of the questionnaire (clauses/questionnaire.yaml)."""

    id: str
    section: str
    type: str
    prompt: str
    help: str
    sources: tuple[str, ...] = ()
    required: bool = False
    default: Any = None
    default_from: str | None = None
    # Another question's answer -> this question's default, e.g. a council's surveillance powers;
    # any other answer keeps `default`.
    default_by: tuple[str, tuple[tuple[str, Any], ...]] | None = None
    choices: tuple[Choice, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    when: str | None = None
    line: int | None = None
    since: str = "1.0"

    @property
    def choice_values(self) -> list[str]:
        return [c.value for c in self.choices]

    def label_of(self, value: str) -> str:
        for choice in self.choices:
            if choice.value == value:
                return choice.label
        return str(value)


@dataclass(frozen=True)
class QuestionSection:
    """A section of the questionnaire, as the wizards number it."""

    id: str
    title: str


@dataclass(frozen=True)
class Questionnaire:
    """The questions, by section, with the ids renamed or removed since earlier versions."""

    path: Path
    sections: tuple[QuestionSection, ...]
    questions: dict[str, Question]
    version: str = "1.0"
    renamed: dict[str, str] = field(default_factory=dict)  # old question id -> new id
    removed: dict[str, str] = field(default_factory=dict)  # old question id -> reason

    def in_section(self, section_id: str) -> list[Question]:
        return [q for q in self.questions.values() if q.section == section_id]


@dataclass(frozen=True)
class SourceDocument:
    """A law, code or guidance document the clauses rest on (clauses/sources.yaml)."""

    id: str
    title: str
    body: str
    edition: str
    kind: str
    nations: tuple[str, ...] = ()  # empty: applies in every UK nation
    employer_types: tuple[str, ...] = ()  # empty: applies to every kind of employer

    def applies_in(self, nation: str, employer_type: str | None = None) -> bool:
        if employer_type and self.employer_types and employer_type not in self.employer_types:
            return False
        return not self.nations or nation in self.nations


@dataclass(frozen=True)
class SourceItem:
    """One passage of a source document, as the clauses cite it."""

    id: str
    document: str
    summary: str
    # A guidance passage that speaks of one nation's law (the Waltham Forest protocol's RIPA court
    # approval, the Equality Act 2010): left out of other nations' Sources appendix.
    nations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Action:
    """One entry of clauses/actions.yaml: a thing a rule can require, allow or forbid."""

    id: str
    description: str
    section: str
    line: int | None = None


@dataclass(frozen=True)
class Rule:
    """A clause's rule: `modality` (must, must_not, ...) applied to `action`, when `when` holds."""

    action: str
    modality: str
    when: str | None = None
    line: int | None = None
    # A cross-reference: this rule restates, as a reminder, the rule of the clause with this id,
    # which must be in the same policy and rule the same way (lint checks; see rules.duplicates).
    see: str | None = None

    @property
    def allows(self) -> bool:
        return self.modality in ALLOWING

    @property
    def forbids(self) -> bool:
        return self.modality in FORBIDDING


@dataclass(frozen=True)
class Clause:
    """One clause of the library, as written in its section file (clauses/*.yaml)."""

    id: str
    title: str
    text: str
    level: str
    sources: tuple[str, ...]
    version: int
    updated: dt.date | None
    section: str
    path: Path
    line: int | None
    when: str | None = None
    group: str | None = None
    rules: tuple[Rule, ...] = ()
    # "policy" (a rule staff follow) or "guide" (the why and the how, printed in the practice guide).
    document: str = "policy"
    guide: str | None = None  # a policy clause's pointer to the guide clause that explains it


@dataclass(frozen=True)
class LibrarySection:
    """A section of the library: one clauses/*.yaml file."""

    id: str
    title: str
    path: Path
    clauses: tuple[Clause, ...]
    intro: str | None = None
    when: str | None = None


@dataclass(frozen=True)
class GapRule:
    """A rule of clauses/gaps.yaml: when its condition holds for the answers, a gap is reported."""

    id: str
    when: str
    severity: str
    message: str
    recommendation: str
    questions: tuple[str, ...]
    sources: tuple[str, ...]
    path: Path
    line: int | None


GAP_CAUSES = ("answer", "unanswered")


@dataclass(frozen=True)
class GapWarning:
    """A gap found in one set of answers, as the gap report and the manifest show it."""

    id: str
    severity: str
    message: str
    recommendation: str
    questions: tuple[str, ...]
    sources: tuple[str, ...]
    # "answer": the answers given raise it; "unanswered": it stands only because
    # the questions in `unanswered` are not answered yet (a point still to decide).
    cause: str = "answer"
    unanswered: tuple[str, ...] = ()
    prompts: tuple[str, ...] = ()  # the questions in `unanswered`, as the questionnaire asks them

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "cause": self.cause,
            "unanswered": list(self.unanswered),
            "unanswered_prompts": list(self.prompts),
            "message": self.message,
            "recommendation": self.recommendation,
            "questions": list(self.questions),
            "sources": list(self.sources),
        }


@dataclass
class Answers:
    """A profile's answers resolved against the questionnaire."""

    path: Path | None
    values: dict[str, Any]
    defaults_used: list[str] = field(default_factory=list)
    not_applicable: list[str] = field(default_factory=list)  # answered, but their `when` is false
    build_date: dt.date = field(default_factory=dt.date.today)
    notes: list[str] = field(default_factory=list)  # migrations, new questions: said by the build
    new_questions: list[str] = field(default_factory=list)  # added since the profile's questionnaire version
    local_entries: list[Any] = field(default_factory=list)  # the profile's `local:` wording (local.LocalEntry)
    # Questions of fact that apply but have no answer and no default: the value is None ("not answered yet").
    unanswered: list[str] = field(default_factory=list)
    profile_sha256: str | None = None
    lines: dict[str, int | None] = field(default_factory=dict)  # question id -> its line in the profile, for messages

    def __getitem__(self, question_id: str) -> Any:
        return self.values[question_id]

    @property
    def slug(self) -> str:
        from policy_builder.core.output import slugify

        return slugify(self.values["organisation.short_name"] or self.values["organisation.name"])


@dataclass(frozen=True)
class RenderedClause:
    """A clause chosen for a policy, its text rendered for these answers and numbered."""

    number: str
    id: str
    title: str
    text: str  # Markdown, answers already escaped
    level: str
    sources: tuple[str, ...]
    version: int = 1
    local: str | None = None  # "added" or "replaced": the employer's own wording
    local_reason: str | None = None
    # A policy clause's pointer: the number ("G4.1") of the guide clause that explains it, when that
    # clause is in this employer's practice guide.
    guide_ref: str | None = None


@dataclass(frozen=True)
class GuideRef:
    """A guide paragraph a policy section points to: its number ("G5.1") and title."""

    number: str
    title: str


@dataclass(frozen=True)
class RenderedSection:
    """A numbered section of a built policy or practice guide."""

    number: int
    id: str
    title: str
    intro: str | None
    clauses: tuple[RenderedClause, ...]
    # The guide paragraphs this section's clauses point to, each once, in guide order: the one
    # "Practice guide: ..." line under the section heading.
    guide_refs: tuple[GuideRef, ...] = ()


@dataclass(frozen=True)
class GuideSection:
    """A section of the practice guide: the policy section's number, or for a library section
    with guide clauses only, the number of the policy section before it and a letter ("3A")."""

    number: str
    id: str
    title: str
    clauses: tuple[RenderedClause, ...]  # numbered "G<number>.<n>"


@dataclass(frozen=True)
class CitedDocument:
    """A source document and the passages of it a document cites."""

    document: SourceDocument
    items: tuple[SourceItem, ...]


@dataclass(frozen=True)
class LocalNote:
    """Something the build must say about the employer's local wording."""

    local_id: str
    clause_id: str | None
    message: str
    upstream_change: str | None = None  # Markdown word diff of the library clause since the local wording was written


@dataclass(frozen=True)
class HistoryEntry:
    """One row of a policy's version history."""

    version: str
    date: str
    summary: str


@dataclass(frozen=True)
class OpenQuestion:
    """An unanswered question whose answer would change which clauses the policy holds (it keeps it a draft)."""

    id: str
    prompt: str


@dataclass(frozen=True)
class DraftStatus:
    """Why a policy is still a draft: nobody has approved it, or questions that change its text are open."""

    unapproved: bool = False
    open_questions: tuple[OpenQuestion, ...] = ()

    @property
    def is_draft(self) -> bool:
        return self.unapproved or bool(self.open_questions)

    def reasons(self) -> list[str]:
        """Each reason as a plain-English phrase, for the cover, the build and the manifest."""
        reasons = []
        if self.open_questions:
            count = len(self.open_questions)
            listed = ", ".join(f"{q.id} ({q.prompt})" for q in self.open_questions)
            reasons.append(f"{count} question{'s' if count != 1 else ''} still to decide: {listed}")
        if self.unapproved:
            reasons.append("not yet approved (no approver recorded in document.approved_by)")
        return reasons

    def line(self) -> str:
        """One line for the terminal: 'DRAFT: 2 questions still to decide: ...; not yet approved (...)'."""
        return "DRAFT: " + "; ".join(self.reasons()) if self.is_draft else ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "draft": self.is_draft,
            "unapproved": self.unapproved,
            "open_questions": [{"id": q.id, "prompt": q.prompt} for q in self.open_questions],
        }


@dataclass(frozen=True)
class Policy:
    """A built policy: its sections, practice guide, sources and the answers it was built from."""

    title: str
    organisation: str
    short_name: str
    slug: str
    marking: str | None
    document_control: tuple[tuple[str, str], ...]
    sections: tuple[RenderedSection, ...]
    sources: tuple[CitedDocument, ...]  # what the policy's own clauses rest on: its short list of documents
    answers: Answers
    local_notes: tuple[LocalNote, ...] = ()
    history: tuple[HistoryEntry, ...] = ()  # earlier issues, oldest first, then this one
    changes_since: str | None = None  # Markdown summary of changes since the previous issue
    draft: DraftStatus = field(default_factory=DraftStatus)
    guide: tuple[GuideSection, ...] = ()  # the practice guide built from the same answers
    # What the policy and the guide rest on, for the sources annex (items filtered as `sources` is).
    annex_sources: tuple[CitedDocument, ...] = ()

    @property
    def clauses(self) -> list[RenderedClause]:
        """The policy's clauses (never the guide's)."""
        return [c for s in self.sections for c in s.clauses]

    @property
    def guide_clauses(self) -> list[RenderedClause]:
        return [c for s in self.guide for c in s.clauses]


# --- plain values, for the library snapshot ----------------------------------------------------
#
# The snapshot kept between runs (content/library.py) is JSON: dicts, lists, str, int, float, bool
# and None, never pickle or code, so reading one can only ever give data. These two functions turn
# the models above into such values and back, led by each field's type: a value of the wrong type,
# either way, is a PlainError (a snapshot holding one is ignored; a model holding one is not kept).


class PlainError(ValueError):
    """A value that does not match its type: not kept as plain values, or not rebuilt from them."""


def to_plain(kind: Any, value: Any) -> Any:
    """``value``, of type ``kind`` (a model, tuple, list, dict with str keys, Path, date, str, int,
    float, bool, None or Any), as plain values that ``from_plain(kind, ...)`` gives back equal."""
    return _converter(kind, True)(value)


def from_plain(kind: Any, data: Any) -> Any:
    """A value of type ``kind`` rebuilt from ``to_plain``'s plain values; PlainError on anything else."""
    return _converter(kind, False)(data)


_Convert = Callable[[Any], Any]
_converters: dict[tuple[Any, bool], _Convert] = {}


def _converter(kind: Any, out: bool) -> _Convert:
    """One function per (type, direction), made once: a snapshot converts thousands of values."""
    found = _converters.get((kind, out))
    if found is None:
        found = _converters[(kind, out)] = _make_converter(kind, out)
    return found


def _fail(kind: Any, value: Any) -> PlainError:
    return PlainError(f"expected {getattr(kind, '__name__', kind)}, found {type(value).__name__}")


def _make_converter(kind: Any, out: bool) -> _Convert:  # noqa: C901, PLR0911 - one branch a kind of type
    import dataclasses
    import types
    import typing

    if kind is Any:
        return _checked_any
    if kind in (str, int, float, bool, type(None)):

        def exact(value: Any) -> Any:
            if type(value) is not kind:  # bool is an int, and 1 == 1.0: only the exact type is the same value
                raise _fail(kind, value)
            return value

        return exact
    if kind is Path:
        if out:
            return lambda value: str(value) if isinstance(value, Path) else _raise(_fail(Path, value))
        return lambda data: _path(data) if type(data) is str else _raise(_fail(str, data))
    if kind is dt.date:
        if out:
            return lambda value: value.isoformat() if type(value) is dt.date else _raise(_fail(dt.date, value))
        return _date_from_plain
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        return _dataclass_converter(kind, out)
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in args if a is not type(None)]
        if len(options) != 1:
            raise TypeError(f"to_plain: only X | None unions are supported, not {kind}")
        inner = _converter(options[0], out)
        return lambda value: None if value is None else inner(value)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        each = _converter(args[0], out)
        if out:
            return lambda value: [each(v) for v in value] if type(value) is tuple else _raise(_fail(tuple, value))
        return lambda data: tuple([each(v) for v in data]) if type(data) is list else _raise(_fail(list, data))
    if origin is tuple:
        parts = [_converter(a, out) for a in args]

        def fixed(value: Any) -> Any:
            if type(value) is not (tuple if out else list) or len(value) != len(parts):
                raise PlainError(f"expected {len(parts)} values, found {type(value).__name__}")
            converted = [part(v) for part, v in zip(parts, value, strict=True)]
            return converted if out else tuple(converted)

        return fixed
    if origin is list:
        each = _converter(args[0], out)
        return lambda value: [each(v) for v in value] if type(value) is list else _raise(_fail(list, value))
    if origin is dict:
        if args[0] is not str:
            raise TypeError(f"to_plain: dict keys must be str (JSON's), not {args[0]}")
        each = _converter(args[1], out)

        def mapping(value: Any) -> Any:
            if type(value) is not dict:
                raise _fail(dict, value)
            result = {}
            for key, item in value.items():
                if type(key) is not str:
                    raise _fail(str, key)
                result[key] = each(item)
            return result

        return mapping
    raise TypeError(f"to_plain: no plain form for {kind}")


@functools.lru_cache(maxsize=1024)
def _path(text: str) -> Path:
    """One Path for each file named: every clause of a section names the same one (a Path is immutable)."""
    return Path(text)


def _raise(error: Exception) -> Any:
    raise error


def _date_from_plain(data: Any) -> dt.date:
    if type(data) is not str:
        raise _fail(str, data)
    try:
        return dt.date.fromisoformat(data)
    except ValueError:
        raise PlainError(f"not a date: {data[:40]!r}") from None


def _checked_any(value: Any) -> Any:
    """An Any-typed value (a question's default, a nation fact) must already be plain to be kept as it is.

    A tuple or a date there would come back as a list or a string, so it is refused rather than changed.
    """
    kind = type(value)
    if kind is list:
        for item in value:
            _checked_any(item)
    elif kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise _fail(str, key)
            _checked_any(item)
    elif kind is float:
        if value != value or value in (float("inf"), float("-inf")):  # JSON has no NaN or infinity
            raise PlainError("a number JSON cannot hold")
    elif kind not in (str, int, bool, type(None)):
        raise PlainError(f"{kind.__name__} has no plain form where any type is allowed")
    return value


def _dataclass_converter(kind: type, out: bool) -> _Convert:
    import dataclasses

    fields = [(f.name, _converter(resolve_annotation(f.type, kind), out)) for f in dataclasses.fields(kind)]
    names = {name for name, _ in fields}
    if out:

        def plain(value: Any) -> Any:
            if type(value) is not kind:
                raise _fail(kind, value)
            return {name: convert(getattr(value, name)) for name, convert in fields}

        return plain

    def rebuilt(data: Any) -> Any:
        if type(data) is not dict or data.keys() != names:
            raise PlainError(f"expected the fields of {kind.__name__}")
        made: Any = new(kind)
        # Each value set as the generated __init__ would (a model has no __post_init__, checked
        # below), without a frozen class's object.__setattr__ for each field: half the time.
        made.__dict__.update({name: convert(data[name]) for name, convert in fields})
        return made

    new = object.__new__
    if (
        hasattr(kind, "__post_init__")
        or hasattr(kind, "__slots__")
        or not all(f.init for f in dataclasses.fields(kind))
    ):

        def rebuilt_by_init(data: Any) -> Any:
            if type(data) is not dict or data.keys() != names:
                raise PlainError(f"expected the fields of {kind.__name__}")
            return kind(**{name: convert(data[name]) for name, convert in fields})

        return rebuilt_by_init
    return rebuilt


_annotations: dict[tuple[str, str], Any] = {}


def resolve_annotation(annotation: Any, owner: type) -> Any:
    """A field's type from its annotation, a string here (from __future__ import annotations).

    As typing.get_type_hints does for a whole class, evaluated in the module that defines ``owner``;
    each distinct string once ("str", "tuple[str, ...]" recur on every model).
    """
    if not isinstance(annotation, str):
        return annotation
    import sys

    key = (owner.__module__, annotation)
    found = _annotations.get(key)
    if found is None:
        found = _annotations[key] = eval(annotation, vars(sys.modules[owner.__module__]))  # noqa: S307 - our own annotations
    return found
