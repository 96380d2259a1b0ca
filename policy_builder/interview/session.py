"""The questionnaire as an interview, with no user interface.

Given the questionnaire and the answers so far, this knows which questions of
a section apply, how to read a typed answer ("y", "2,5", "2026-12-01"), which
gap warnings a section's answers raise, and what a partial or older profile
has not yet answered. The terminal wizard (wizard.py) and a browser wizard
both drive it; neither repeats this logic.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
import shlex
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from policy_builder.content.library import Library
from policy_builder.content.models import Answers, Choice, GapWarning, Question, QuestionSection
from policy_builder.content.questionnaire import (
    BUILD_DATE,
    DATE_YEARS,
    DERIVED_FROM,
    AnswerError,
    build_context,
    cast_answer,
    default_for,
    describe_allowed,
    evaluate,
    sample_answers,
    suggest,
    version_key,
)

# Re-exported for the wizards: the review screens and the gap report word answers alike.
from policy_builder.content.questionnaire import describe_answer as describe_answer
from policy_builder.core.errors import LibraryError, display_path
from policy_builder.core.output import slugify
from policy_builder.core.templating import Conditions, referenced_names
from policy_builder.core.terminal import program as program  # its home was here; callers still import it here
from policy_builder.pipeline.gaps import find_gaps

CLEAR = "-"  # typed to leave an optional answer blank
YES = ("y", "yes", "true")
NO = ("n", "no", "false")
_SEPARATORS = re.compile(r"[,;\s]+")
_RANGE = re.compile(r"^(\d+)-(\d+)$")

# Dates as people write them (issue 17): ISO, UK day/month/year, or "1 April 2027".
MONTHS = ("January February March April May June July August September October November December").split()
_MONTH_BY_NAME = (
    {name.lower(): n for n, name in enumerate(MONTHS, 1)}
    | {name[:3].lower(): n for n, name in enumerate(MONTHS, 1)}
    | {"sept": 9}
)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK_DATE = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_WORDS_DATE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})$")
DATE_EXAMPLES = "1 April 2027, 01/04/2027 or 2027-04-01"


def make_date(day: int, month: int, year: int) -> dt.date:
    """A date from its parts; AnswerError names the impossible date in words ("30 February 2027 is not a date")."""
    if not 1 <= month <= 12:
        raise AnswerError(f"{month} is not a month: the month is a number from 1 to 12")
    if not DATE_YEARS[0] <= year <= DATE_YEARS[1]:
        # The questionnaire's range: outside it the year is a typo (0227 for 2027).
        raise AnswerError(
            f"{year} is not a year from {DATE_YEARS[0]} to {DATE_YEARS[1]}: enter it in full, such as 2027"
        )
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise AnswerError(f"{day} {MONTHS[month - 1]} {year} is not a date") from None


def parse_date_text(text: str) -> dt.date:
    """A date typed as people write it: ``1 April 2027``, ``01/04/2027`` (day first, as in the UK) or ISO."""
    text = text.strip()
    if match := _ISO_DATE.match(text):
        year, month, day = (int(part) for part in match.groups())
        return make_date(day, month, year)
    if match := _UK_DATE.match(text):
        day, month, year = (int(part) for part in match.groups())
        return make_date(day, month, year)
    if match := _WORDS_DATE.match(text):
        named = _MONTH_BY_NAME.get(match.group(2).lower())
        if named is None:
            raise AnswerError(f"'{match.group(2)}' is not a month: write it in full, such as April")
        return make_date(int(match.group(1)), named, int(match.group(3)))
    raise AnswerError(f"'{text}' is not a date: write it as {DATE_EXAMPLES}")


def read_date_parts(parts: Mapping[str, str]) -> dt.date | None:
    """GOV.UK's day / month / year fields -> a date (None when all three are blank)."""
    day, month, year = (str(parts.get(key, "")).strip() for key in ("day", "month", "year"))
    if not (day or month or year):
        return None
    missing = [name for name, part in (("day", day), ("month", month), ("year", year)) if not part]
    if missing:
        return_missing = " and a ".join(missing)
        raise AnswerError(f"The date must include a {return_missing}")
    if not (day.isdigit() and year.isdigit()):
        raise AnswerError("Enter the date as numbers, for example 1 4 2027")
    month_number = int(month) if month.isdigit() else _MONTH_BY_NAME.get(month.lower())
    if month_number is None:
        raise AnswerError(f"'{month}' is not a month: enter a number from 1 to 12")
    if len(year) != 4:
        raise AnswerError("The year must be 4 numbers, for example 2027")
    return make_date(int(day), month_number, int(year))


def when_saved(saved: str, now: dt.datetime | None = None) -> str:
    """A draft's "2026-12-02 15:18" as a manager says it: "today at 3:18pm", "yesterday at 9:05am", "on 1 April at 3:18pm".

    Anything else (a hand-edited mark) is shown as it is.
    """
    try:
        when = dt.datetime.strptime(saved.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        return saved
    now = now or dt.datetime.now()
    hour = when.hour % 12 or 12
    clock = f"{hour}:{when.minute:02d}{'am' if when.hour < 12 else 'pm'}"
    days = (now.date() - when.date()).days
    if days == 0:
        return f"today at {clock}"
    if days == 1:
        return f"yesterday at {clock}"
    year = "" if when.year == now.year else f" {when.year}"
    return f"on {when.day} {MONTHS[when.month - 1]}{year} at {clock}"


@dataclass(frozen=True)
class Guidance:
    """One guidance item a question rests on."""

    id: str
    summary: str
    document: str  # the document's title


@dataclass(frozen=True)
class Flag:
    """Something about a loaded profile the person should know before answering."""

    question: str | None  # question id (None when the key is not a question)
    key: str
    message: str


def write_gap_report_docx(markdown_path: Path, organisation: str) -> Path:
    """The gap report in Word beside its Markdown (managers open Word): both wizards offer it."""
    from policy_builder.core.output import atomic_write
    from policy_builder.render.docx import render_report_docx

    path = markdown_path.with_suffix(".docx")
    content = render_report_docx(
        markdown_path.read_text(encoding="utf-8"), title="Gap report", author=organisation, category="Gap report"
    )
    atomic_write(path, content)
    return path


TEMPLATE_QUESTION = "document.reference_docx"
TEMPLATE_SUFFIXES = (".docx", ".dotx")


def check_template(text: str, *, profile_dir: Path, look_in: Sequence[Path] = ()) -> str:
    """A Word template path, checked when it is typed; the path to record (relative to the profile's folder).

    The build reads the template relative to the profile, so the check finds
    the file as typed (from this folder, or from ``look_in``) and records where
    it is as seen from ``profile_dir``. AnswerError says, in a sentence, what is wrong.
    """
    import os

    from policy_builder.core.errors import PolicyBuilderError
    from policy_builder.render.docx import open_template

    typed = Path(text.strip().strip("'\"")).expanduser()
    candidates = [typed] if typed.is_absolute() else [*(base / typed for base in look_in), profile_dir / typed]
    found = next((path for path in candidates if path.is_file()), None)
    if found is None:
        if typed.suffix.lower() not in TEMPLATE_SUFFIXES:
            raise AnswerError(
                f"'{text}' is not a Word file: type the path of a Word document (.docx) or template (.dotx), "
                f"or {CLEAR} for the standard layout"
            )
        raise AnswerError(
            f"there is no file at '{text}': check the spelling and the folder, or type {CLEAR} for the standard layout"
        )
    if found.suffix.lower() not in TEMPLATE_SUFFIXES:
        raise AnswerError(
            f"'{text}' is not a Word file: choose a Word document (.docx) or template (.dotx), "
            f"or type {CLEAR} for the standard layout"
        )
    if not os.access(found, os.R_OK):
        raise AnswerError(f"'{text}' cannot be read: check you may open it, or type {CLEAR} for the standard layout")
    try:
        open_template(found)
    except PolicyBuilderError as exc:
        reason = str(exc).split(": ", 1)[-1]
        raise AnswerError(f"'{text}' cannot be used as the Word template: {reason}") from None
    try:
        return Path(os.path.relpath(found.absolute(), profile_dir.absolute())).as_posix()
    except ValueError:  # another drive (Windows): only the full path reaches it
        return str(found.absolute())


def _written_for(path: str | Path, version: str, questionnaire: Any) -> str | None:
    """The questionnaire version a loaded file's answers were written for; None for a brand-new policy.

    A draft records no version of its own: a draft of changes to a profile was
    written for that profile's version, and a draft of a new policy was started
    on this questionnaire, so none of its questions is new to it (issue 17: a
    new policy's resumed draft showed "(new question)").
    """
    from policy_builder.core.errors import ProfileError
    from policy_builder.pipeline.profile_edit import draft_info, read_draft

    info = draft_info(path)
    if info is None:
        return version
    if info.of is not None and info.of.is_file():
        try:
            return read_draft(info.of, questionnaire).questionnaire_version
        except ProfileError:
            return version
    return None


# --- reading typed answers -------------------------------------------------------------


def parse_answer(question: Question, text: str) -> Any:
    """A typed answer -> the value cast_answer accepts; AnswerError says what to type instead.

    Blank input is the caller's business (it keeps the offered answer); ``-``
    leaves an optional answer blank.
    """
    text = text.strip()
    if text == CLEAR:
        if question.required:
            raise AnswerError(f"an answer is required here ({_typing_hint(question)})")
        return None
    if not text:
        return cast_answer(question, None)
    qtype = question.type
    if qtype == "boolean":
        if text.lower() in YES:
            return True
        if text.lower() in NO:
            return False
        raise AnswerError(f"'{text}' is not yes or no: type y or n")
    if qtype == "choice":
        choice = _choice(question, text)
        if choice is None:
            raise AnswerError(
                f"'{text}' is not one of the options. Choose one of: {choice_labels(question)} "
                f"(type a number from 1 to {len(question.choices)})"
            )
        return choice.value
    if qtype == "multi":
        chosen: list[str] = []
        for part in (p for p in _SEPARATORS.split(text) if p):
            for token in _expand_range(part):
                choice = _choice(question, token)
                if choice is None:
                    raise AnswerError(
                        f"'{token}' is not one of the options. Choose from: {choice_labels(question)} "
                        f"(type numbers from 1 to {len(question.choices)} "
                        f"separated by commas, such as 1,{min(3, len(question.choices))})"
                    )
                if choice.value not in chosen:
                    chosen.append(choice.value)
        return cast_answer(question, chosen)  # in the order typed: the policy lists them in that order
    if qtype == "date":
        return cast_answer(question, parse_date_text(text).isoformat())
    if qtype == "integer":
        try:
            return cast_answer(question, int(text))
        except (ValueError, AnswerError):
            raise AnswerError(f"'{text}' is not {describe_allowed(question)}") from None
    return cast_answer(question, text)


def choice_labels(question: Question) -> str:
    """The options as a manager reads them: "No, Yes to keep in touch, Yes for any work purpose"."""
    labels = [choice.label for choice in question.choices]
    # A label with a comma in it would run into the next one: semicolons keep them apart.
    return ("; " if any("," in label for label in labels) else ", ").join(labels)


def answer_problem(question: Question, raw: Any, exc: Exception) -> str:
    """Why a profile's answer will not do, as a sentence naming the question and its options, never its id."""
    if question.type in ("choice", "multi"):
        shown = ", ".join(map(str, raw)) if isinstance(raw, list) else str(raw)
        return f"the answer '{shown}' to “{question.prompt}” is not one of the options. Choose one of: {choice_labels(question)}"
    return f"the answer to “{question.prompt}” will not do: {exc}"


def _choice(question: Question, token: str) -> Choice | None:
    if token.isdigit():
        index = int(token)
        return question.choices[index - 1] if 1 <= index <= len(question.choices) else None
    for choice in question.choices:
        if token.lower() in (choice.value.lower(), choice.label.lower()):
            return choice
    return None


def _expand_range(part: str) -> list[str]:
    match = _RANGE.match(part)
    if not match:
        return [part]
    start, end = int(match.group(1)), int(match.group(2))
    return [str(n) for n in range(start, end + 1)] if start <= end else [part]


def _typing_hint(question: Question) -> str:
    return {
        "boolean": "y or n",
        "choice": f"a number from 1 to {len(question.choices)}",
        "multi": f"numbers from 1 to {len(question.choices)}, separated by commas",
        "date": f"a date, such as {DATE_EXAMPLES}",
        "integer": describe_allowed(question),
    }.get(question.type, "some text")


def typed_form(question: Question, value: Any) -> str:
    """What a person would type to give ``value``: the inverse of parse_answer ('' for blank)."""
    if value is None:
        return ""
    if question.type == "boolean":
        return "y" if value else "n"
    if question.type == "choice":
        return str(question.choice_values.index(value) + 1) if value in question.choice_values else str(value)
    if question.type == "multi":
        return ",".join(
            str(question.choice_values.index(v) + 1) if v in question.choice_values else str(v) for v in value
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# --- reading answers from a form (the browser wizard) ----------------------------------------

BOOLEAN_FIELD = {"yes": True, "no": False}


def read_form_answer(question: Question, raw: str | Sequence[str], current: Any = None) -> Any:
    """A form field's value -> the answer; AnswerError says, as a sentence, what to enter instead.

    Unlike a typed answer, a blank field is a blank answer: the form already
    shows the current answer, so emptying it means "leave this blank". Choices
    arrive as their values, yes/no as "yes" or "no", a multi-choice as the
    values ticked (kept in ``current``'s order, new ones after, so a profile's
    order survives an edit).
    """
    if question.type == "date" and isinstance(raw, Mapping):
        try:
            date = read_date_parts(raw)
        except AnswerError as exc:
            raise AnswerError(_sentence(str(exc))) from None
        if date is None:
            if question.required:
                raise AnswerError("Enter a date, for example 1 4 2027")
            return None
        return cast_answer(question, date.isoformat())
    if question.type == "multi":
        ticked = [raw] if isinstance(raw, str) else list(raw)
        ticked = list(dict.fromkeys(item.strip() for item in ticked if item.strip()))
        if not ticked:
            raise AnswerError("Select at least one option")
        unknown = [item for item in ticked if item not in question.choice_values]
        if unknown:
            raise AnswerError(f"'{unknown[0]}' is not one of the options. Choose from: {choice_labels(question)}")
        kept = [item for item in (current or []) if item in ticked]
        return cast_answer(question, kept + [item for item in ticked if item not in kept])
    text = raw if isinstance(raw, str) else (raw[-1] if raw else "")
    text = text.strip()
    if not text:
        if question.type in ("choice", "boolean"):
            # Radio buttons cannot be unticked, so nothing ticked means the question was passed over, not
            # answered "blank": ask for an answer, as the terminal does (issue 17: a section went "Done" with one).
            raise AnswerError(choose_message(question))
        if question.required:
            raise AnswerError("Enter an answer")
        return None
    if question.type == "choice":
        if text not in question.choice_values:
            raise AnswerError(f"'{text}' is not one of the options. Choose one of: {choice_labels(question)}")
        return text
    if question.type == "boolean":
        if text.lower() not in BOOLEAN_FIELD:
            raise AnswerError("Select yes or no")
        return BOOLEAN_FIELD[text.lower()]
    if question.type == "date":
        try:
            return cast_answer(question, parse_date_text(text).isoformat())
        except AnswerError as exc:
            raise AnswerError(_sentence(str(exc))) from None
    if question.type == "integer":
        try:
            return cast_answer(question, int(text))
        except (ValueError, AnswerError):
            raise AnswerError(f"Enter {describe_allowed(question)} (you entered '{text}')") from None
    try:
        return cast_answer(question, text)
    except AnswerError as exc:
        raise AnswerError(str(exc)[:1].upper() + str(exc)[1:]) from None


def choose_message(question: Question) -> str:
    """What to do when a yes/no or choice question is passed over: "Choose Yes or No"."""
    return "Choose Yes or No" if question.type == "boolean" else "Choose one of the options"


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


def form_value(question: Question, value: Any) -> str | list[str] | dict[str, str]:
    """What a form field shows for ``value``: the inverse of read_form_answer."""
    if question.type == "multi":
        return list(value or [])
    if question.type == "date":
        # GOV.UK's three fields: day, month and year, as numbers without leading zeros.
        if isinstance(value, dt.date):
            return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}
        if isinstance(value, str) and value:
            try:
                return form_value(question, parse_date_text(value))
            except AnswerError:
                pass
        return {"day": "", "month": "", "year": ""}
    if value is None:
        return ""
    if question.type == "boolean":
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# About a minute for every 3 or 4 questions: an estimate, not a measurement. The basis: most questions
# offer a suggested answer to read and check (15-20 seconds each), while names, routes and contacts are
# typed or looked up, and reading the guidance behind a question takes longer.
QUESTIONS_PER_MINUTE = (3, 4)
# The first sections ask about the organisation and the document, which the person filling in knows.
_KNOWN_SECTIONS = 2


@dataclass(frozen=True)
class QuestionCount:
    """How many questions a manager is asked: one definition for every number either wizard shows.

    A question counts when the manager is shown it: it applies (its `when`
    holds) given the answers so far, with the suggested answer standing for
    each one not yet given. Answers still to give can bring follow-up
    questions in or take them out, so ``most`` is how many could apply once
    they are given (equal to ``applies`` when the answers so far settle it:
    the nation and type of employer, say).
    """

    applies: int  # shown with the answers so far (suggested answers for the rest)
    most: int  # the most that could be shown, whatever the answers still to give
    answered: int  # of those that apply, how many are answered

    def total(self) -> str:
        """'48 questions', or 'up to 51 questions' while answers to come can add follow-ups."""
        return f"{self.applies} questions" if self.most == self.applies else f"up to {self.most} questions"

    def progress(self) -> str:
        """'29 of 48 questions answered' (and how many follow-ups answers to come may add)."""
        text = f"{self.answered} of {self.applies} questions answered"
        if self.most > self.applies:
            extra = self.most - self.applies
            text += f" (your answers still to come may add up to {extra} follow-up question{'' if extra == 1 else 's'})"
        return text


def count_questions(interview: Interview) -> QuestionCount:
    """The question count for these answers (see QuestionCount for what counts)."""
    questions = interview.library.questionnaire.questions.values()
    checks = Conditions(interview._when_context())
    applies = [q for q in questions if interview.applies(q, checks)]
    most = len(applies) + sum(1 for q in questions if not interview.applies(q, checks) and interview.could_apply(q))
    answered = sum(1 for q in applies if q.id in interview.answers)
    return QuestionCount(applies=len(applies), most=most, answered=answered)


@dataclass(frozen=True)
class Length:
    """How long a new policy takes, said honestly on the first screen of both wizards."""

    questions: int  # asked of a new policy, with every suggested answer kept
    most: int  # the most a new policy can be asked (follow-ups that some answers bring in)
    sections: int
    minutes: tuple[int, int]  # about this many minutes, fewest to most
    to_hand: list[str]  # the facts to look up first: prompts of questions answered in words

    def sentence(self, from_policy: int | None = None) -> str:
        """``from_policy``: how many answers the employer's current policy suggested (wizard --from-policy), said
        as the real count rather than "most"."""
        low, high = self.minutes
        more = (
            "" if self.most == self.questions else f", up to {self.most} if your answers bring in follow-up questions"
        )
        return (
            f"There are {self.questions} questions in {self.sections} sections{more}: about "
            f"{low} to {high} minutes (about a minute for every {QUESTIONS_PER_MINUTE[0]} or "
            f"{QUESTIONS_PER_MINUTE[1]} questions). "
            + (
                f"{from_policy} of {self.questions} have a suggested answer from your policy to check."
                if from_policy is not None
                else "Most already have a suggested answer to check."
            )
        )


def new_policy_length(library: Library) -> Length:
    """Counted from the questionnaire, as a new policy asks it: never a number written into a page."""
    interview = Interview(library)
    asked = [question for section in interview.sections for question in interview.applicable(section.id)]
    counted = count_questions(interview)
    known = {section.id for section in interview.sections[:_KNOWN_SECTIONS]}
    to_hand = [
        question.prompt
        for question in asked
        if question.type == "text" and question.section not in known and not question.id.startswith("document.")
    ]
    minutes = (-(-counted.applies // QUESTIONS_PER_MINUTE[1]), -(-counted.most // QUESTIONS_PER_MINUTE[0]))
    return Length(
        questions=counted.applies,
        most=counted.most,
        sections=len(interview.sections),
        minutes=minutes,
        to_hand=to_hand,
    )


@dataclass
class SectionForm:
    """A section's answers read from a form all at once."""

    values: dict[str, Any]  # the answers accepted, by question id
    errors: dict[str, str]  # question id -> what to enter instead (only questions that still apply)
    follow_ups: list[Question]  # questions that apply given these answers but were not on the form

    @property
    def complete(self) -> bool:
        """Nothing to fix and nothing new to ask: the section is done."""
        return not self.errors and not self.follow_ups


SEVERITIES = ("high", "medium", "low")  # the gap report's order: the most serious first


@dataclass(frozen=True)
class GapCount:
    """How many gaps of each severity, and how many stand only because a question is not answered yet.

    One count for every front end: the terminal's review and build, the browser's
    panels and finish page all say the same numbers in the same words.
    """

    high: int = 0
    medium: int = 0
    low: int = 0
    undecided: int = 0  # the gap report's "Still to decide": they go once the questions are answered

    @property
    def total(self) -> int:
        return self.high + self.medium + self.low

    def phrase(self) -> str:
        """'1 high, 2 medium, 0 low'."""
        return f"{self.high} high, {self.medium} medium, {self.low} low"


def count_gaps(warnings: Iterable[GapWarning]) -> GapCount:
    warnings = list(warnings)
    by = {s: sum(1 for w in warnings if w.severity == s) for s in SEVERITIES}
    return GapCount(**by, undecided=sum(1 for w in warnings if w.cause == "unanswered"))


@dataclass(frozen=True)
class Built:
    """What a wizard's build wrote: the build's result, and every file in order (the Word gap report included)."""

    result: Any  # build.BuildResult
    files: list[Path]
    gap_report_docx: Path | None


@dataclass(frozen=True)
class ReviewAnswer:
    """An answer as the review shows it: what it is in words, and whether it was given, is missing or a default."""

    text: str
    kind: str  # answered, missing (a required question not answered yet) or default (the suggested answer stands)


# --- the interview -----------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why an answer is offered: the passage of the employer's current policy it was read from."""

    where: str  # "section 4.2, paragraph 3"
    quote: str

    def sentence(self) -> str:
        return f'From your current policy, {self.where}: "{self.quote}"'


@dataclass
class StartingAnswers:
    """Answers to start a wizard from, each with its reason: what the employer's current policy settles.

    Made by audit/draft.py (``starting_answers``); the wizards receive it, or a reader that makes it,
    from the command line, so they never depend on the audit package.
    """

    answers: dict[str, Any]
    reasons: dict[str, Reason]
    notices: list[str]  # said first: how many answers came from the policy, what it answers two ways

    def start(self, interview: Interview) -> None:
        interview.answers.update(self.answers)
        interview.reasons.update(self.reasons)


# Reads an employer's policy file into starting answers; (path, name as the person knows it).
PolicyReader = Callable[[Path, str], StartingAnswers]


@dataclass
class Interview:
    """The answers so far, and everything that follows from them.

    ``answers`` holds what the person (or the loaded profile) answered, by
    question id; None means deliberately left blank. Questions not in it are
    not answered yet and count at their documented default.
    """

    library: Library
    answers: dict[str, Any] = field(default_factory=dict)
    build_date: dt.date = field(default_factory=dt.date.today)
    invalid: dict[str, Any] = field(default_factory=dict)  # raw profile values no longer allowed: asked again
    flags: list[Flag] = field(default_factory=list)
    profile_version: str | None = None  # the questionnaire version a loaded profile was written for
    # Why an answer is offered, shown under its question: the passage of the employer's current policy
    # it was read from ("wizard --from-policy", the browser's "Start from our current policy").
    reasons: dict[str, Reason] = field(default_factory=dict)

    @classmethod
    def from_profile(cls, library: Library, path: str | Path, *, build_date: dt.date | None = None) -> Interview:
        """Resume or edit a profile: unfinished ones, and ones written for an older questionnaire, load too."""
        from policy_builder.pipeline.profile_edit import read_draft

        questionnaire = library.questionnaire
        draft = read_draft(path, questionnaire)
        interview = cls(library=library, build_date=build_date or dt.date.today())
        interview.profile_version = _written_for(path, draft.questionnaire_version, questionnaire)
        where = display_path(draft.path)
        for key, line in draft.retired:
            at = f"{where}:{line}" if line else where
            namespace, _, name = key.partition(".")
            if name:
                names = [qid.split(".")[1] for qid in questionnaire.questions if qid.startswith(namespace + ".")]
                hint = suggest(name, names)
            else:
                hint = suggest(namespace, sorted({qid.split(".")[0] for qid in questionnaire.questions}))
            interview.flags.append(
                Flag(
                    None,
                    key,
                    f"{at}: '{key}' is not a question in the questionnaire{hint}; it will be left out when you save",
                )
            )
        for note in draft.notes:
            interview.flags.append(Flag(None, note.split(" ", 1)[0], f"{where}: {note}"))
        for qid, raw in draft.given.items():
            question = questionnaire.questions[qid]
            try:
                interview.answers[qid] = cast_answer(question, raw)
            except AnswerError as exc:
                if raw is None or (isinstance(raw, str) and not raw.strip()):
                    continue  # a required answer left blank: simply not answered yet
                line = draft.lines.get(qid)
                at = f"{where}:{line}" if line else where
                interview.invalid[qid] = raw
                # Named by its question, not its id: a manager reads this (issue 17).
                problem = answer_problem(question, raw, exc)
                interview.flags.append(Flag(qid, qid, f"{at}: {problem}; you will be asked again"))
        return interview

    # --- the questionnaire's shape ---------------------------------------------------
    @property
    def sections(self) -> tuple[QuestionSection, ...]:
        return self.library.questionnaire.sections

    def section_number(self, section_id: str) -> int:
        return [s.id for s in self.sections].index(section_id) + 1

    def section(self, section_id: str) -> QuestionSection:
        return self.sections[self.section_number(section_id) - 1]

    def question(self, qid: str) -> Question:
        return self.library.questionnaire.questions[qid]

    def progress(self, section_id: str) -> str:
        """'Section 4 of 11: Messaging and video'."""
        return f"Section {self.section_number(section_id)} of {len(self.sections)}: {self.section(section_id).title}"

    # --- what applies ----------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """Every question's value as the build would see it, with defaults for what is unanswered.

        The same steps as questionnaire.resolve_answers, except that a missing
        required answer stays None instead of being an error.
        """
        questionnaire = self.library.questionnaire
        values = self._with_defaults()
        checks = Conditions(build_context(questionnaire, values, self.library.nations, self.build_date))
        for qid, question in questionnaire.questions.items():
            if question.when and not self._holds(question.when, checks):
                values[qid] = default_for(question, values, self.build_date)
        return values

    def context(self) -> dict[str, Any]:
        return build_context(self.library.questionnaire, self.values(), self.library.nations, self.build_date)

    def applies(self, question: Question, context: Mapping[str, Any] | Conditions | None = None) -> bool:
        if not question.when:
            return True
        return self._holds(question.when, context if context is not None else self._when_context())

    def applicable(self, section_id: str) -> list[Question]:
        """The questions of a section to ask, given the answers so far (follow-ups only where they apply)."""
        checks = Conditions(self._when_context())
        return [q for q in self.library.questionnaire.in_section(section_id) if self.applies(q, checks)]

    def is_answered(self, qid: str) -> bool:
        return qid in self.answers

    def unanswered(self, section_id: str | None = None) -> list[Question]:
        """Questions that apply but the profile does not answer yet (or answers with a value no longer allowed)."""
        sections = [section_id] if section_id else [s.id for s in self.sections]
        # One context for every section asked about (as `applicable`, which would make one a section).
        checks = Conditions(self._when_context())
        in_section = self.library.questionnaire.in_section
        return [q for s in sections for q in in_section(s) if q.id not in self.answers and self.applies(q, checks)]

    def is_new(self, question: Question) -> bool:
        """Added to the questionnaire since the loaded profile was written."""
        if self.profile_version is None:
            return False
        return version_key(question.since) > version_key(self.profile_version)

    def could_apply(self, question: Question, limit: int = 512) -> bool:
        """Whether some answers to the questions still open would bring ``question`` into play.

        Tries every answer worth trying (sample_answers) to the unanswered
        questions its `when` names (the nation for names such as nation.*);
        a follow-up of a follow-up is covered, as the trial sets both.
        """
        if not question.when:
            return True
        questions = self.library.questionnaire.questions
        open_ids: list[str] = []
        for name in referenced_names(question.when, expression=True):
            for qid in [name, *DERIVED_FROM.get(name.split(".")[0], [])]:
                if qid in questions and qid not in self.answers and qid not in open_ids:
                    open_ids.append(qid)
        # A `when` naming another follow-up: what brings that one in counts too.
        for qid in list(open_ids):
            other = questions[qid]
            if other.when:
                for name in referenced_names(other.when, expression=True):
                    if name in questions and name not in self.answers and name not in open_ids:
                        open_ids.append(name)
        options = [sample_answers(questions[qid]) for qid in open_ids]
        for count, combo in enumerate(itertools.product(*options)):
            if count >= limit:
                return True  # too many to try: say it could, so "up to" never undercounts
            if self.trying(dict(zip(open_ids, combo, strict=True))).applies(question):
                return True
        return False

    def not_applicable(self) -> list[str]:
        """Answered questions whose `when` is now false: their answers are left out when saved."""
        checks = Conditions(self._when_context())
        questions = self.library.questionnaire.questions
        return [
            qid
            for qid in questions
            if (qid in self.answers or qid in self.invalid) and not self.applies(questions[qid], checks)
        ]

    def missing_required(self) -> list[Question]:
        return [q for q in self.unanswered() if q.required]

    def _with_defaults(self) -> dict[str, Any]:
        questionnaire = self.library.questionnaire
        values: dict[str, Any] = {qid: self.answers.get(qid) for qid in questionnaire.questions}
        for qid, question in questionnaire.questions.items():
            if values[qid] is None:
                values[qid] = default_for(question, values, self.build_date)
        return values

    def _when_context(self) -> dict[str, Any]:
        # `when` is judged on the answers with defaults, before `when` resets anything (as resolve_answers does).
        return build_context(self.library.questionnaire, self._with_defaults(), self.library.nations, self.build_date)

    @staticmethod
    def _holds(expression: str, context: Mapping[str, Any] | Conditions) -> bool:
        try:
            return evaluate(expression, context)
        except (TemplateError, TypeError, ValueError, AttributeError):
            # Only possible while a required answer it names is still missing.
            return False

    # --- offering and taking answers ---------------------------------------------------------
    def offered(self, question: Question) -> Any:
        """The answer to offer as the default: the current answer, else the documented default.

        A date that defaults to the build date is offered blank, so the saved
        profile keeps following the build date.
        """
        if question.id in self.answers:
            return self.answers[question.id]
        if question.default_from == BUILD_DATE:
            return None
        return default_for(question, self.values(), self.build_date)

    def answer(self, qid: str, value: Any) -> None:
        self.answers[qid] = cast_answer(self.question(qid), value)
        self.invalid.pop(qid, None)

    def guidance(self, question: Question) -> list[Guidance]:
        """The guidance a question rests on, for this employer's nation and type once they are answered.

        An English council is not shown the Scottish surveillance act (issue 17):
        a document or passage marked for some nations (or employer types) is
        left out elsewhere, as the Sources appendix leaves it out.
        """
        nation = self.answers.get("organisation.nation")
        employer = self.answers.get("organisation.type")
        result = []
        for item_id in question.sources:
            item = self.library.items.get(item_id)
            if item is None:
                continue
            document = self.library.documents.get(item.document)
            if nation and item.nations and nation not in item.nations:
                continue
            if document is not None and nation and not document.applies_in(nation, employer):
                continue
            result.append(Guidance(item_id, item.summary, document.title if document else item.document))
        return result

    def read_section(self, section_id: str, given: Mapping[str, str | Sequence[str]]) -> SectionForm:
        """Read a whole section's form: ``given`` holds the fields of the questions that were on it.

        Nothing is changed. An answer here can bring a follow-up question into
        play (or take one out), so what applies is judged on these answers:
        errors count only for questions that still apply, and a question that
        now applies but was not on the form is a follow-up to ask.
        """
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for question in self.library.questionnaire.in_section(section_id):
            if question.id not in given:
                continue
            try:
                values[question.id] = read_form_answer(question, given[question.id], self.answers.get(question.id))
            except AnswerError as exc:
                errors[question.id] = str(exc)
        trial = self.trying(values)
        applicable = trial.applicable(section_id)
        ids = {q.id for q in applicable}
        return SectionForm(
            values=values,
            errors={qid: message for qid, message in errors.items() if qid in ids},
            follow_ups=[q for q in applicable if q.id not in given],
        )

    def take_section(self, section_id: str, given: Mapping[str, str | Sequence[str]]) -> SectionForm:
        """read_section, then keep the answers when there is nothing to fix."""
        form = self.read_section(section_id, given)
        if not form.errors:
            for qid, value in form.values.items():
                self.answer(qid, value)
        return form

    def trying(self, values: Mapping[str, Any]) -> Interview:
        """A copy with these answers given as well: to see what would apply, changing nothing."""
        return dataclasses.replace(self, answers={**self.answers, **values}, invalid=dict(self.invalid))

    # --- gaps ----------------------------------------------------------------------------
    def rule_sections(self) -> dict[str, set[str]]:
        """Gap rule id -> the sections of every question it names (in `questions` or in its `when`)."""
        cached = getattr(self, "_rule_sections", None)
        if cached is not None and cached[0] is self.library:
            return cached[1]
        questions = self.library.questionnaire.questions
        result: dict[str, set[str]] = {}
        for rule in self.library.gap_rules:
            qids = set(rule.questions)
            for name in referenced_names(rule.when, expression=True):
                if name in questions:
                    qids.add(name)
                qids.update(DERIVED_FROM.get(name.split(".")[0], []))
            result[rule.id] = {questions[q].section for q in qids if q in questions}
        self._rule_sections = (self.library, result)
        return result

    def section_gaps(self, section_id: str, reached: Collection[str] | None = None) -> list[GapWarning]:
        """The gap warnings this section's answers raise.

        A rule counts once every section it depends on has been reached
        (``reached``: by default this section and those before it), so a rule
        about the out-of-hours route waits for the out-of-hours section instead
        of firing on defaults the person has not been asked about yet.
        """
        order = [s.id for s in self.sections]
        if reached is None:
            reached = order[: order.index(section_id) + 1]
        owned = {
            rule_id
            for rule_id, sections in self.rule_sections().items()
            if section_id in sections and sections <= set(reached)
        }
        return self._gaps([r for r in self.library.gap_rules if r.id in owned])

    def gaps(self) -> list[GapWarning]:
        """Every gap warning the answers so far raise (defaults for the rest)."""
        return self._gaps(self.library.gap_rules)

    def gaps_so_far(self, reached: Collection[str]) -> list[GapWarning]:
        """The gap warnings of every rule whose sections have all been reached (all of them once every section is)."""
        if set(reached) >= {s.id for s in self.sections}:
            return self.gaps()
        owned = {rule_id for rule_id, sections in self.rule_sections().items() if sections and sections <= set(reached)}
        return self._gaps([r for r in self.library.gap_rules if r.id in owned])

    def _gaps(self, rules: Iterable[Any]) -> list[GapWarning]:
        rules = list(rules)
        answers = Answers(path=None, values=self.values(), build_date=self.build_date)
        context = self.context()
        try:
            return find_gaps(dataclasses.replace(self.library, gap_rules=rules), answers, context)
        except (LibraryError, TypeError, ValueError, AttributeError):
            if not self.missing_required():
                raise  # a broken rule, not a missing answer: lint reports it
        # A required answer is still missing: judge the rules one by one and skip those that need it.
        warnings: list[GapWarning] = []
        for rule in rules:
            try:
                warnings.extend(find_gaps(dataclasses.replace(self.library, gap_rules=[rule]), answers, context))
            except (LibraryError, TypeError, ValueError, AttributeError):
                continue
        return warnings

    # --- saving --------------------------------------------------------------------------
    def profile_answers(self, *, final: bool) -> dict[str, Any]:
        """What the saved profile holds.

        A final save leaves out answers to questions that no longer apply. A
        partial save ("finish later") keeps everything, including values that
        must be asked again, so nothing the person or the file had is lost.
        """
        result = dict(self.answers)
        if final:
            for qid in self.not_applicable():
                result.pop(qid, None)
        else:
            for qid, raw in self.invalid.items():
                result.setdefault(qid, raw)
        return result

    def review_answer(self, question: Question) -> ReviewAnswer:
        """The answer to ``question`` for a review screen: both wizards word it alike."""
        if self.is_answered(question.id):
            return ReviewAnswer(describe_answer(question, self.answers[question.id]), "answered")
        offered = self.offered(question)
        if offered is None and question.required:
            return ReviewAnswer("Not answered yet", "missing")
        return ReviewAnswer(describe_answer(question, offered), "default")

    def count_gaps(self, warnings: Iterable[GapWarning] | None = None) -> GapCount:
        """The gaps these answers leave (or ``warnings``, a build's), counted by severity."""
        return count_gaps(self.gaps() if warnings is None else warnings)

    def save(self, path: Path, *, final: bool = True, by: str = "wizard", based_on: Path | None = None) -> Path:
        """Write the answers as a profile at ``path``, headed by how to change and build it.

        ``by`` is the front end that wrote it ("wizard" or "browser"): the header
        names the command that opens the profile again. The profile records the
        questionnaire version only once every question that applies has been seen.
        """
        from policy_builder.pipeline.profile_edit import save_profile

        name = self.answers.get("organisation.name") or "your organisation"
        command = program()
        shown = shlex.quote(display_path(path))
        if by == "browser":
            written = "the policy-builder browser wizard"
            change = f"{command} serve (then choose {path.name}), or {command} wizard --profile {shown}"
        else:
            written = "the policy-builder wizard"
            change = f"{command} wizard --profile {shown}"
        header = (
            f"Social media policy answers for {name}, written by {written}.\n"
            f"Change them with: {change}\n"
            f"Build the policy with: {command} build {shown}"
        )
        questionnaire = self.library.questionnaire
        save_profile(
            path,
            self.profile_answers(final=final),
            questionnaire,
            self.library.nations,
            complete=final,
            header=header,
            questionnaire_version=questionnaire.version if final and not self.unanswered() else None,
            based_on=based_on,
        )
        return path

    def build(
        self, profile: Path, out_dir: Path, formats: Sequence[str], *, build_date: dt.date | None = None
    ) -> Built:
        """Build the saved ``profile`` into ``out_dir``, with the gap report in Word beside its Markdown."""
        from policy_builder.build import build_profile

        result = build_profile(self.library, profile, out_dir, tuple(formats), build_date=build_date)
        files = list(result.written)
        report = next((path for path in files if path.name.endswith("-gap-report.md")), None)
        report_docx = None
        if report is not None:
            # Managers open Word, not Markdown: both wizards offer the gap report in Word too.
            report_docx = write_gap_report_docx(report, str(self.answers.get("organisation.name") or ""))
            files.insert(files.index(report), report_docx)
        return Built(result, files, report_docx)

    def new_draft_file(self, profiles_dir: Path, stem: str | None = None) -> Path:
        """A new draft file in ``profiles_dir``/drafts, named by ``stem`` (else these answers' short name)."""
        from policy_builder.pipeline.profile_edit import drafts_folder, new_draft_path

        return new_draft_path(drafts_folder(profiles_dir), slugify(stem) if stem else self.slug())

    def keep_draft(self, path: Path, *, of: Path | None = None, based_on: Path | None = None) -> None:
        """Save the answers so far, valid or not, as the draft ``path`` (for the finished profile ``of``)."""
        from policy_builder.pipeline.profile_edit import save_draft

        save_draft(path, self.profile_answers(final=False), self.library.questionnaire, of=of, based_on=based_on)

    def slug(self) -> str:
        name = self.answers.get("organisation.short_name") or self.answers.get("organisation.name")
        return slugify(name) if name else "new-profile"

    def default_save_path(self) -> Path:
        return Path("profiles") / f"{self.slug()}.yaml"
