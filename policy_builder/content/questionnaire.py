"""The questionnaire: questions, their conditions, and turning raw answers into typed ones."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import TemplateError, TemplateRuntimeError

from policy_builder.content.conditions import check_when, unknown_name_error
from policy_builder.content.models import QUESTION_TYPES, Answers, Choice, Question, Questionnaire, QuestionSection
from policy_builder.content.schemas import MIGRATIONS_FILE, QUESTIONNAIRE_FILE, load_checked
from policy_builder.core import yamlio
from policy_builder.core.errors import LibraryError, ProfileError
from policy_builder.core.templating import (
    RUNTIME_ERRORS,
    ChoiceValue,
    Conditions,
    MultiValue,
    condition_holds,
    unshowable_note,
)

# Names the clause templates use that are worked out from answers, and the questions each depends on.
DERIVED_FROM = {  # derived names -> the questions they depend on
    "nation": ["organisation.nation"],
    "review_date": ["document.effective_date", "document.review_months"],
}

BUILD_DATE = "build_date"
DATE_YEARS = (2000, 2100)


def load_questionnaire(path: str | Path) -> Questionnaire:
    doc = load_checked(path, QUESTIONNAIRE_FILE)
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise LibraryError(doc.path, doc.line(), "expected a mapping with 'sections' and 'questions' lists")
    sections = []
    for index, raw in enumerate(data.get("sections") or []):
        if not isinstance(raw, dict) or not raw.get("id") or not raw.get("title"):
            raise LibraryError(doc.path, doc.line("sections", index), "each section needs an id and a title")
        sections.append(QuestionSection(id=str(raw["id"]), title=str(raw["title"])))
    section_ids = {s.id for s in sections}
    questions: dict[str, Question] = {}
    allowed = {
        "id", "section", "type", "prompt", "help", "sources", "required", "default",
        "default_from", "default_by", "choices", "min", "max", "when", "since",
    }  # fmt: skip
    for index, raw in enumerate(data["questions"]):
        line = doc.line("questions", index)
        if not isinstance(raw, dict):
            raise LibraryError(doc.path, line, "each question must be a mapping")
        unknown = set(raw) - allowed
        if unknown:
            raise LibraryError(
                doc.path,
                line,
                f"unknown field(s) {', '.join(sorted(map(str, unknown)))}; allowed: {', '.join(sorted(allowed))}",
            )
        qid = raw.get("id")
        if not isinstance(qid, str) or qid.count(".") != 1:
            raise LibraryError(doc.path, line, "question id must look like 'section.name'")
        if qid in questions:
            raise LibraryError(doc.path, line, f"question id '{qid}' is used twice")
        qtype = raw.get("type")
        if qtype not in QUESTION_TYPES:
            raise LibraryError(doc.path, line, f"{qid}: type must be one of {', '.join(QUESTION_TYPES)}")
        if raw.get("section") not in section_ids:
            raise LibraryError(doc.path, line, f"{qid}: section must be one of {', '.join(sorted(section_ids))}")
        choices = _load_choices(doc, index, qid)
        if qtype in ("choice", "multi") and not choices:
            raise LibraryError(doc.path, line, f"{qid}: a {qtype} question needs choices")
        for bound in ("min", "max"):
            value = raw.get(bound)
            if (qtype == "integer" or value is not None) and (isinstance(value, bool) or not isinstance(value, int)):
                raise LibraryError(doc.path, line, f"{qid}: min and max must be whole numbers")
        when = raw.get("when")
        if when is not None:
            when = check_when(when, doc.path, doc.line("questions", index, "when"), qid)
        default_by = _load_default_by(doc, index, qid, raw.get("default_by"))
        questions[qid] = Question(
            id=qid,
            section=str(raw["section"]),
            type=qtype,
            prompt=str(raw.get("prompt") or qid),
            help=str(raw.get("help") or ""),
            sources=tuple(raw.get("sources") or ()),
            required=bool(raw.get("required", False)),
            default=raw.get("default"),
            default_from=raw.get("default_from"),
            default_by=default_by,
            choices=choices,
            minimum=raw.get("min"),
            maximum=raw.get("max"),
            when=str(when) if when is not None else None,
            line=line,
            since=str(raw.get("since") or "1.0"),
        )
        default = raw.get("default")
        if default is not None and not raw.get("default_from"):
            try:
                cast_answer(questions[qid], default)
            except AnswerError as exc:
                raise LibraryError(
                    doc.path, doc.line("questions", index, "default"), f"{qid}: default: {exc}"
                ) from None
    for index, question in enumerate(questions.values()):
        if question.default_by:
            _check_default_by(doc, index, question, questions)
        if question.when:
            # A typo in a `when` would otherwise fail only for the profiles that reach it.
            error = unknown_name_error(
                question.when, doc.path, doc.line("questions", index, "when"), f"{question.id}: when", questions
            )
            if error is not None:
                raise error
    renamed, removed = _load_migrations(doc.path.parent / "migrations.yaml", questions)
    return Questionnaire(
        path=doc.path,
        sections=tuple(sections),
        questions=questions,
        version=str(data.get("version") or "1.0"),
        renamed=renamed,
        removed=removed,
    )


def _load_default_by(
    doc: yamlio.Document, index: int, qid: str, raw: Any
) -> tuple[str, tuple[tuple[str, Any], ...]] | None:
    """`default_by: {organisation.type: {local_authority: directed_and_chis}}`."""
    if raw is None:
        return None
    line = doc.line("questions", index, "default_by")
    if (
        not isinstance(raw, dict)
        or len(raw) != 1
        or not isinstance(next(iter(raw.values())), dict)
        or not next(iter(raw.values()))
    ):
        raise LibraryError(
            doc.path,
            line,
            f"{qid}: default_by: expected one question and a mapping of its answers to this question's default,"
            " such as {organisation.type: {local_authority: directed_and_chis}}",
        )
    other, mapping = next(iter(raw.items()))
    return str(other), tuple((str(k), v) for k, v in mapping.items())


def _check_default_by(doc: yamlio.Document, index: int, question: Question, questions: Mapping[str, Question]) -> None:
    assert question.default_by is not None
    line = doc.line("questions", index, "default_by")
    other, mapping = question.default_by
    if other not in questions or questions[other].type != "choice":
        raise LibraryError(doc.path, line, f"{question.id}: default_by: '{other}' is not a choice question")
    for answer, default in mapping:
        if answer not in questions[other].choice_values:
            allowed = ", ".join(questions[other].choice_values)
            raise LibraryError(doc.path, line, f"{question.id}: default_by: '{answer}' is not one of {allowed}")
        try:
            cast_answer(question, default)
        except AnswerError as exc:
            raise LibraryError(doc.path, line, f"{question.id}: default_by {answer}: {exc}") from None


def _load_migrations(path: Path, questions: Mapping[str, Question]) -> tuple[dict[str, str], dict[str, str]]:
    """Renamed and removed question ids, so profiles written for older questionnaires still load."""
    if not path.exists():
        return {}, {}
    doc = load_checked(path, MIGRATIONS_FILE, empty_ok=True)
    data = doc.data
    renamed = {str(k): str(v) for k, v in (data.get("renamed") or {}).items()}
    removed = {str(k): str(v) for k, v in (data.get("removed") or {}).items()}
    for old, new in renamed.items():
        if new not in questions:
            raise LibraryError(path, doc.line("renamed", old), f"{old} is renamed to {new}, which is not a question")
        if old in questions:
            raise LibraryError(path, doc.line("renamed", old), f"{old} is renamed but is still a question")
    return renamed, removed


def _load_choices(doc: yamlio.Document, index: int, qid: str) -> tuple[Choice, ...]:
    raw = doc.data["questions"][index].get("choices") or []
    example = "e.g. {value: yes_always, label: Yes, always}"
    if not isinstance(raw, list):
        raise LibraryError(
            doc.path, doc.line("questions", index, "choices"), f"{qid}: choices must be a list, {example}"
        )
    choices = []
    for number, choice in enumerate(raw):
        if not isinstance(choice, dict) or choice.get("value") is None or choice.get("label") is None:
            raise LibraryError(
                doc.path,
                doc.line("questions", index, "choices", number),
                f"{qid}: each choice needs a value and a label, {example}",
            )
        choices.append(Choice(value=str(choice["value"]), label=str(choice["label"])))
    return tuple(choices)


def version_key(version: str) -> tuple[int, ...]:
    """'1.10' > '1.9': compare dotted versions as numbers."""
    return tuple(int(part) if part.isdigit() else 0 for part in str(version).split("."))


# --- casting ----------------------------------------------------------------------


class AnswerError(ValueError):
    """A value is not allowed for a question; the message says what is."""


def describe_allowed(question: Question) -> str:
    if question.type == "choice":
        return f"one of {', '.join(question.choice_values)}"
    if question.type == "multi":
        return f"a list of any of {', '.join(question.choice_values)}"
    if question.type == "boolean":
        return "true or false"
    if question.type == "date":
        return f"a date written YYYY-MM-DD, from {DATE_YEARS[0]} to {DATE_YEARS[1]}"
    if question.type == "integer":
        return f"a whole number from {question.minimum} to {question.maximum}"
    return "text"


def cast_answer(question: Question, value: Any) -> Any:
    """Check and convert one raw answer; raise AnswerError saying what is allowed."""
    if value is None or (isinstance(value, str) and not value.strip() and question.type != "multi"):
        if question.required:
            raise AnswerError(f"an answer is required ({describe_allowed(question)})")
        return None
    qtype = question.type
    if qtype == "text":
        if isinstance(value, bool) or isinstance(value, (list, dict)):
            raise AnswerError(f"expected text, got {kind_of(value)}")
        half = re.search("[\ud800-\udfff]", str(value))
        if half:
            # Only a "\ud800" escape can make one; no file, Word document or terminal can hold it.
            raise AnswerError(f"U+{ord(half.group()):04X} is half of a character pair, not text; delete it")
        return str(value).strip()
    if qtype == "choice":
        if not isinstance(value, str) or value not in question.choice_values:
            raise AnswerError(
                f"{_show(value)} is not one of {', '.join(question.choice_values)}{_close_choice(value, question)}"
            )
        return value
    if qtype == "multi":
        if isinstance(value, str):
            raise AnswerError(f"expected a list such as [{question.choice_values[0]}], got the text {_show(value)}")
        if not isinstance(value, list):
            raise AnswerError(f"expected a list of any of {', '.join(question.choice_values)}, got {kind_of(value)}")
        if not value:
            raise AnswerError(f"choose at least one of {', '.join(question.choice_values)}")
        seen: list[str] = []
        for item in value:
            if not isinstance(item, str) or item not in question.choice_values:
                raise AnswerError(
                    f"{_show(item)} is not one of {', '.join(question.choice_values)}{_close_choice(item, question)}"
                )
            if item in seen:
                raise AnswerError(f"{_show(item)} is listed twice")
            seen.append(item)
        return seen
    if qtype == "boolean":
        if not isinstance(value, bool):
            quoted = isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no")
            hint = "; write true or false without quotes" if quoted else ""
            raise AnswerError(f"{_show(value)} is not true or false{hint}")
        return value
    if qtype == "date":
        date = None
        if isinstance(value, dt.datetime):
            date = None  # a time of day as well: which day is meant depends on the time zone, so ask for the day
        elif isinstance(value, dt.date):
            date = value
        elif isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
            # fromisoformat alone takes 20261201 and the week date 2026-W49 (Python 3.11) as a day.
            try:
                date = dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        if date is None or not DATE_YEARS[0] <= date.year <= DATE_YEARS[1]:
            # Outside these years it is a typo (0226 for 2026), and review dates past 9999 cannot exist.
            raise AnswerError(f"{_show(value)} is not {describe_allowed(question)}")
        return date
    if qtype == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            # ASCII digits only: str.isdigit() also passes '²' and '--5'.lstrip('-'), which int() then refuses.
            if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]{1,9}", value.strip()):
                value = int(value.strip())
            else:
                raise AnswerError(f"{_show(value)} is not {describe_allowed(question)}")
        if (question.minimum is not None and value < question.minimum) or (
            question.maximum is not None and value > question.maximum
        ):
            raise AnswerError(f"{value} is not {describe_allowed(question)}")
        return value
    raise AnswerError(f"unknown question type {qtype}")  # pragma: no cover - load checks types


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"  # as YAML writes it (yes/no/on/off read as true/false)
    if isinstance(value, (list, dict)):
        return kind_of(value)
    return repr(value) if isinstance(value, str) else str(value)


def _close_choice(value: Any, question: Question) -> str:
    """' (did you mean 'england'?)' for 'England' or 'OFFICIAL SENSITIVE'."""
    if not isinstance(value, str):
        return ""
    folded = {c.lower().replace(" ", "_").replace("-", "_"): c for c in question.choice_values}
    key = value.strip().lower().replace(" ", "_").replace("-", "_")
    if key in folded:
        return f" (did you mean '{folded[key]}'?)"
    return suggest(value, question.choice_values)


def kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    return type(value).__name__


# --- questions and answers in words, as the wizards show them ----------------------------


def describe_answer(question: Question, value: Any) -> str:
    """An answer in plain English, as the review screens and the gap report show it."""
    if value is None:
        if question.default_from == BUILD_DATE:
            return "(blank: the date the policy is built)"
        return "(blank)"
    if question.type == "boolean":
        return "Yes" if value else "No"
    if question.type == "choice":
        return question.label_of(value)
    if question.type == "multi":
        return ", ".join(question.label_of(v) for v in value)
    if isinstance(value, dt.date):
        return f"{value.day} {value:%B %Y}"  # as a manager writes it; the profile keeps ISO
    return str(value)


def question_numbers(questionnaire: Questionnaire, context: Mapping[str, Any]) -> dict[str, str]:
    """Each question that applies -> its number as the wizards show it: "6.2", the second question of section 6
    that applies to these answers. A question that does not apply has no number."""
    numbers: dict[str, str] = {}
    checks = Conditions(context)
    for number, section in enumerate(questionnaire.sections, start=1):
        position = 0
        for question in questionnaire.in_section(section.id):
            try:
                applies = not question.when or evaluate(question.when, checks)
            except (TemplateError, TypeError, ValueError, AttributeError):
                applies = False  # as the wizards judge it: only while an answer it names is missing
            if applies:
                position += 1
                numbers[question.id] = f"{number}.{position}"
    return numbers


# --- resolving a whole set of answers -------------------------------------------------


# Types whose blank answer means "not answered yet". A blank text answer is an answer
# (no approver yet, no team named): clause text already words it with `{% if %}`.
OPEN_TYPES = ("boolean", "choice", "multi", "integer")


def can_be_unanswered(question: Question) -> bool:
    """A question of fact with no default: left out, its value is None, which clauses read as "not answered yet"."""
    return (
        question.type in OPEN_TYPES and not question.required and question.default is None and not question.default_from
    )


def unanswered_questions(
    questionnaire: Questionnaire, values: Mapping[str, Any], context: Mapping[str, Any]
) -> list[str]:
    """The questions that apply (their `when` holds in ``context``) but have no answer and no default."""
    result = []
    checks = Conditions(context)
    for qid, question in questionnaire.questions.items():
        if not can_be_unanswered(question) or values.get(qid) is not None:
            continue
        if question_applies(questionnaire, question, checks):
            result.append(qid)
    return result


def sample_answers(question: Question) -> list[Any]:
    """Every answer worth trying for a question (a few for integers), to see whether answering it changes a result."""
    if question.type == "boolean":
        return [True, False]
    if question.type == "choice":
        return list(question.choice_values)
    if question.type == "multi":
        return [[value] for value in question.choice_values] + [list(question.choice_values)]
    if question.type == "integer":
        low = question.minimum if question.minimum is not None else 0
        high = question.maximum if question.maximum is not None else low + 12
        return sorted({low, min(max(low + 1, 12), high), high})
    return [None]


def default_for(question: Question, values: Mapping[str, Any], build_date: dt.date) -> Any:
    if question.default_from == BUILD_DATE:
        return build_date
    if question.default_from:
        return values.get(question.default_from)
    if question.default_by:
        other, mapping = question.default_by
        for answer, default in mapping:
            if values.get(other) == answer:
                return list(default) if isinstance(default, list) else default
    if isinstance(question.default, list):
        return list(question.default)
    return question.default


def build_context(
    questionnaire: Questionnaire,
    values: Mapping[str, Any],
    nations: Mapping[str, Mapping[str, Any]],
    build_date: dt.date,
) -> dict[str, Any]:
    """The names clause text, conditions and gap rules see."""
    context: dict[str, Any] = {}
    for qid, namespace, name, kind, question in _layout(questionnaire):
        value = values.get(qid)
        if kind == "choice" and value is not None:
            value = ChoiceValue(value, question.label_of(value))
        elif kind == "multi" and value is not None:
            value = MultiValue(value, [question.label_of(v) for v in value])
        context.setdefault(namespace, {})[name] = value
    nation = values.get("organisation.nation")
    context["nation"] = dict(nations.get(nation, {})) if nation else {}
    context["today"] = build_date
    # Whether the built policy is a draft: known only once its clauses are chosen, so false here;
    # the staff card and the leaflet, built after the policy, see the policy's own status.
    context["draft"] = False
    context["review_date"] = review_date(values, build_date)
    return context


# Each question's id split into namespace and name, once per questionnaire: lint builds thousands of contexts.
_layouts: dict[int, tuple[Questionnaire, list[tuple[str, str, str, str, Question]]]] = {}


def _layout(questionnaire: Questionnaire) -> list[tuple[str, str, str, str, Question]]:
    found = _layouts.get(id(questionnaire))
    if found is not None and found[0] is questionnaire and len(found[1]) == len(questionnaire.questions):
        return found[1]
    if len(_layouts) > 32:  # a long-running server that loads many libraries keeps only recent ones
        _layouts.clear()
    rows = []
    for qid, question in questionnaire.questions.items():
        namespace, name = qid.split(".")
        rows.append((qid, namespace, name, question.type, question))
    _layouts[id(questionnaire)] = (questionnaire, rows)
    return rows


def review_date(values: Mapping[str, Any], build_date: dt.date) -> dt.date:
    start = values.get("document.effective_date") or build_date
    months = values.get("document.review_months") or 12
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    # Clamp 31 January + 1 month to the end of February.
    for day in (start.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


LineOf = Callable[[str], "int | None"]


def resolve_answers(
    questionnaire: Questionnaire,
    given: Mapping[str, Any],
    nations: Mapping[str, Mapping[str, Any]],
    *,
    path: Path | None = None,
    line_of: LineOf | None = None,
    build_date: dt.date | None = None,
) -> Answers:
    """Cast the given answers, fill defaults, apply `when`; errors name the question."""
    build_date = build_date or dt.date.today()
    line_of = line_of or (lambda _qid: None)
    values: dict[str, Any] = {}
    defaults_used: list[str] = []
    for qid, question in questionnaire.questions.items():
        if qid in given:
            try:
                values[qid] = cast_answer(question, given[qid])
            except AnswerError as exc:
                raise ProfileError(path, line_of(qid), f"{qid}: {exc}") from None
    for qid, question in questionnaire.questions.items():
        if values.get(qid) is None:
            # Unanswered or left blank: the documented default (a blank short name is the full name).
            values[qid] = default_for(question, values, build_date)
            # A blank default (no Word template) puts nothing in the policy: not reported as a default used.
            if not question.required and not can_be_unanswered(question) and values[qid] is not None:
                defaults_used.append(qid)
    # `when` decides which answers count; a question that does not apply keeps its default.
    checks = Conditions(build_context(questionnaire, values, nations, build_date))
    not_applicable: list[str] = []
    unanswered: list[str] = []
    for qid, question in questionnaire.questions.items():
        applies = question_applies(questionnaire, question, checks)
        if applies and values[qid] is None and can_be_unanswered(question):
            unanswered.append(qid)
        if not applies:
            if qid in given:
                not_applicable.append(qid)
            values[qid] = default_for(question, values, build_date)
            if qid in defaults_used:
                defaults_used.remove(qid)
        elif question.required and values[qid] is None:
            raise ProfileError(
                path,
                line_of(qid),
                f"{qid}: an answer is required ({describe_allowed(question)}): {question.prompt}",
            )
    answers = Answers(
        path=path,
        values=values,
        defaults_used=defaults_used,
        not_applicable=not_applicable,
        build_date=build_date,
        unanswered=unanswered,
    )
    note = unshowable_note({qid: values[qid] for qid, q in questionnaire.questions.items() if q.type == "text"})
    if note:
        answers.notes.append(note)
    return answers


def question_applies(questionnaire: Questionnaire, question: Question, context: Mapping[str, Any] | Conditions) -> bool:
    """Whether a question's `when` holds; a condition that fails as it runs is a located library error."""
    try:
        return not question.when or evaluate(question.when, context)
    except TemplateError as exc:
        raise LibraryError(questionnaire.path, question.line, f"{question.id}: when: {exc}") from None


def evaluate(expression: str, context: Mapping[str, Any] | Conditions) -> bool:
    """Evaluate a `when` expression, compiled once per process (and cached between runs).

    ``context``: the answers' context, or Conditions over it when checking many expressions against one.
    """
    try:
        return condition_holds(expression, context)
    except RUNTIME_ERRORS as exc:
        # `1 / 0` or `'a' < 1` in a library condition: a template error callers report with file and line.
        raise TemplateRuntimeError(str(exc)) from None


def suggest(name: str, candidates: list[str]) -> str:
    import difflib  # here, not at the top: only a mistake needs it (2 ms of every build)

    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
