"""audit_document: what an employer's current policy covers, contradicts and misses of the library's rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policy_builder.audit.match import Evidence, Match, Matcher, position_of
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

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "verdict": self.verdict,
            "position": self.position,
            "requirement": self.requirement,
            "severity": self.severity,
            "section": self.section,
            "clauses": [c.id for c in self.clauses],
            "sources": list(self.sources),
            "universal": self.universal,
            "evidence": _evidence_dict(self.evidence),
            "also": [_evidence_dict(e) for e in self.also],
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
    nation: str | None = None  # from the profile: the guidance shown leaves out other nations' law
    employer_type: str | None = None

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


def audit_document(path: str | Path, library: Library, profile: str | Path | None = None) -> Audit:
    """Read the document at ``path`` and judge it against the library (or, with ``profile``, against the
    rules that employer's policy holds: a document that forbids what its stance allows contradicts it)."""
    path = Path(path)
    passages = read_passages(path)
    matcher = matcher_for(library)
    overrides: dict[str, str] = {}
    stated: dict[str, list[Clause]] = {}
    nation = employer_type = None
    if profile is not None:
        from policy_builder.pipeline.profile import load_profile

        answers = load_profile(profile, library.questionnaire, library.nations)
        overrides, stated = profile_positions(library, answers)
        nation, employer_type = answers.values.get("organisation.nation"), answers.values.get("organisation.type")
    matches = matcher.match(passages, overrides if profile is not None else None)
    by_action: dict[str, list[Clause]] = {}
    for clause in library.clauses:
        for rule in clause.rules:
            if clause not in by_action.setdefault(rule.action, []):
                by_action[rule.action].append(clause)
    findings = [
        _finding(
            library,
            m,
            stated.get(m.action) or by_action.get(m.action, []),
            universal=profile is not None or m.action in matcher.universal,
        )
        for m in matches
    ]
    order = {s.id: i for i, s in enumerate(library.sections)}
    findings.sort(key=lambda f: (order.get(f.section, len(order)), f.action))
    items = _items(library, findings)
    counts = {
        verdict: sum(1 for f in findings if f.verdict == verdict) for verdict in ("covers", "contradicts", "misses")
    }
    words = sum(len(p.text.split()) for p in passages)
    return Audit(
        path, passages, findings, items, Path(profile) if profile else None, words, counts, nation, employer_type
    )


def _finding(library: Library, match: Match, clauses: list[Clause], *, universal: bool) -> Finding:
    action = library.actions[match.action]
    rules = [r for c in clauses for r in c.rules if r.action == match.action]
    sources = tuple(dict.fromkeys(s for c in clauses for s in c.sources if s in library.items))
    return Finding(
        action=match.action,
        verdict=match.verdict,
        position=match.position,
        requirement=requirement(action.description, match.position, {r.modality for r in rules}),
        severity=severity(match.verdict, clauses, rules, sources, library, universal=universal),
        section=action.section,
        clauses=tuple(clauses),
        sources=sources,
        evidence=match.evidence,
        also=match.also,
        universal=universal,
    )


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
) -> str | None:
    """The gap report's words: a contradiction of a `must` is high, of anything else medium; a `must` missed is
    medium (high where it rests on law), anything else missed low."""
    if verdict == "covers":
        return None
    must = any(c.level == "must" for c in clauses) or any(r.modality in ("must", "must_not") for r in rules)
    if verdict == "contradicts":
        return "high" if must else "medium"
    legal = any(library.items[s].document.startswith(LEGAL_PREFIXES) for s in sources)
    found = ("high" if legal else "medium") if must else "low"
    if not universal:  # a rule only some stances hold: it may not apply to this employer at all
        found = {"high": "medium", "medium": "low"}.get(found, found)
    return found


def _items(library: Library, findings: list[Finding]) -> list[ItemCoverage]:
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
        if not actions:
            continue  # cited by no clause that states a rule: nothing to judge it by
        verdicts = {verdict_of[a] for a in actions}
        verdict = "contradicts" if "contradicts" in verdicts else "covers" if "covers" in verdicts else "misses"
        coverage.append(ItemCoverage(item_id, item.document, item.summary, verdict, tuple(actions)))
    return coverage
