"""audit_document: what an employer's current policy covers, contradicts and misses of the library's rules."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jinja2 import Environment, TemplateSyntaxError, nodes

from policy_builder.audit.match import (
    CONTRADICT_NEAR,
    AuditConfig,
    Evidence,
    Match,
    Matcher,
    column_modality,
    judge,
    position_of,
)
from policy_builder.audit.read import Passage, read_passages
from policy_builder.content.library import Library
from policy_builder.content.models import Answers, Clause

# Documents whose items are law or statutory codes: missing a `must` resting on one is high.
LEGAL_PREFIXES = ("LAW-", "CODE-")


@dataclass(frozen=True)
class Finding:
    """One action of the library, judged against the document."""

    action: str
    verdict: str  # covers | contradicts | misses
    position: str  # forbid | allow | depends: the library's, or this employer's with a profile
    requirement: str  # what our policy says, in words ("Staff must not accept friend requests ...")
    severity: str | None  # high | medium | low for contradicts and misses (the gap report's words); None for covers
    section: str  # our policy section it belongs to (clauses/actions.yaml)
    clauses: tuple[Clause, ...]  # the library clauses that state the rule
    sources: tuple[str, ...]  # guidance item ids those clauses cite
    evidence: Evidence | None
    also: tuple[Evidence, ...] = ()
    # In every employer's policy; False for a rule only some stances hold (judged without a profile, its
    # miss may not apply to this employer, so it is reported a step lower and says so).
    universal: bool = True
    # For a contradiction, and a stance on a matter employers differ on: "clear" where the quoted sentence itself
    # says the rule's key concept and its act with a modal word of its own and no other rule fits it better,
    # else "check" (it may contradict; a person reads it first). None for other findings.
    certainty: str | None = None
    # For a contradiction: sentences elsewhere that state the same rule the other way (its key concept and act,
    # with a modal word of their own against the contradicting one's, and no other rule fitting them better),
    # so the document goes both ways on it. Empty where the other sentences rule on something else.
    opposed: tuple[Evidence, ...] = ()

    @property
    def clear(self) -> bool:
        return self.certainty == "clear"

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "verdict": self.verdict,
            "certainty": self.certainty,
            "position": self.position,
            "requirement": self.requirement,
            "severity": self.severity,
            "section": self.section,
            "clauses": [c.id for c in self.clauses],
            "sources": list(self.sources),
            "universal": self.universal,
            "evidence": _evidence_dict(self.evidence),
            "also": [_evidence_dict(e) for e in self.also],
            "opposed": [_evidence_dict(e) for e in self.opposed],
        }


@dataclass(frozen=True)
class ItemCoverage:
    """A registered guidance item (clauses/sources.yaml), judged through the rules of the clauses citing it."""

    item: str
    document: str
    summary: str
    verdict: str  # covers | contradicts | misses
    actions: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "document": self.document,
            "summary": self.summary,
            "verdict": self.verdict,
            "actions": list(self.actions),
        }


@dataclass
class Audit:
    path: Path
    passages: list[Passage]
    findings: list[Finding]
    items: list[ItemCoverage]
    profile: Path | None = None
    words: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    nation: str | None = None  # from the profile or the document: other nations' rules and law are not judged
    employer_type: str | None = None
    scope: Scope | None = None
    review: ReviewDate | None = None  # the next review date the document states, if it states one

    def of(self, verdict: str) -> list[Finding]:
        return [f for f in self.findings if f.verdict == verdict]

    def finding(self, action: str) -> Finding:
        return next(f for f in self.findings if f.action == action)

    def as_dict(self) -> dict[str, Any]:
        return {
            "document": str(self.path),
            "profile": str(self.profile) if self.profile else None,
            "passages": len(self.passages),
            "words": self.words,
            "counts": self.counts,
            # whose rules were judged: the nation and employer type, where they came from and the words found
            "scope": {
                "nation": self.nation,
                "employer_type": self.employer_type,
                "from": self.scope.source if self.scope else None,
                "evidence": dict(self.scope.evidence) if self.scope else {},
            },
            "review_date": self.review.as_dict() if self.review else None,
            "findings": [f.as_dict() for f in self.findings],
            "items": [i.as_dict() for i in self.items],
        }


def _evidence_dict(evidence: Evidence | None) -> dict[str, Any] | None:
    if evidence is None:
        return None
    return {
        "quote": evidence.sentence,
        "where": evidence.passage.where,
        "heading": evidence.passage.heading,
        "passage": evidence.passage.index,
        "modality": evidence.modality,
        "cue": evidence.cue,
        "matched": list(evidence.matched),
    }


# --- whose rules: the employer's nation and type -------------------------------------------------------------


@dataclass(frozen=True)
class ReviewDate:
    """The date a document says it is next to be reviewed: the last day it names, as written, and where."""

    due: dt.date  # "March 2025" is due by 31 March 2025
    words: str  # the date as the document writes it
    quote: str
    where: str
    passage: Passage | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"due": self.due.isoformat(), "words": self.words, "quote": self.quote, "where": self.where}

    def months_overdue(self, today: dt.date) -> int:
        """Whole months from the due date to ``today`` (0 when not yet due)."""
        if today <= self.due:
            return 0
        return (today.year - self.due.year) * 12 + today.month - self.due.month - (today.day < self.due.day)


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
# The date after the words that introduce it: "14 March 2025", "March 2025", "31/03/2025", "03/2025", "2025-03"
_DATE = re.compile(
    r"\W{0,4}(?:(?:by|in|on|before|no later than)\s+)?(?:(?:the\s+)?end\s+of\s+)?(?P<words>"
    r"(?:(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+)?(?P<month>[A-Za-z]{3,9})\.?,?\s+(?P<year>\d{4})"
    r"|(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})"
    r"|(?P<m2>\d{1,2})[/.-](?P<y2>\d{4})"
    r"|(?P<y3>\d{4})-(?P<m3>\d{2})(?:-(?P<d3>\d{2}))?"
    r"|(?P<y4>(?:19|20)\d{2})\b)",
    re.I,
)


def _last_day(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def _date_after(text: str, at: int) -> tuple[dt.date, str] | None:
    """The date written at ``at`` in ``text`` (after "Next review"), as the last day it can mean, with its words."""
    m = _DATE.match(text, at)
    if m is None:
        return None
    try:
        if m.group("month"):
            month = _MONTHS.get(m.group("month").lower())
            if month is None:
                return None
            year = int(m.group("year"))
            due = dt.date(year, month, int(m.group("day"))) if m.group("day") else _last_day(year, month)
        elif m.group("y"):
            due = dt.date(int(m.group("y")), int(m.group("m")), int(m.group("d")))  # UK order: day/month/year
        elif m.group("y2"):
            due = _last_day(int(m.group("y2")), int(m.group("m2")))
        elif m.group("y3"):
            year, month = int(m.group("y3")), int(m.group("m3"))
            due = dt.date(year, month, int(m.group("d3"))) if m.group("d3") else _last_day(year, month)
        else:
            due = dt.date(int(m.group("y4")), 12, 31)
    except ValueError:  # "31/02/2025": not a date
        return None
    return due, m.group("words")


def find_review_date(passages: Sequence[Passage], config: AuditConfig) -> ReviewDate | None:
    """The first next-review date the document states ("Next review | March 2025", "To be reviewed in May 2027")."""
    for passage in passages:
        for m in config.review_date.finditer(passage.text):
            found = _date_after(passage.text, m.end())
            if found:
                return ReviewDate(found[0], found[1], passage.text, passage.where, passage)
    return None


@dataclass(frozen=True)
class Scope:
    """The nation and employer type the audit judges for, where they came from, and the words that said so."""

    nation: str | None = None
    employer_type: str | None = None
    source: str | None = None  # profile | given | document | None (not known)
    evidence: dict[str, str] = field(default_factory=dict)  # "nation"/"employer_type" -> the words found
    # the employer type is the one the document says it is ("X is a voluntary adoption agency"), not a count
    self_described: bool = False


def _clear(counts: dict[str, int]) -> str | None:
    """The one value signalled, or the one signalled far more than any other (twice as often); else None."""
    ranked = sorted(((n, v) for v, n in counts.items() if n), reverse=True)
    if not ranked:
        return None
    if len(ranked) == 1 or ranked[0][0] >= 2 * ranked[1][0]:
        return ranked[0][1]
    return None


def _opening(path: Path) -> str:
    """The first lines of a text or Markdown file: its title ("CARELINE HOME SUPPORT LTD") names the
    employer, and a title line followed by another heading is in no passage."""
    if path.suffix.lower() not in (".txt", ".md"):
        return ""
    with path.open("rb") as handle:
        return handle.read(600).decode("utf-8", errors="ignore")


def infer_scope(passages: Sequence[Passage], opening: str = "", *, config: AuditConfig | None = None) -> Scope:
    """The nation and employer type a document states, where a word says so plainly (the signals in
    clauses/audit.yaml, `scope:`); None where it does not."""
    if config is None:
        from policy_builder.content.library import load_library

        config = matcher_for(load_library()).config
    text = "\n".join(dict.fromkeys([opening] + [p.heading for p in passages] + [p.text for p in passages]))
    found: dict[str, str | None] = {}
    evidence: dict[str, str] = {}
    self_described = False
    for key in ("nation", "employer_type"):
        signals = config.scope.get(key, {})
        matches = {value: list(pattern.finditer(text)) for value, pattern in signals.items()}
        hits = {value: [m.group(0) for m in found_] for value, found_ in matches.items()}
        value = _clear({v: len(h) for v, h in hits.items()})
        if key == "employer_type":
            # the document's own description ("X is a voluntary adoption agency", "We are an NHS trust") outranks
            # any count of other bodies it names in passing ("whether the Health and Social Care Trust needs to
            # be told"): the one type it says it is, where it says one
            own = {
                v: [m.group(0) for m in ms if config.self_description.search(text, max(0, m.start() - 80), m.start())]
                for v, ms in matches.items()
            }
            own = {v: h for v, h in own.items() if h}
            if len(own) == 1:
                value = next(iter(own))
                hits[value] = own[value]
                self_described = True
        found[key] = value
        if value:
            evidence[key] = hits[value][0]
    if found["nation"] is None:
        for value, pattern in config.scope.get("nation_from_name", {}).items():
            if name := pattern.search(text):
                found["nation"], evidence["nation"] = value, name.group(0)
                break
    source = "document" if found["nation"] or found["employer_type"] else None
    return Scope(found["nation"], found["employer_type"], source, evidence, self_described)


def item_applies(library: Library, item_id: str, scope: Scope) -> bool:
    """A guidance item that holds for this nation and employer type (all do when neither is known)."""
    item = library.items[item_id]
    if scope.nation and item.nations and scope.nation not in item.nations:
        return False
    document = library.documents.get(item.document)
    if document is None:
        return True
    if scope.nation:
        return document.applies_in(scope.nation, scope.employer_type)
    return not (scope.employer_type and document.employer_types and scope.employer_type not in document.employer_types)


def possible_clauses(library: Library, nation: str | None, employer_type: str | None) -> list[Clause]:
    """The clauses some employer of this nation and type may hold: those whose section, clause and rule
    conditions are not false once the nation and type are known (other answers are unknown, so a condition
    on them may go either way). Each clause keeps only such rules."""
    if nation is None and employer_type is None:
        return list(library.clauses)
    # With the nation unknown, a clause is possible if it is for some nation ("type in nation.foi_types": a
    # home-care provider is in no nation's list, so the freedom of information rules are not for it).
    worlds: list[dict[str, Any]] = []
    for each in [nation] if nation is not None else list(library.nations):
        worlds.append(
            {"organisation": {"nation": each, "type": employer_type}, "nation": dict(library.nations.get(each, {}))}
        )

    def possible(expression: str | None) -> bool:
        return any(maybe(expression, known) is not False for known in worlds)

    sections = {s.id: s for s in library.sections}
    found = []
    for clause in library.clauses:
        section = sections.get(clause.section)
        if not possible(section.when if section else None) or not possible(clause.when):
            continue
        rules = tuple(r for r in clause.rules if possible(r.when))
        if rules or not clause.rules:
            found.append(replace(clause, rules=rules) if rules != clause.rules else clause)
    return found


_UNKNOWN: Any = object()
_PARSER = Environment()


def maybe(expression: str | None, known: Mapping[str, Any]) -> bool | None:
    """A clause's `when` with only some answers known: True, False, or None where it turns on the rest
    (three-valued logic: "x and unknown" is false when x is, unknown otherwise)."""
    if expression is None:
        return True
    try:
        body = _PARSER.parse("{{ " + expression + " }}").body[0]
    except TemplateSyntaxError:
        return None  # lint reports a broken condition; the audit does not guess
    node = body.nodes[0] if isinstance(body, nodes.Output) and body.nodes else None
    value = _value(node, known) if node is not None else _UNKNOWN
    return None if value is _UNKNOWN else bool(value)


def _value(node: nodes.Node, known: Mapping[str, Any]) -> Any:
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, nodes.List | nodes.Tuple):
        items = [_value(n, known) for n in node.items]
        return _UNKNOWN if any(i is _UNKNOWN for i in items) else items
    if isinstance(node, nodes.Name):
        return known.get(node.name, _UNKNOWN)
    if isinstance(node, nodes.Getattr | nodes.Getitem):
        base = _value(node.node, known)
        key = node.attr if isinstance(node, nodes.Getattr) else _value(node.arg, known)
        if isinstance(base, Mapping) and key is not _UNKNOWN and base.get(key) is not None:
            return base[key]
        return _UNKNOWN
    if isinstance(node, nodes.Not):
        inner = _value(node.node, known)
        return _UNKNOWN if inner is _UNKNOWN else not inner
    if isinstance(node, nodes.And | nodes.Or):
        left, right = _value(node.left, known), _value(node.right, known)
        decisive = isinstance(node, nodes.Or)  # true decides "or", false decides "and"
        if any(v is not _UNKNOWN and bool(v) is decisive for v in (left, right)):
            return decisive
        return _UNKNOWN if _UNKNOWN in (left, right) else not decisive
    if isinstance(node, nodes.Compare):
        left = _value(node.expr, known)
        result: Any = True
        for operand in node.ops:
            right = _value(operand.expr, known)
            if left is _UNKNOWN or right is _UNKNOWN:
                return _UNKNOWN
            test = _COMPARE.get(operand.op)
            if test is None:
                return _UNKNOWN
            try:
                result = result and test(left, right)
            except TypeError:
                return _UNKNOWN
            left = right
        return result
    return _UNKNOWN  # a filter, a test, a call: turns on what is not known


_COMPARE: dict[str, Any] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "in": lambda a, b: a in b,
    "notin": lambda a, b: a not in b,
    "lt": lambda a, b: a < b,
    "lteq": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gteq": lambda a, b: a >= b,
}


_MATCHERS: dict[int, Matcher] = {}


def matcher_for(library: Library) -> Matcher:
    """One Matcher per library loaded (its patterns and queries cost a few milliseconds to build)."""
    found = _MATCHERS.get(id(library))
    if found is None or found.library is not library:
        found = _MATCHERS[id(library)] = Matcher(library)
    return found


def profile_positions(library: Library, answers: Answers) -> tuple[dict[str, str], dict[str, list[Clause]]]:
    """This employer's position on each action, from the rules its own policy holds, and the clauses stating them."""
    from policy_builder.pipeline.assemble import policy_context, select_clauses
    from policy_builder.pipeline.rules import rules_in_force

    context = policy_context(library, answers)
    chosen = [c for _, clauses in select_clauses(library, context, answers.unanswered) for c in clauses]
    modalities: dict[str, set[str]] = {}
    clauses: dict[str, list[Clause]] = {}
    for entry in rules_in_force(chosen, context):
        modalities.setdefault(entry.rule.action, set()).add(entry.rule.modality)
        if entry.clause not in clauses.setdefault(entry.rule.action, []):
            clauses[entry.rule.action].append(entry.clause)
    positions = {a: p for a, m in modalities.items() if (p := position_of(m))}
    return positions, clauses


def audit_document(
    path: str | Path,
    library: Library,
    profile: str | Path | None = None,
    *,
    nation: str | None = None,
    employer_type: str | None = None,
) -> Audit:
    """Read the document at ``path`` and judge it against the library (or, with ``profile``, against the
    rules that employer's policy holds: a document that forbids what its stance allows contradicts it).

    Only the rules and guidance that apply to the employer's nation and type are judged: from the profile,
    else from ``nation`` / ``employer_type``, else as the document states them ("Social Care Wales",
    "the Council"). With none known, every nation's rules are checked and the report says so."""
    path = Path(path)
    matcher = matcher_for(library)
    passages = read_passages(path, lambda heading: column_modality(matcher.config, heading) is not None)
    overrides: dict[str, str] = {}
    stated: dict[str, list[Clause]] = {}
    scope = Scope(nation, employer_type, "given" if nation or employer_type else None)
    if profile is not None:
        from policy_builder.pipeline.profile import load_profile

        answers = load_profile(profile, library.questionnaire, library.nations)
        overrides, stated = profile_positions(library, answers)
        scope = Scope(answers.values.get("organisation.nation"), answers.values.get("organisation.type"), "profile")
    else:
        found = infer_scope(passages, _opening(path), config=matcher.config)
        scope = Scope(
            scope.nation or found.nation,
            scope.employer_type or found.employer_type,
            scope.source or found.source,
            found.evidence if not (nation or employer_type) else {},
        )
    by_action: dict[str, list[Clause]] = {}
    for clause in possible_clauses(library, scope.nation, scope.employer_type):
        for rule in clause.rules:
            if clause not in by_action.setdefault(rule.action, []):
                by_action[rule.action].append(clause)
    if profile is None:
        # Another nation's or employer type's rules are neither missing nor reflected: not judged at all.
        overrides = {a: p for a, p in matcher.positions.items() if a in by_action}
    matches = matcher.match(passages, overrides)
    review = find_review_date(passages, matcher.config)
    if review is not None and review.passage is not None:
        matches = [_reviewed_by_date(m, review) for m in matches]
    findings = [
        _finding(
            library,
            m,
            stated.get(m.action) or by_action.get(m.action, []),
            universal=profile is not None or m.action in matcher.universal,
            scope=scope,
            matcher=matcher,
        )
        for m in matches
    ]
    findings = _choices_at_odds(library, findings)
    order = {s.id: i for i, s in enumerate(library.sections)}
    findings.sort(key=lambda f: (order.get(f.section, len(order)), f.action))
    items = _items(library, findings, scope)
    counts = {
        verdict: sum(1 for f in findings if f.verdict == verdict) for verdict in ("covers", "contradicts", "misses")
    }
    words = sum(len(p.text.split()) for p in passages)
    return Audit(
        path,
        passages,
        findings,
        items,
        Path(profile) if profile else None,
        words,
        counts,
        scope.nation,
        scope.employer_type,
        scope,
        review,
    )


def _choices_at_odds(library: Library, findings: list[Finding]) -> list[Finding]:
    """Two "Your choice" findings of one section read from one sentence, one that it forbids and one that it allows
    ("does not let staff contact ... out of hours" and "lets staff reply ... out of hours"): the sentence cannot
    say both, so neither is stated as the document's decision; each becomes a passage to check."""
    readings: dict[tuple[str, int, str], set[str]] = {}
    for f in findings:
        if f.position == "depends" and f.verdict == "covers" and f.certainty == "clear" and f.evidence is not None:
            key = (f.section, f.evidence.passage.index, f.evidence.sentence)
            readings.setdefault(key, set()).add("forbids" if f.evidence.modality == "forbids" else "allows")
    at_odds = {key for key, found in readings.items() if len(found) > 1}
    if not at_odds:
        return findings
    return [
        replace(f, certainty="check", requirement=check_words(library.actions[f.action].description))
        if f.position == "depends"
        and f.verdict == "covers"
        and f.certainty == "clear"
        and f.evidence is not None
        and (f.section, f.evidence.passage.index, f.evidence.sentence) in at_odds
        else f
        for f in findings
    ]


# The rule a stated next review date keeps: the document has a date by which it is to be reviewed.
REVIEW_ACTION = "review.review-policy"


def _reviewed_by_date(match: Match, review: ReviewDate) -> Match:
    """A document that states its next review date ("Review date | June 2027" in a control table) is reviewed
    on schedule, as far as a document can say: it covers the review rule with that passage (never contradicts)."""
    if match.action != REVIEW_ACTION or match.verdict != "misses" or review.passage is None:
        return match
    evidence = Evidence(
        review.passage,
        review.quote,
        "requires",
        f"a next review date ({review.words})",
        (review.words,),
        explicit=False,
    )
    return Match(match.action, "covers", match.position, evidence)


def _finding(
    library: Library, match: Match, clauses: list[Clause], *, universal: bool, scope: Scope, matcher: Matcher
) -> Finding:
    action = library.actions[match.action]
    rules = [r for c in clauses for r in c.rules if r.action == match.action]
    sources = tuple(
        dict.fromkeys(s for c in clauses for s in c.sources if s in library.items and item_applies(library, s, scope))
    )
    modalities = {r.modality for r in rules}
    evidence, also = best_evidence(match)
    certainty = None
    stance = match.position == "depends" and evidence is not None and match.verdict != "misses"
    if evidence is not None and (match.verdict == "contradicts" or stance):
        if stance:
            # a stance is stated as a fact about the document only where the quoted sentence says the rule's key
            # concept and act (or answers the question its heading asks: "Can I ...?" / "Yes, if ...")
            sure = matcher.carries(match.action, evidence.sentence) or evidence.cue.startswith("the answer")
        else:
            sure = matcher.clear(match.action, evidence)
        certainty = "clear" if sure else "check"
    if stance and certainty == "check" and match.verdict == "covers":
        # the sentence does not say the rule's key concept and act in terms: which way the document decided is not
        # stated as a fact about it ("Your policy does not let ..." read from a sentence about something else)
        wording = check_words(action.description)
    elif stance and evidence is not None:
        # Employers differ here, so our rule is a question; the document answered it: say what it decided,
        # and that the questionnaire asks the employer to confirm it (not a contradiction, not a miss).
        # one sentence says one thing: a second reading of the quoted sentence ("... the impression that you
        # always will be" after "You don't have to be available") does not turn its answer into "in some cases"
        others = [e for e in also if e.sentence != evidence.sentence]
        said = {e.modality for e in (evidence, *others) if e.explicit} or {evidence.modality}
        wording = choice_words(action.description, match.verdict, said)
    else:
        wording = requirement(action.description, match.position, modalities)
    opposed: tuple[Evidence, ...] = ()
    if match.verdict == "contradicts" and evidence is not None:
        # "Yet the document also says ...": only a sentence that states this very rule the other way (the test a
        # clear contradiction passes, its modal close before the rule's words), not one on a neighbouring matter
        # that shares a word or two ("the approved text service, in the patient record, should be used")
        opposed = tuple(
            e
            for e in also
            if e.sentence != evidence.sentence
            and e.modality != evidence.modality
            and e.lead <= CONTRADICT_NEAR
            and judge(match.position, e.modality) == "covers"
            and matcher.clear(match.action, e)
        )
    return Finding(
        action=match.action,
        verdict=match.verdict,
        position=match.position,
        requirement=wording,
        severity=severity(
            match.verdict, clauses, rules, sources, library, universal=universal, position=match.position
        ),
        section=action.section,
        clauses=tuple(clauses),
        sources=sources,
        evidence=evidence,
        also=also,
        universal=universal,
        certainty=certainty,
        opposed=opposed,
    )


CHOICE = "a choice the questionnaire asks you to confirm, as employers differ on it"


def choice_words(description: str, verdict: str, said: set[str]) -> str:
    """What a document decided on a matter employers differ on: "Your policy lets staff message people ...
    on a messaging app only in some cases: a choice the questionnaire asks you to confirm, ..."."""
    # "Staff may message ..." -> ("staff", "message ..."); "Managers may ..." keeps its subject
    stated = requirement(description, "allow", {"may"}).rstrip(".")
    subject, _, verb = stated.partition(" may ")
    who = subject.lower() if subject == "Staff" else subject[:1].lower() + subject[1:]
    if verdict == "contradicts":
        # "a free AI chatbot": a position none of the questionnaire's answers offers
        return f"Your policy lets {who} {verb} more freely than any answer in the questionnaire allows: check it."
    if "forbids" in said and said - {"forbids"}:
        return f"Your policy lets {who} {verb} only in some cases: {CHOICE}."
    if said == {"forbids"}:
        return f"Your policy does not let {who} {verb}: {CHOICE}."
    # "requires" of a matter stances differ on ("ring the office") grants it rather than makes it a duty
    return f"Your policy lets {who} {verb}: {CHOICE}."


def check_words(description: str) -> str:
    """A passage that may bear on a matter employers differ on, but does not say it in terms: "Does your policy let
    staff message people ...? This passage may bear on it: a choice the questionnaire asks ..."."""
    stated = requirement(description, "allow", {"may"}).rstrip(".")
    subject, _, verb = stated.partition(" may ")
    who = subject.lower() if subject == "Staff" else subject[:1].lower() + subject[1:]
    return f"Does your policy let {who} {verb}? This passage may bear on it: {CHOICE}."


def _opens(evidence: Evidence) -> bool:
    """A modal word of the sentence's own, or an instruction that opens it ("Keep your phone locked ...", not
    "If it is lost, tell the office so it can be locked")."""
    if evidence.explicit:
        return True
    word = re.search(r"'([^']+)'", evidence.cue)
    return bool(word and re.match(rf"[\d.()\s]*{re.escape(word.group(1))}\b", evidence.sentence, re.I))


def best_evidence(match: Match) -> tuple[Evidence | None, tuple[Evidence, ...]]:
    """The sentence that states the rule most plainly first: for a finding that covers, one that says what
    our rule says (forbids what we forbid; for a question of stance, what the matcher's first sentence
    says), with its own modal word, all the rule's words and the modal right before them; for a
    contradiction the matcher's choice stands (it decided on that sentence)."""
    if match.evidence is None or match.verdict != "covers":
        return match.evidence, match.also
    wanted = {"forbid": ("forbids",), "allow": ("requires", "allows")}.get(match.position, (match.evidence.modality,))
    # Coarse tests only; among equals the matcher's ranking (BM25 over the rule's words) stands. For a
    # question of stance only the modal right before the words counts: "must not take photographs" over
    # "Never post photos taken", while a plain instruction keeps its place before a remark that an
    # acceptable use policy "should include guidelines".
    stance = match.position not in ("forbid", "allow")
    ranked = sorted(
        (match.evidence, *match.also),
        key=lambda e: (
            not (e.restricted or e.modality in wanted),
            *(() if stance else (not e.explicit, not e.whole, not e.governs, not _opens(e))),
            e.lead > 0,
        ),
    )
    return ranked[0], tuple(ranked[1:])


_SUBJECTS = {"managers": "Managers", "students": "Students", "policy owner": "The policy's owner"}


def requirement(description: str, position: str, modalities: set[str]) -> str:
    """What our policy says about an action, as a sentence: "Staff must not give people ... personal details."."""
    subject = "Staff"
    text = description.rstrip(".")
    trailing = re.search(r"\s\(([^()]+)\)$", text)
    if trailing and (
        trailing.group(1) in _SUBJECTS or re.search(r"\b(?:manager|officer|owner|employer)s?\b", trailing.group(1))
    ):
        # "Brief the team ... (managers)": a rule for someone other than all staff says so in its subject.
        who = trailing.group(1)
        subject = _SUBJECTS.get(who) or (who[:1].upper() + who[1:] if who.startswith("the ") else "The " + who)
        text = text[: trailing.start()]
    text = re.sub(r"\bone's\b", "their", text).replace(" oneself", " themselves")
    verb = text if text[1:2].isupper() else text[:1].lower() + text[1:]
    if position == "forbid":
        modal = "must not" if "must_not" in modalities else "should not"
    elif position == "allow":
        modal = "must" if "must" in modalities else "should" if "should" in modalities else "may"
    else:
        return f"Decide whether {subject.lower() if subject == 'Staff' else subject} may {verb}, and say so."
    if re.match(r"(?:before|when|where|if|once|after)\b", verb):
        return f"{subject} {modal}, {verb}."  # "Staff must, before asking a person to install an app, consider ..."
    return f"{subject} {modal} {verb}."


def severity(
    verdict: str,
    clauses: list[Clause],
    rules: list[Any],
    sources: tuple[str, ...],
    library: Library,
    *,
    universal: bool = True,
    position: str | None = None,
) -> str | None:
    """The gap report's words: a contradiction of a `must` is high, of anything else medium; a `must` missed is
    medium (high where it rests on law or a statutory code that applies to this employer), anything else
    missed low."""
    if verdict == "covers":
        return None
    # The rule's own modal decides ("should refuse optional cookies" is not a must, even in a clause whose
    # level is must because another of its rules is); the clause's level only where it states no rule.
    must = any(r.modality in ("must", "must_not") for r in rules) if rules else any(c.level == "must" for c in clauses)
    if verdict == "contradicts":
        return "high" if must else "medium"
    if position == "depends":
        must = False  # our rule is a question ("Decide whether ..."): what to decide, not a must missed
    legal = any(library.items[s].document.startswith(LEGAL_PREFIXES) for s in sources)
    found = ("high" if legal else "medium") if must else "low"
    if not universal:  # a rule only some stances hold: it may not apply to this employer at all
        found = {"high": "medium", "medium": "low"}.get(found, found)
    return found


def _items(library: Library, findings: list[Finding], scope: Scope) -> list[ItemCoverage]:
    verdict_of = {f.action: f.verdict for f in findings}
    actions_of: dict[str, list[str]] = {}
    for clause in library.clauses:
        for cited in clause.sources:
            for rule in clause.rules:
                if rule.action in verdict_of and rule.action not in actions_of.setdefault(cited, []):
                    actions_of[cited].append(rule.action)
    coverage = []
    for item_id, item in library.items.items():
        actions = actions_of.get(item_id)
        if not actions or not item_applies(library, item_id, scope):
            continue  # cited by no clause that states a rule: nothing to judge it by
        verdicts = {verdict_of[a] for a in actions}
        verdict = "contradicts" if "contradicts" in verdicts else "covers" if "covers" in verdicts else "misses"
        coverage.append(ItemCoverage(item_id, item.document, item.summary, verdict, tuple(actions)))
    return coverage
