"""What an answer puts in the policy: the wording each choice brings in, from the library itself.

Both wizards show it beside a question (the browser in a "What this puts in
the policy" disclosure, the terminal on ``?``). For each choice the policy is
assembled with the answers so far plus that choice, and the passages that
differ between the choices are shown as plain text: a clause only that choice
brings in, or the sentences of a shared clause that it words differently. For
a question answered in words (a name, a route, a date) the sentences that
print the answer are shown with it (or with a placeholder while it is blank).

Nothing here is written by hand: every word comes from rendering the library's
clauses, section introductions and document-control rows. It is kept fast by
rendering only the clauses whose wording can depend on the answers that
differ; choosing clauses (every `when`) is cheap and done in full.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from policy_builder.content.models import Answers, Clause, Question
from policy_builder.content.questionnaire import DERIVED_FROM, build_context, unanswered_questions
from policy_builder.core.errors import LibraryError
from policy_builder.core.templating import names_with_lines
from policy_builder.pipeline.assemble import OPEN_PREFIX, document_control, render_clause, render_intro, select_clauses

if TYPE_CHECKING:
    from policy_builder.content.library import Library
    from policy_builder.interview.session import Interview

PLACEHOLDER = "[your answer]"  # stands for a blank answer in words, so the sentence that prints it can be shown
MAX_PROMPT = 48  # characters of a question's prompt in the stand-in for its answer
MAX_CHARS = 320  # of one passage: a preview, not the policy
MAX_PASSAGES = 3  # per choice; the rest are counted
MAX_LEFT_OUT = 5  # titles of clauses a choice leaves out
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“‘(\[])")
# Differs from any real answer in words, but is not blank: `{% if answer %}` takes the same branch as the answer.
_OTHER_TEXT = "\u2060other\u2060"
CONTROL_KEY = "document-control"


@dataclass(frozen=True)
class Passage:
    """Wording one choice puts in a document."""

    title: str  # the clause's title, or the section's for its introduction
    text: str  # plain text (no Markdown), shortened to MAX_CHARS
    document: str  # "policy" or "guide" (the practice guide)
    whole: bool  # the whole clause comes with this choice (not just some of its sentences)


@dataclass(frozen=True)
class ChoicePreview:
    label: str  # the choice as the question offers it ("Yes, but only to keep in touch"), or "Your answer"
    value: Any
    passages: tuple[Passage, ...]
    more: int  # passages left out of ``passages`` to keep the preview short
    leaves_out: tuple[str, ...]  # titles of clauses other choices bring in and this one does not
    left_out_more: int  # further titles, counted, not listed
    current: bool  # the answer given (or offered) now


@dataclass(frozen=True)
class QuestionPreview:
    question: Question
    choices: tuple[ChoicePreview, ...]
    in_words: bool  # a question answered in words: one entry, the sentences that print the answer

    @property
    def empty(self) -> bool:
        return not any(c.passages or c.leaves_out for c in self.choices)


def preview_question(interview: Interview, question: Question, typed: Any = None) -> QuestionPreview:
    """What each answer to ``question`` puts in the policy, given the interview's answers so far.

    ``typed``: an answer entered but not yet kept (a text field as typed), shown instead of the current one.
    """
    current = typed if typed is not None else interview.offered(question)
    interview = _with_required(interview, question)
    known: dict[str, _Outcome] = {}

    def _outcome(interview: Interview, question: Question, value: Any) -> _Outcome:
        # One assembly per distinct answer: a multi-choice's options share the answer as it stands.
        key = repr(value)
        if key not in known:
            known[key] = _assemble(interview, question, value)
        return known[key]

    if question.type in ("choice", "boolean"):
        options = (
            [(c.label, c.value) for c in question.choices]
            if question.type == "choice"
            else [("Yes", True), ("No", False)]
        )
        outcomes = [_outcome(interview, question, value) for _label, value in options]
        _render_outcomes(interview, outcomes)
        choices = tuple(
            _choice_preview(label, value, index, outcomes, current=value == current)
            for index, (label, value) in enumerate(options)
        )
        return QuestionPreview(question, choices, in_words=False)
    if question.type == "multi":
        base = list(current or [])
        ticks: list[ChoicePreview] = []
        for option in question.choices:
            ticked = [*base, option.value] if option.value not in base else base
            unticked = [v for v in base if v != option.value] or [
                v for v in question.choice_values if v != option.value
            ]
            outcomes = [_outcome(interview, question, ticked), _outcome(interview, question, unticked)]
            _render_outcomes(interview, outcomes)
            ticks.append(_choice_preview(option.label, option.value, 0, outcomes, current=option.value in base))
        return QuestionPreview(question, tuple(ticks), in_words=False)
    value = current if current not in (None, "") else _placeholder(interview, question)
    outcomes = [_outcome(interview, question, value), _outcome(interview, question, _other(question, value))]
    _render_outcomes(interview, outcomes)
    preview = _choice_preview("Your answer", value, 0, outcomes, current=True)
    return QuestionPreview(question, (dataclasses.replace(preview, leaves_out=(), left_out_more=0),), in_words=True)


def answer_to(question: Question) -> str:
    """'[your answer to: Where should emergencies and safeguarding …]': stands for an answer in words not given yet."""
    prompt = question.prompt.rstrip("?").strip()
    if len(prompt) > MAX_PROMPT:
        prompt = prompt[:MAX_PROMPT].rsplit(" ", 1)[0].rstrip(",;:") + " …"
    return f"[your answer to: {prompt}]"


def _with_required(interview: Interview, question: Question) -> Interview:
    """The answers so far, with a stand-in for each answer the wording needs that is still missing.

    An answer in words not given yet reads "[your answer to: <its question>]",
    never a clause's fallback or a default that would read as a fact about
    the employer (issue 17: "emergencies go to the local out-of-hours social
    care service" before the route was given, and for an NHS trust); one
    left blank on purpose keeps the policy's own wording. A required choice
    takes its first option, as the questionnaire lists them, until the person chooses.
    """
    stand_ins: dict[str, Any] = {}
    for other in interview.library.questionnaire.questions.values():
        if other.id == question.id:
            continue
        if other.type == "text" and other.id not in interview.answers and not other.default_from:
            stand_ins[other.id] = answer_to(other)
            continue
        if not other.required or interview.answers.get(other.id) is not None:
            continue
        if other.type == "choice":
            stand_ins[other.id] = other.choice_values[0]
        elif other.type == "multi":
            stand_ins[other.id] = list(other.choice_values)
        elif other.type == "boolean":
            stand_ins[other.id] = False
    return interview.trying(stand_ins) if stand_ins else interview


def preview_section(interview: Interview, section_id: str) -> dict[str, QuestionPreview]:
    """Every question of a section (follow-ups too, so a question that appears has its preview), by id.

    Kept per library (SectionPreviews): a page shown again with the same answers is not previewed again.
    """
    previews = SectionPreviews.of(interview.library)
    key = previews.key(interview, section_id)
    kept = previews.get(key)
    if kept is None:
        kept = {q.id: preview_question(interview, q) for q in interview.library.questionnaire.in_section(section_id)}
        previews.put(key, kept)
    return dict(kept)  # a copy: the kept one stays as it was made whatever the caller does with its own


class SectionPreviews:
    """The last sections previewed with one library, by section, build date and every answer (hashed).

    A section's preview assembles the policy once per choice of each of its
    questions (about 0.1 s a page); the browser wizard shows it on every page
    and every change of an answer on the page. A preview reads nothing but the
    library, the build date and the answers (``Interview.answers``: given,
    blank on purpose or not given), so with all of them in the key a kept one
    is right until one of them changes. Least recently used go first; the
    web app's threads share it, so it is used under a lock (a preview is
    made outside it: two threads may make the same one, and keep either).
    """

    SIZE = 64  # pages kept per library: a few drafts' worth of sections (each about 10 to 100 KB)
    _of: dict[int, tuple[weakref.ReferenceType[Library], SectionPreviews]] = {}
    # Reentrant: a library collected while this thread holds it (in `of`) runs `_forget` on this thread.
    _of_lock = threading.RLock()

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._kept: OrderedDict[str, dict[str, QuestionPreview]] = OrderedDict()
        self._lock = threading.Lock()
        self.made = 0  # previews made (not found kept): what the tests count

    @classmethod
    def of(cls, library: Library) -> SectionPreviews:
        """The one kept for ``library`` (the object: a library loaded again, or changed by copy, has its own)."""
        with cls._of_lock:
            entry = cls._of.get(id(library))
            if entry is None or entry[0]() is not library:
                ref = weakref.ref(library, cls._forget)
                entry = (ref, cls())
                cls._of[id(library)] = entry
            return entry[1]

    @classmethod
    def _forget(cls, ref: weakref.ReferenceType[Library]) -> None:
        # The library is gone: so are its previews (and its id may be given to a new object).
        with cls._of_lock:
            for key, (kept_ref, _previews) in list(cls._of.items()):
                if kept_ref is ref:
                    del cls._of[key]

    @staticmethod
    def key(interview: Interview, section_id: str) -> str:
        """The section, the build date and every answer, as a hash: answers differ in value or type, keys differ."""
        answers = sorted((qid, type(value).__name__, repr(value)) for qid, value in interview.answers.items())
        text = repr((section_id, interview.build_date.isoformat(), answers))
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()

    def get(self, key: str) -> dict[str, QuestionPreview] | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
            return kept

    def put(self, key: str, previews: dict[str, QuestionPreview]) -> None:
        with self._lock:
            self.made += 1
            self._kept[key] = previews
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


# --- assembling with one answer changed ------------------------------------------------------


@dataclass
class _Outcome:
    values: dict[str, Any]
    context: dict[str, Any] | None
    chosen: dict[str, tuple[Clause, str]]  # key -> (clause, section id): every clause chosen
    intros: set[str]  # sections whose introduction is printed
    texts: dict[str, Passage] = dataclasses.field(default_factory=dict)  # rendered: only what may differ


def _assemble(interview: Interview, question: Question, value: Any) -> _Outcome:
    library = interview.library
    values = interview.trying({question.id: value}).values()
    context = build_context(library.questionnaire, values, library.nations, interview.build_date)
    try:
        unanswered = unanswered_questions(library.questionnaire, values, context)
        selected = select_clauses(library, context, unanswered)
    except LibraryError:
        return _Outcome(values, None, {}, set())  # an answer this stance cannot take yet: nothing to show
    chosen = {clause.id: (clause, section_id) for section_id, clauses in selected for clause in clauses}
    intros = {section_id for section_id, _ in selected}
    return _Outcome(values, context, chosen, intros)


def _changed_names(outcomes: Sequence[_Outcome]) -> set[str]:
    """The answers (and names derived from them) that differ between the outcomes."""
    first = outcomes[0].values
    changed = {qid for o in outcomes[1:] for qid in first if o.values.get(qid) != first[qid]}
    for derived, sources in DERIVED_FROM.items():
        if changed & set(sources):
            changed.add(derived)
    return changed


def _depends(names: frozenset[str], changed: frozenset[str]) -> bool:
    return _depends_memo(names, changed)


@functools.lru_cache(maxsize=8192)
def _depends_memo(names: frozenset[str], changed: frozenset[str]) -> bool:
    if names & changed:
        return True
    changed_heads = {qid.split(".")[0] for qid in changed}
    for name in names:
        head = name.split(".")[0]
        if head in changed:
            return True  # a name derived from a changed answer (nation.regulator when the nation changed)
        # A whole namespace used without a dotted name (a loop over it, say) depends on any of its answers.
        if "." not in name and head in changed_heads and not any(n.startswith(name + ".") for n in names):
            return True
    return False


def _render_outcomes(interview: Interview, outcomes: Sequence[_Outcome]) -> None:
    """Render, in each outcome, every passage that may differ between them."""
    library = interview.library
    changed = frozenset(_changed_names(outcomes))
    everywhere = set.intersection(*(set(o.chosen) for o in outcomes)) if outcomes else set()
    intros_everywhere = set.intersection(*(o.intros for o in outcomes)) if outcomes else set()
    sections = {s.id: s for s in library.sections}
    for outcome in outcomes:
        if outcome.context is None:
            continue
        for key, (clause, _section_id) in outcome.chosen.items():
            if key in outcome.texts:
                continue  # the same outcome met twice (a multi-choice option already ticked)
            if key in everywhere and not key.startswith(OPEN_PREFIX) and not _depends(_names(clause), changed):
                continue  # the same clause, worded the same, whatever the answer
            try:
                text = render_clause(library, clause, outcome.context)
            except LibraryError:
                continue  # cannot be worded until another answer is given: not this answer's wording
            outcome.texts[key] = Passage(clause.title, plain_text(text), clause.document, whole=True)
        for section_id in outcome.intros:
            section = sections[section_id]
            if not section.intro:
                continue
            if section_id in intros_everywhere and not _depends(_names_of(section.intro, None), changed):
                continue
            try:
                text = render_intro(library, section, outcome.context)
            except LibraryError:
                continue
            outcome.texts[f"intro:{section_id}"] = Passage(section.title, plain_text(text), "policy", whole=True)
        if changed & {qid for qid in outcome.values if qid.startswith(("document.", "organisation."))} | {
            "review_date"
        }:
            answers = Answers(path=None, values=outcome.values, build_date=interview.build_date)
            try:
                rows = document_control(answers, outcome.context)
            except (KeyError, TypeError, ValueError):
                rows = ()
            lines = [f"{name}: {value}." for name, value in rows if value]
            outcome.texts[CONTROL_KEY] = Passage("Document control", " ".join(lines), "policy", whole=True)


def _choice_preview(label: str, value: Any, index: int, outcomes: list[_Outcome], *, current: bool) -> ChoicePreview:
    """What outcome ``index`` has that the others do not: whole clauses, or the sentences worded differently."""
    mine = outcomes[index]
    others = [o for i, o in enumerate(outcomes) if i != index]
    ranked: list[tuple[int, int, Passage]] = []  # (how many other choices word it otherwise, order, passage)
    for key, passage in mine.texts.items():
        # Rendered in mine, so rendered in every outcome that has it (see _render_outcomes): missing is absent.
        theirs = [o.texts.get(key) for o in others]
        differ = sum(1 for t in theirs if t is None or t.text != passage.text)
        if not differ:
            continue  # worded the same for every choice
        if any(t is None for t in theirs):
            ranked.append((differ, len(ranked), dataclasses.replace(passage, text=_shorten(passage.text))))
            continue
        # Only the sentences no other choice has: wording two choices share says nothing about either.
        own = _sentences(passage.text)
        elsewhere = set().union(*(set(_sentences(t.text)) for t in theirs if t is not None))
        differing = [s for s in own if s not in elsewhere]
        if differing:
            extract = dataclasses.replace(passage, text=_shorten(join_parts(differing)), whole=False)
            ranked.append((differ, len(ranked), extract))
    # The policy before the practice guide (the question is about the policy), then the wording most
    # particular to this choice (that no other choice has) first, in policy order.
    ranked.sort(key=lambda r: (r[2].document != "policy", -r[0], r[1]))
    passages = [passage for _differ, _order, passage in ranked]
    mine_titles = {clause.title for clause, _section in mine.chosen.values()}
    leaves_out: list[str] = []
    if mine.context is not None:
        for other in others:
            for key, (clause, _section) in other.chosen.items():
                if key in mine.chosen or key.startswith(OPEN_PREFIX) or clause.document != "policy":
                    continue
                if clause.title not in leaves_out and clause.title not in mine_titles:
                    leaves_out.append(clause.title)
    return ChoicePreview(
        label=label,
        value=value,
        passages=tuple(passages[:MAX_PASSAGES]),
        more=max(0, len(passages) - MAX_PASSAGES),
        leaves_out=tuple(leaves_out[:MAX_LEFT_OUT]),
        left_out_more=max(0, len(leaves_out) - MAX_LEFT_OUT),
        current=current,
    )


def _placeholder(interview: Interview, question: Question) -> Any:
    if question.type == "date":
        return interview.build_date  # a blank date means the build date
    if question.type == "integer":
        return question.default if question.default is not None else (question.minimum or 0)
    return PLACEHOLDER


def _other(question: Question, value: Any) -> Any:
    """A different answer of the same kind, to see which sentences print this one."""
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=1)
    if isinstance(value, int) and not isinstance(value, bool):
        high = question.maximum if question.maximum is not None else value + 1
        return value + 1 if value + 1 <= high else value - 1
    return _OTHER_TEXT


# --- plain text ------------------------------------------------------------------------------


def _names(clause: Clause) -> frozenset[str]:
    return _names_of(clause.text, clause.when)


@functools.lru_cache(maxsize=1024)
def _names_of(text: str, when: str | None) -> frozenset[str]:
    names = set(names_with_lines(text))
    if when:
        names |= set(names_with_lines(when, expression=True))
    return frozenset(names)


@functools.lru_cache(maxsize=4096)
def plain_text(markdown: str) -> str:
    """A clause's Markdown as the words a reader sees: no asterisks, escapes or link targets."""
    from policy_builder.render.blocks import Heading, ListBlock, Paragraph, Quote, Table, parse

    parts: list[str] = []
    for block in parse(markdown):
        if isinstance(block, Paragraph | Heading):
            parts.append(_words(block.text.children))
        elif isinstance(block, ListBlock):
            parts.extend("• " + _words(item.text.children) for item in block.items)
        elif isinstance(block, Quote):
            parts.extend(_words(p.children) for p in block.paragraphs)
        elif isinstance(block, Table):
            for row in (block.header, *block.rows):
                parts.append(" | ".join(_words(cell.children) for cell in row))
    return join_parts([p for p in parts if p])


def join_parts(parts: Sequence[str]) -> str:
    """Sentences and list items as one text: a list item on a line of its own, so a list never runs into a line."""
    text = ""
    for part in parts:
        if text:
            text += "\n" if part.startswith("• ") or text.rsplit("\n", 1)[-1].startswith("• ") else " "
        text += part
    return text.strip()


def _words(children: Sequence[Any]) -> str:
    out = []
    for child in children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
    return re.sub(r"\s+", " ", "".join(out)).strip()


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"\n|(?:^|\s)(?=• )|" + _SENTENCE_END.pattern, text) if s and s.strip()]


def _shorten(text: str, limit: int = MAX_CHARS) -> str:
    """At most ``limit`` characters, cut only between list items or words, with "…" where it was cut."""
    text = text.replace(_OTHER_TEXT, "…")
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        if used + len(line) <= limit:
            kept.append(line)
            used += len(line) + 1
            continue
        if not kept or (not line.startswith("• ") and limit - used > 40):
            # Room for some of it: cut at a word (a list item is left whole or out, never half-told).
            room = max(limit - used, 40)
            kept.append(line[:room].rsplit(" ", 1)[0].rstrip(",;:") + " …")
        else:
            left = len(lines) - index
            kept.append(f"… and {left} more" if line.startswith("• ") else "…")
        break
    return "\n".join(kept)


def first_sentences(text: str, count: int = 2, limit: int = 200) -> str:
    """The opening of a passage: its first ``count`` sentences or list items, shortened to ``limit``."""
    pieces = _sentences(text)
    if len(pieces) <= count and len(text) <= limit:
        return text
    shown = join_parts(pieces[:count])
    short = _shorten(shown, limit)
    if len(pieces) > count and not short.endswith("…") and not short.endswith("more"):
        short += "\n…" if shown.rsplit("\n", 1)[-1].startswith("• ") else " …"
    return short


def left_out_text(choice: ChoicePreview) -> str:
    """'No messaging apps; Group chats (and 3 more)'."""
    more = f" (and {choice.left_out_more} more)" if choice.left_out_more else ""
    return "; ".join(choice.leaves_out) + more


def passage_note(passage: Passage) -> str:
    """' (practice guide, part)': where a passage is from, and whether it is only part of its clause."""
    notes = (["practice guide"] if passage.document == "guide" else []) + ([] if passage.whole else ["part"])
    return f" ({', '.join(notes)})" if notes else ""


BRIEF_PASSAGES = 1  # per choice in a brief preview (the terminal's ?): the rest are counted


def as_lines(preview: QuestionPreview, *, brief: bool = False) -> list[tuple[str, str]]:
    """The preview as (kind, text) lines for a terminal: kind is choice, title, text, note or gap.

    ``brief`` keeps each choice to its first passage's opening sentences (the
    rest counted), so four nations' wording fits a screen; a list item is a
    line of its own ("text" may hold several lines).
    """
    lines: list[tuple[str, str]] = []
    for number, choice in enumerate(preview.choices):
        if number and not preview.in_words:
            lines.append(("gap", ""))  # a blank line: each choice's wording (and what it leaves out) stays under it
        if not preview.in_words:
            lines.append(("choice", choice.label + ("  (your answer)" if choice.current else "")))
        if not choice.passages and not choice.leaves_out:
            lines.append(("note", "No change to the policy's wording."))
        passages = choice.passages[:BRIEF_PASSAGES] if brief else choice.passages
        for passage in passages:
            lines.append(("title", passage.title + passage_note(passage)))
            lines.append(("text", first_sentences(passage.text) if brief else passage.text))
        more = choice.more + len(choice.passages) - len(passages)
        if more:
            lines.append(("note", f"and {more} more passage{'s' if more != 1 else ''}"))
        if choice.leaves_out:
            what = "This answer leaves out" if not preview.in_words else "Leaves out"
            lines.append(("note", f"{what}: {left_out_text(choice)}."))
    return lines


__all__ = [
    "preview_question",
    "preview_section",
    "SectionPreviews",
    "plain_text",
    "QuestionPreview",
    "ChoicePreview",
    "Passage",
]
