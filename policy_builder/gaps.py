"""(rules, answers) -> gap warnings: what the guidance expects that the stance leaves open."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import TemplateError

from .errors import LibraryError
from .library import Library
from .models import SEVERITIES, Answers, GapWarning
from .questionnaire import build_context, evaluate


def find_gaps(library: Library, answers: Answers, context: Mapping[str, Any] | None = None) -> list[GapWarning]:
    if context is None:
        context = build_context(library.questionnaire, answers.values, library.nations, answers.build_date)
    warnings = []
    for rule in library.gap_rules:
        try:
            fired = evaluate(rule.when, context)
        except TemplateError as exc:
            raise LibraryError(rule.path, rule.line, f"{rule.id}: when: {exc}") from None
        if fired:
            warnings.append(
                GapWarning(
                    id=rule.id,
                    severity=rule.severity,
                    message=rule.message,
                    recommendation=rule.recommendation,
                    questions=rule.questions,
                    sources=rule.sources,
                )
            )
    # Most severe first; the library's order within a severity.
    return sorted(warnings, key=lambda w: SEVERITIES.index(w.severity))


def count_by_severity(warnings: list[GapWarning]) -> dict[str, int]:
    return {severity: sum(1 for w in warnings if w.severity == severity) for severity in SEVERITIES}
