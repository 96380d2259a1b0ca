"""Rules as data: what each clause requires, allows or forbids, and the checks on them.

A clause states its rules as `rules: [{action, modality, when}]`, naming actions
from clauses/actions.yaml. A built policy holds the rules of its chosen clauses
whose `when` is true. From that, lint proves that no policy both requires or
allows and forbids one action, that no two clauses of one policy rule on the same
action (one rule, one place) unless one says it restates the other (`see:`), and
that each clause's level and wording agree with its rules; the staff card shows an item only when the policy holds its rule.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError

from policy_builder.content.library import Library
from policy_builder.content.models import Clause, Rule
from policy_builder.content.questionnaire import evaluate
from policy_builder.core.errors import LibraryError
from policy_builder.core.templating import Conditions

# Verbs that state an obligation without saying which of must / should / may it is.
# 2.x (definitions.must-should-may) defines only those three, so a clause with rules must not hide
# its rule behind these; "are not expected to" (a promise to staff) is not caught.
UNDEFINED_MODALS = (
    (re.compile(r"\b(?:are|is) expected to\b"), "are expected to"),
    (re.compile(r"\bencourag(?:ed|es|e)\b"), "encouraged"),
)
_MUST = re.compile(r"\bmust\b(?!\s+(?:not|never)\b)")
_MUST_NOT = re.compile(r"\bmust\s+not\b|\bnever\b")
_SHOULD = re.compile(r"\bshould\b(?!\s+(?:not|never)\b)")
_SHOULD_NOT = re.compile(r"\bshould\s+(?:not|never)\b")
_MAY = re.compile(r"\bmay\b")
_ANY_MODAL = re.compile(r"\b(?:must|should|may|never)\b|\bdo not\b")


@dataclass(frozen=True)
class InForce:
    """A rule a policy holds, with the clause that states it."""

    clause: Clause
    rule: Rule


@dataclass(frozen=True)
class Contradiction:
    action: str
    allowing: InForce  # must, should or may
    forbidding: InForce  # must_not or should_not


@dataclass(frozen=True)
class Duplicate:
    """Two clauses of one policy that rule on the same action, neither a cross-reference to the other."""

    action: str
    first: InForce
    second: InForce


@dataclass(frozen=True)
class BrokenReference:
    """A rule marked `see: <clause id>` whose clause is not in the policy, or does not rule that way."""

    entry: InForce
    problem: str  # what is wrong, in words, for the lint line


def rule_applies(clause: Clause, rule: Rule, context: Mapping[str, Any] | Conditions) -> bool:
    if rule.when is None:
        return True
    try:
        return evaluate(rule.when, context)
    except TemplateError as exc:
        raise LibraryError(clause.path, rule.line, f"{clause.id}: rule for '{rule.action}': when: {exc}") from None


def rules_in_force(clauses: Iterable[Clause], context: Mapping[str, Any]) -> list[InForce]:
    """The rules of these (chosen) clauses whose `when` holds for the answers in `context`."""
    checks = Conditions(context)
    return [InForce(clause, rule) for clause in clauses for rule in clause.rules if rule_applies(clause, rule, checks)]


def policy_rules(library: Library, context: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(action, modality) of every rule the policy for these answers holds."""
    from policy_builder.pipeline.assemble import select_clauses

    chosen = [clause for _, clauses in select_clauses(library, context) for clause in clauses]
    return {(f.rule.action, f.rule.modality) for f in rules_in_force(chosen, context)}


def contradictions(in_force: Iterable[InForce]) -> list[Contradiction]:
    """Every pair of rules in one policy where one requires or allows an action and the other forbids it."""
    by_action: dict[str, list[InForce]] = {}
    for entry in in_force:
        by_action.setdefault(entry.rule.action, []).append(entry)
    found: list[Contradiction] = []
    for action, entries in by_action.items():
        allowing = [e for e in entries if e.rule.allows]
        forbidding = [e for e in entries if e.rule.forbids]
        found.extend(Contradiction(action, a, f) for a in allowing for f in forbidding)
    return found


def duplicates(in_force: Iterable[InForce]) -> list[Duplicate]:
    """Every pair of policy clauses in one policy that rule on the same action (one rule, one place).

    A rule marked `see:` restates another clause's rule as a reminder, so it is left out here
    (cross_reference_problems checks that the clause it names holds the rule). A pair that
    contradicts is left to `contradictions`, which says the worse thing about it.
    """
    by_action: dict[str, dict[str, InForce]] = {}
    for entry in in_force:
        if entry.rule.see is None and entry.clause.document == "policy":
            by_action.setdefault(entry.rule.action, {}).setdefault(entry.clause.id, entry)
    found = []
    for action, by_clause in by_action.items():
        entries = list(by_clause.values())  # one per clause: two rules of one clause are one place
        for index, first in enumerate(entries):
            for second in entries[index + 1 :]:
                if (first.rule.allows and second.rule.forbids) or (first.rule.forbids and second.rule.allows):
                    continue
                found.append(Duplicate(action, first, second))
    return found


def cross_reference_problems(in_force: Iterable[InForce], in_policy: Collection[str]) -> list[BrokenReference]:
    """Rules marked `see: <clause id>` that point nowhere: the clause is not in this policy (`in_policy`, the ids
    of its clauses), or it does not rule on the action, or it rules on it with another modality."""
    entries = list(in_force)
    stated: dict[tuple[str, str], set[str]] = {}  # (clause id, action) -> modalities it holds in this policy
    for entry in entries:
        if entry.rule.see is None:
            stated.setdefault((entry.clause.id, entry.rule.action), set()).add(entry.rule.modality)
    found = []
    for entry in entries:
        target, action = entry.rule.see, entry.rule.action
        if target is None:
            continue
        if target == entry.clause.id:
            found.append(
                BrokenReference(entry, f"see: {target} names the clause itself; name the clause that states the rule")
            )
        elif target not in in_policy:
            found.append(
                BrokenReference(
                    entry,
                    f"see: {target}, but {target} is not in this policy; point to a clause the policy holds, "
                    "or drop the see: and state the rule here",
                )
            )
        elif (target, action) not in stated:
            found.append(
                BrokenReference(
                    entry, f"see: {target}, but {target} states no rule on '{action}' in this policy (or only a see:)"
                )
            )
        elif entry.rule.modality not in stated[target, action]:
            held = ", ".join(sorted(stated[target, action]))
            found.append(
                BrokenReference(
                    entry,
                    f"restates {target} as {entry.rule.modality} '{action}' but {target} says {held}; "
                    "a reminder must say what the rule says",
                )
            )
    return found


def plain_wording(text: str) -> str:
    """Clause text as words to search for modal verbs: Jinja tags and Markdown marks gone, every branch kept."""
    text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)
    text = re.sub(r"[*_`]", "", text)
    return " ".join(text.lower().replace("’", "'").split())


def level_problems(clause: Clause) -> list[str]:
    """The clause's `level` (what it mainly does) disagrees with the rules it states.

    Only clauses that state rules are checked: the library is annotated clause by clause.
    """
    if not clause.rules:
        return []
    modalities = {rule.modality for rule in clause.rules}
    if clause.level == "note":
        return ["level note (guidance) but it states rules; make it must, should or may, or drop the rules"]
    if clause.level == "must" and not modalities & {"must", "must_not"}:
        return [
            f"level must but no rule is must or must_not (rules: {', '.join(sorted(modalities))}); "
            "lower the level or state the rule"
        ]
    if clause.level == "should" and not modalities & {"should", "should_not"}:
        return [f"level should but no rule is should or should_not (rules: {', '.join(sorted(modalities))})"]
    if clause.level == "may":
        problems = []
        if "may" not in modalities:
            problems.append(f"level may but no rule is may (rules: {', '.join(sorted(modalities))})")
        if "must" in modalities:
            problems.append("level may but it states a must rule; make the level must")
        return problems
    return []


def wording_problems(clause: Clause) -> list[str]:
    """Modal verbs in the text that disagree with the rules, rules stated in the indicative, undefined verbs."""
    if not clause.rules:
        return []
    words = plain_wording(clause.text)
    problems = []
    if not _ANY_MODAL.search(words):
        return [
            "states rules but its text has no must, should, may, never or do not: a rule stated as fact "
            '("Staff use ...") does not bind anyone; say which it is'
        ]
    needs = {
        "must": (_MUST, "'must'"),
        "must_not": (_MUST_NOT, "'must not' or 'never'"),
        "should": (_SHOULD, "'should'"),
        "should_not": (_SHOULD_NOT, "'should not' or 'should never'"),
        "may": (_MAY, "'may'"),
    }
    for modality in dict.fromkeys(rule.modality for rule in clause.rules):
        pattern, wanted = needs[modality]
        if not pattern.search(words):
            actions = ", ".join(r.action for r in clause.rules if r.modality == modality)
            problems.append(f"has a {modality} rule ({actions}) but its text never says {wanted}")
    for pattern, phrase in UNDEFINED_MODALS:
        if pattern.search(words):
            problems.append(
                f"says '{phrase}', which the definitions (must, should, may) do not define; "
                "say must, should or may instead"
            )
    return problems


def clause_rule_problems(clause: Clause, where: str) -> list[str]:
    """Level and wording problems of one clause, as lint lines starting with `where`."""
    return [f"{where}: {problem}" for problem in level_problems(clause) + wording_problems(clause)]


def unannotated(clauses: Iterable[Clause]) -> list[Clause]:
    """Clauses whose level says they state a rule (must, should, may) but that have no `rules:` yet."""
    return [c for c in clauses if c.level in ("must", "should", "may") and not c.rules]
