"""(rules, answers) -> gap warnings: what the guidance expects that the stance leaves open.

A gap either follows from the answers given (cause "answer") or stands only
because a question it depends on is not answered yet (cause "unanswered"):
the report lists those as points still to decide, never as findings.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from jinja2 import TemplateError

from policy_builder.content.library import Library
from policy_builder.content.models import SEVERITIES, Answers, GapRule, GapWarning
from policy_builder.content.questionnaire import build_context, evaluate, sample_answers, unanswered_questions
from policy_builder.core.errors import LibraryError
from policy_builder.core.templating import Conditions, names_with_lines

# Past this many combinations of answers to try, a gap that depends on an open question is simply called unanswered.
MAX_TRIES = 256


def rule_questions(library: Library, rule: GapRule) -> list[str]:
    """The questions a rule depends on: those it lists, then those its `when` uses, in that order."""
    used = [name for name in names_with_lines(rule.when, expression=True) if name in library.questionnaire.questions]
    return list(dict.fromkeys([*rule.questions, *used]))


def find_gaps(library: Library, answers: Answers, context: Mapping[str, Any] | None = None) -> list[GapWarning]:
    if context is None:
        context = build_context(library.questionnaire, answers.values, library.nations, answers.build_date)
    open_questions = set(unanswered_questions(library.questionnaire, answers.values, context))
    warnings = []
    checks = Conditions(context)
    for rule in library.gap_rules:
        if not _fires(rule, checks):
            continue
        pending = [qid for qid in rule_questions(library, rule) if qid in open_questions]
        if pending and _holds_whatever_answered(library, rule, answers, pending):
            pending = []  # it follows from the answers given, whatever the open questions turn out to be
        warnings.append(
            GapWarning(
                id=rule.id,
                severity=rule.severity,
                message=rule.message,
                recommendation=rule.recommendation,
                questions=rule.questions,
                sources=rule.sources,
                cause="unanswered" if pending else "answer",
                unanswered=tuple(pending),
                prompts=tuple(library.questionnaire.questions[qid].prompt for qid in pending),
            )
        )
    # Most severe first; the library's order within a severity.
    return sorted(warnings, key=lambda w: SEVERITIES.index(w.severity))


def _fires(rule: GapRule, context: Mapping[str, Any] | Conditions) -> bool:
    try:
        return evaluate(rule.when, context)
    except TemplateError as exc:
        raise LibraryError(rule.path, rule.line, f"{rule.id}: when: {exc}") from None


def _holds_whatever_answered(library: Library, rule: GapRule, answers: Answers, pending: list[str]) -> bool:
    """Does the rule fire for every answer the open questions could be given?"""
    questions = library.questionnaire.questions
    pools = [sample_answers(questions[qid]) for qid in pending]
    total = 1
    for pool in pools:
        total *= len(pool)
    if total > MAX_TRIES:
        return False
    for combo in itertools.product(*pools):
        values = dict(answers.values)
        values.update(zip(pending, combo, strict=True))
        context = build_context(library.questionnaire, values, library.nations, answers.build_date)
        try:
            if not evaluate(rule.when, context):
                return False
        except TemplateError:
            return False
    return True


def count_by_severity(warnings: list[GapWarning]) -> dict[str, int]:
    return {severity: sum(1 for w in warnings if w.severity == severity) for severity in SEVERITIES}


def split_by_cause(warnings: list[GapWarning]) -> tuple[list[GapWarning], list[GapWarning]]:
    """(findings from the answers given, points still to decide)."""
    return [w for w in warnings if w.cause == "answer"], [w for w in warnings if w.cause == "unanswered"]
