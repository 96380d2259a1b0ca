"""Questionnaire answers an employer's current policy settles, each with the sentence it rests on.

The rules are data people maintain (clauses/audit-answers.yaml): per question, the wording that
settles each answer, whether the sentence must allow or forbid, and how sure one such sentence is.
Matching is sentence by sentence and explainable: every answer carries its quote and where it is.
Disagreeing sentences leave a question unanswered unless the rules say one answer outweighs the
other (a rule "only to keep in touch" also forbids other uses); nothing is settled by a guess.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from policy_builder.content.models import Question, Questionnaire
from policy_builder.content.questionnaire import AnswerError, cast_answer
from policy_builder.core import yamlio
from policy_builder.core.errors import LibraryError

# The standard library's regular expression parser (re._parser from Python 3.11, sre_parse before), used only
# to find the literal words a pattern needs; looked up by name because its module moved between versions.
_sre_parser: Any
_sre_constants: Any
try:
    _sre_parser = importlib.import_module("re._parser")
    _sre_constants = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - Python 3.10
    _sre_parser = importlib.import_module("sre_parse")
    _sre_constants = importlib.import_module("sre_constants")

RULES_FILE = "audit-answers.yaml"
SENSES = ("allows", "forbids", "any")
QUOTE_CHARS = 240  # a quote longer than this is cut at a word, with an ellipsis
# The confidence one more agreeing sentence adds, and the ceiling: agreement is not proof.
AGREEMENT_BONUS = 0.04
MAX_CONFIDENCE = 0.97
OUTWEIGHED_FACTOR = 0.85
SHORT_LINE = 80  # a passage this short may be a heading the reader took for text
LEAD_IN_ITEMS = 8  # the items of a list under such a line
_LABELLED = re.compile(r"^[A-Z][\w ]{0,40}:\s")  # an answer that won over other evidence is a little less sure


class PassageLike(Protocol):
    """What audit/read.py's Passage gives: the text, its heading and where it is ("section 4.2, paragraph 3")."""

    @property
    def text(self) -> str: ...
    @property
    def heading(self) -> str: ...
    @property
    def where(self) -> str: ...


@dataclass(frozen=True)
class Inferred:
    """One answer the text settles, with the sentence it rests on."""

    question_id: str
    value: Any
    quote: str
    where: str
    confidence: float  # 0-1
    agreeing: int = 0  # further sentences that say the same

    @property
    def passage(self) -> tuple[str, str]:
        """(quote, where): the evidence, as a reader cites it."""
        return self.quote, self.where


@dataclass(frozen=True)
class Conflict:
    """A question the text answers two ways: left unanswered, with one quote for each answer."""

    question_id: str
    quotes: tuple[tuple[Any, str, str], ...]  # (value, quote, where)


@dataclass
class Inference:
    answers: list[Inferred] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


@dataclass(frozen=True)
class AnswerRule:
    value: Any
    extract: bool
    when: re.Pattern[str] | None
    unless: re.Pattern[str] | None
    sense: str
    confidence: float
    beats: tuple[Any, ...]
    unsettles: bool = False  # such a sentence allows what no answer describes: the question stays open


UNSETTLED = object()  # the value of a hit from an `unsettles` rule


@dataclass(frozen=True)
class QuestionRules:
    question: Question
    about: re.Pattern[str]
    answers: tuple[AnswerRule, ...]
    # Words one of which begins every match of `about` (casefolded), found from the pattern itself: a
    # sentence holding none of them is passed over without running the pattern (a 40-page policy has
    # thousands of sentences and the library sixty questions).
    prefixes: re.Pattern[str] | None = None  # searched in the casefolded sentence
    # "passage": `about` may be met anywhere in the paragraph ("Photographs ... Get their consent before
    # taking them"), the answer's own words still in the sentence; "sentence" (the default): in the sentence.
    about_scope: str = "sentence"


@dataclass(frozen=True)
class AnswerRules:
    forbids: re.Pattern[str]
    forbidding_headings: re.Pattern[str]
    aspirational_headings: re.Pattern[str] | None
    questions: tuple[QuestionRules, ...]


# --- the rules file -----------------------------------------------------------------------------------


def rules_path(questionnaire: Questionnaire) -> Path:
    return questionnaire.path.parent / RULES_FILE


def load_answer_rules(questionnaire: Questionnaire, path: Path | None = None) -> AnswerRules:
    """Read and check the rules; a mistake is a LibraryError naming the file, line and question."""
    path = path or rules_path(questionnaire)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        raise LibraryError(path, None, "file not found: the rules that settle answers from a policy") from None
    # Keyed by the file's time stamp too: an edited file is read again (the questionnaire is not hashable).
    key = (path, stamp, id(questionnaire))
    if key not in _CACHE:
        if len(_CACHE) > 8:
            _CACHE.clear()
        _CACHE[key] = _read_rules(path, questionnaire)
    return _CACHE[key]


_CACHE: dict[tuple[Path, int, int], AnswerRules] = {}


def _read_rules(path: Path, questionnaire: Questionnaire) -> AnswerRules:
    doc = yamlio.load(path, LibraryError)
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("questions"), dict):
        raise LibraryError(path, doc.line(), "expected 'schema: 1', 'forbids', 'forbidding_headings' and 'questions:'")
    forbids = _pattern(doc, data.get("forbids"), ("forbids",), case_sensitive=False)
    headings = _pattern(doc, data.get("forbidding_headings"), ("forbidding_headings",), case_sensitive=False)
    aspirational = _pattern(doc, data.get("aspirational_headings"), ("aspirational_headings",), case_sensitive=False)
    if forbids is None or headings is None:
        raise LibraryError(
            path, doc.line(), "'forbids' and 'forbidding_headings' are both needed (regular expressions)"
        )
    questions: list[QuestionRules] = []
    for qid, block in data["questions"].items():
        where = ("questions", qid)
        question = questionnaire.questions.get(qid)
        if question is None:
            raise LibraryError(path, doc.line(*where), f"'{qid}' is not a question in the questionnaire")
        if not isinstance(block, dict) or not isinstance(block.get("answers"), list) or not block["answers"]:
            raise LibraryError(path, doc.line(*where), f"{qid}: expected 'about:' and a list of 'answers:'")
        unknown = set(block) - {"about", "about_scope", "answers"}
        if unknown:
            raise LibraryError(path, doc.line(*where), f"{qid}: unknown key(s) {', '.join(sorted(unknown))}")
        about = _pattern(doc, block.get("about"), (*where, "about"), case_sensitive=False)
        if about is None:
            raise LibraryError(path, doc.line(*where), f"{qid}: 'about' (a regular expression) is needed")
        answers = tuple(
            _answer_rule(doc, question, entry, (*where, "answers", index))
            for index, entry in enumerate(block["answers"])
        )
        scope = block.get("about_scope", "sentence")
        if scope not in ("sentence", "passage"):
            raise LibraryError(
                path, doc.line(*where, "about_scope"), f"{qid}: about_scope: {scope!r} is not one of sentence, passage"
            )
        questions.append(
            QuestionRules(
                question=question, about=about, answers=answers, prefixes=literal_prefixes(about), about_scope=scope
            )
        )
    return AnswerRules(
        forbids=forbids, forbidding_headings=headings, aspirational_headings=aspirational, questions=tuple(questions)
    )


_ANSWER_KEYS = {"value", "extract", "unsettles", "when", "unless", "sense", "confidence", "beats", "case_sensitive"}


def _answer_rule(doc: yamlio.Document, question: Question, entry: Any, where: tuple[Any, ...]) -> AnswerRule:
    qid = question.id
    line = doc.line(*where[:-1])
    if not isinstance(entry, dict):
        raise LibraryError(doc.path, line, f"{qid}: each answer is a mapping with 'value:' or 'extract: true'")
    unknown = set(entry) - _ANSWER_KEYS
    if unknown:
        allowed = ", ".join(sorted(_ANSWER_KEYS))
        raise LibraryError(doc.path, line, f"{qid}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {allowed}")
    extract = entry.get("extract") is True
    unsettles = entry.get("unsettles") is True
    if [extract, unsettles, "value" in entry].count(True) != 1:
        raise LibraryError(
            doc.path, line, f"{qid}: give one of 'value:', 'extract: true' or 'unsettles: true' in each answer"
        )
    case = entry.get("case_sensitive") is True
    when = _pattern(doc, entry.get("when"), (*where, "when"), case_sensitive=case)
    unless = _pattern(doc, entry.get("unless"), (*where, "unless"), case_sensitive=False)
    value = entry.get("value")
    if extract:
        if question.type != "text":
            raise LibraryError(doc.path, line, f"{qid}: 'extract: true' is for text questions; this is {question.type}")
        if when is None or "value" not in when.groupindex:
            raise LibraryError(
                doc.path, line, f"{qid}: 'extract: true' needs a 'when' pattern with a (?P<value>...) group"
            )
    elif not unsettles:
        _check_value(doc, question, value, line)
    sense = entry.get("sense", "any")
    if sense not in SENSES:
        raise LibraryError(doc.path, line, f"{qid}: sense: {sense!r} is not one of {', '.join(SENSES)}")
    confidence = entry.get("confidence", 0.8)
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence <= 1:
        raise LibraryError(doc.path, line, f"{qid}: confidence must be a number above 0 and at most 1")
    beats = entry.get("beats", [])
    if not isinstance(beats, list):
        raise LibraryError(doc.path, line, f"{qid}: beats: expected a list of answers")
    for other in beats:
        _check_value(doc, question, other, line)
    return AnswerRule(
        value=value,
        extract=extract,
        when=when,
        unless=unless,
        sense=sense,
        confidence=float(confidence),
        beats=tuple(beats),
        unsettles=unsettles,
    )


def _check_value(doc: yamlio.Document, question: Question, value: Any, line: int | None) -> None:
    probe = [value] if question.type == "multi" else value
    try:
        cast_answer(question, probe)
    except AnswerError as exc:
        raise LibraryError(doc.path, line, f"{question.id}: {exc}") from None
    if value is None:
        raise LibraryError(doc.path, line, f"{question.id}: an answer rule needs a value")


def _pattern(doc: yamlio.Document, text: Any, keys: tuple[Any, ...], *, case_sensitive: bool) -> re.Pattern[str] | None:
    if text is None:
        return None
    if not isinstance(text, str) or not text.strip():
        raise LibraryError(doc.path, doc.line(*keys), f"{keys[-1]}: expected a regular expression")
    try:
        return re.compile(text, 0 if case_sensitive else re.IGNORECASE)
    except re.error as exc:
        raise LibraryError(doc.path, doc.line(*keys), f"{keys[-1]}: not a valid regular expression ({exc})") from None


def literal_prefixes(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """Texts one of which every match of ``pattern`` starts with (casefolded), or None when it has none.

    Read from the parsed pattern: leading anchors (\\b, ^) are skipped, a run of literal characters is a
    prefix, a group or an alternation gives the prefixes of its branches. Anything else (a character
    class, a repeat, a look-around) gives None, so the prefilter is never stricter than the pattern.
    """
    try:
        parsed = _sre_parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - a pattern re compiled but this reader does not follow: no prefilter
        return None
    found = _prefixes(list(parsed.data))
    if not found:
        return None
    # Longest first, so a short prefix never hides a longer one at the same place; plain text, no flags.
    return re.compile(
        "|".join(re.escape(text) for text in sorted({t.casefold() for t in found}, key=len, reverse=True))
    )


def _prefixes(items: list[Any]) -> set[str] | None:
    constants = _sre_constants
    index = 0
    while index < len(items) and items[index][0] is constants.AT:
        index += 1
    if index == len(items):
        return None
    op, av = items[index]
    if op is constants.LITERAL:
        run = []
        while index < len(items) and items[index][0] is constants.LITERAL:
            run.append(chr(items[index][1]))
            index += 1
        return {"".join(run)}
    if op is constants.SUBPATTERN:
        return _prefixes(list(av[-1].data))
    if op is constants.BRANCH:
        found: set[str] = set()
        for branch in av[1]:
            inner = _prefixes(list(branch.data))
            if not inner:
                return None
            found |= inner
        return found
    return None


# --- reading the text ------------------------------------------------------------------------------------

_STRAIGHTEN = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})
_EMPHASIS = re.compile(r"(\*{1,3}|_{2,3})(?=\S)|(?<=\S)(\*{1,3}|_{2,3})")
# A sentence ends at . ! ? (not inside "e.g." or a number such as 4.2) followed by space and a capital,
# a quote, a bracket or a number; a line break ends one too (list items, headings).
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)\s+(?=[\"'(\[A-Z0-9])|\n+")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _EMPHASIS.sub("", text.translate(_STRAIGHTEN))


def sentences(text: str) -> list[str]:
    return [s for s in (_SPACE.sub(" ", part).strip() for part in _SENTENCE_END.split(normalise(text))) if s]


def quote_of(sentence: str, span: tuple[int, int] | None = None) -> str:
    """The sentence, or in a long one the words around ``span`` (what matched), cut at words with "..."."""
    if len(sentence) <= QUOTE_CHARS:
        return sentence
    start, end = span or (0, 0)
    # Centre the window on the words that matched, so "stored in Mosaic" is never cut off.
    first = max(0, min(start - (QUOTE_CHARS - (end - start)) // 2, len(sentence) - QUOTE_CHARS))
    last = first + QUOTE_CHARS
    text = sentence[first:last]
    if first > 0:
        text = "... " + text.split(" ", 1)[-1]
    if last < len(sentence):
        text = text.rsplit(" ", 1)[0].rstrip(",;:") + " ..."
    return text


# --- inference -----------------------------------------------------------------------------------------


@dataclass
class _Hit:
    value: Any
    rule: AnswerRule
    quote: str
    where: str
    title: bool = False  # read from the document's title (its first heading): the name it gives itself


def infer(passages: Iterable[PassageLike], questionnaire: Questionnaire, rules: AnswerRules | None = None) -> Inference:
    """The answers the passages settle (in questionnaire order) and the questions they answer two ways."""
    rules = rules or load_answer_rules(questionnaire)
    hits: dict[str, list[_Hit]] = {}
    aspirational = rules.aspirational_headings
    lead_in: tuple[str, str] | None = None  # (heading, line) of a short "What should be in place?" line
    lead_in_items = 0
    last_heading = ""
    title: str | None = None
    for passage in passages:
        heading = normalise(passage.heading or "")
        text = normalise(passage.text)
        if aspirational is not None and len(text) <= SHORT_LINE and aspirational.search(text):
            lead_in = (heading, text)  # a reader that took the line for text: what follows it is a wish list
            lead_in_items = 0
            continue
        if lead_in is not None:
            lead_in_items += 1
            # The wish list ends with its heading, at a paragraph with a label of its own ("Note: ..."),
            # or after a list's worth of items.
            if lead_in[0] != heading or _LABELLED.match(text) or lead_in_items > LEAD_IN_ITEMS:
                lead_in = None
        if lead_in is not None or (heading and aspirational is not None and aspirational.search(heading)):
            continue  # what ought to be in place is not what is
        # a cell of a "Do" / "Don't" table is read under its column's heading (audit/read.py keeps it)
        column = normalise(getattr(passage, "column", "") or "")
        forbidding_heading = any(h and rules.forbidding_headings.search(h) for h in (heading, column))
        # A heading is read once, with the first passage under it: a title names the organisation.
        texts = sentences(passage.text)
        if heading and heading != last_heading:
            texts.insert(0, heading)
        if title is None and heading:
            title = heading
        last_heading = heading
        # Questions whose `about` the paragraph as a whole meets, for those that look at the paragraph.
        in_passage = {q.question.id for q in rules.questions if q.about_scope == "passage" and q.about.search(text)}
        for sentence in texts:
            forbids = forbidding_heading or bool(rules.forbids.search(sentence))
            folded = sentence.casefold()
            for question_rules in rules.questions:
                if question_rules.about_scope == "passage":
                    if question_rules.question.id not in in_passage:
                        continue
                else:
                    prefixes = question_rules.prefixes
                    if prefixes is not None and not prefixes.search(folded):
                        continue
                    if not question_rules.about.search(sentence):
                        continue
                for rule in question_rules.answers:
                    settled = _settles(rule, sentence, forbids)
                    if settled is not None:
                        value, span = settled
                        hits.setdefault(question_rules.question.id, []).append(
                            _Hit(value, rule, quote_of(sentence, span), passage.where, sentence == title)
                        )
    result = Inference()
    for question_rules in rules.questions:
        question = question_rules.question
        found = hits.get(question.id)
        if found:
            _decide(question, found, result)
    order = list(questionnaire.questions)
    result.answers.sort(key=lambda a: order.index(a.question_id))
    return result


def infer_answers(
    passages: Iterable[PassageLike], questionnaire: Questionnaire, rules: AnswerRules | None = None
) -> list[Inferred]:
    """The answers the passages settle; questions they leave open, or answer two ways, are left out."""
    return infer(passages, questionnaire, rules).answers


def _settles(rule: AnswerRule, sentence: str, forbids: bool) -> tuple[Any, tuple[int, int] | None] | None:
    """The answer ``rule`` gives for ``sentence`` and where in it the words are, or None."""
    if rule.sense == "allows" and forbids:
        return None
    if rule.sense == "forbids" and not forbids:
        return None
    if rule.unless is not None and rule.unless.search(sentence):
        return None
    settled = UNSETTLED if rule.unsettles else rule.value
    if rule.when is None:
        return settled, None
    match = rule.when.search(sentence)
    if match is None:
        return None
    if not rule.extract:
        return settled, match.span()
    text = _SPACE.sub(" ", match.group("value") or "").strip(" ,;:.")
    return (text, match.span()) if text else None


def _decide(question: Question, found: Sequence[_Hit], result: Inference) -> None:
    unsettling = [hit for hit in found if hit.value is UNSETTLED]
    if unsettling:
        # The text allows something no answer describes: the manager decides, shown both sides.
        shown = [hit for hit in found if hit.value is not UNSETTLED][:1] + unsettling[:1]
        result.conflicts.append(
            Conflict(question.id, tuple((None if h.value is UNSETTLED else h.value, h.quote, h.where) for h in shown))
        )
        return
    by_value: dict[Any, list[_Hit]] = {}
    for hit in found:
        key = hit.value.lower() if isinstance(hit.value, str) and question.type == "text" else hit.value
        by_value.setdefault(_key(key), []).append(hit)
    if question.type == "multi":
        # Several answers at once: each value found is chosen, as sure as the least sure of them.
        values = [group[0].value for group in by_value.values()]
        values.sort(key=question.choice_values.index)
        best = [max(group, key=lambda h: h.rule.confidence) for group in by_value.values()]
        first = best[0]
        result.answers.append(
            Inferred(
                question.id,
                values,
                first.quote,
                first.where,
                round(min(h.rule.confidence for h in best), 2),
                agreeing=len(found) - 1,
            )
        )
        return
    if question.type == "text":
        # Names are written several ways ("the Council's RIPA policy", "the RIPA procedures"): the most
        # often written wins, and is a little less sure when others were written too.
        # A name the document gives itself ("X NHS Foundation Trust ('the Trust')") is read by a surer rule
        # than one it only mentions (a partner, a seconding council): the surest reading first, then the most
        # often written.
        # A name in the document's title is its own, whatever partner the body names more often.
        groups = sorted(
            by_value.values(),
            key=lambda g: (any(h.title for h in g), max(h.rule.confidence for h in g), len(g)),
            reverse=True,
        )
        chosen = groups[0]
        top = max(chosen, key=lambda h: h.rule.confidence)
        confidence = _agreed(top.rule.confidence, len(chosen))
        if len(groups) > 1:
            confidence *= 0.9
        result.answers.append(
            Inferred(question.id, top.value, top.quote, top.where, round(confidence, 2), agreeing=len(chosen) - 1)
        )
        return
    winners = [
        key
        for key, group in by_value.items()
        if all(other == key or any(_key(v) == other for hit in group for v in hit.rule.beats) for other in by_value)
    ]
    if len(winners) != 1:
        result.conflicts.append(
            Conflict(
                question.id,
                tuple((group[0].value, group[0].quote, group[0].where) for group in by_value.values()),
            )
        )
        return
    chosen = by_value[winners[0]]
    top = max(chosen, key=lambda h: h.rule.confidence)
    confidence = _agreed(top.rule.confidence, len(chosen))
    if len(by_value) > 1:
        confidence *= OUTWEIGHED_FACTOR
    result.answers.append(
        Inferred(question.id, top.value, top.quote, top.where, round(confidence, 2), agreeing=len(chosen) - 1)
    )


def _key(value: Any) -> Any:
    # True and 1 are equal in Python; an answer of 1 month must never merge with "yes".
    return (type(value).__name__, value)


def _agreed(confidence: float, count: int) -> float:
    return (
        min(MAX_CONFIDENCE, confidence + AGREEMENT_BONUS * (count - 1)) if confidence < MAX_CONFIDENCE else confidence
    )


def as_answers(inferred: Iterable[Inferred]) -> dict[str, Any]:
    return {item.question_id: item.value for item in inferred}


def by_question(inferred: Iterable[Inferred]) -> Mapping[str, Inferred]:
    return {item.question_id: item for item in inferred}
