"""How plain the clause library's English is: Flesch reading ease per clause.

Each clause is rendered for a sample employer (so only one branch of each
condition is read) and reduced to plain sentences: list items count as
sentences, Markdown marks are dropped.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError

from policy_builder.content.library import Library
from policy_builder.core.templating import BlankAnswerError
from policy_builder.render.plain import plain_sentences


@dataclass(frozen=True)
class ClauseReadability:
    id: str
    reading_ease: float  # Flesch: higher is easier; 60-70 is plain English
    grade: float  # Flesch-Kincaid US school grade; add 5 for a reading age in years

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "reading_ease": round(self.reading_ease, 1), "grade": round(self.grade, 1)}


@dataclass(frozen=True)
class Readability:
    clauses: list[ClauseReadability]

    @property
    def median_reading_ease(self) -> float:
        return statistics.median(c.reading_ease for c in self.clauses)

    @property
    def median_grade(self) -> float:
        return statistics.median(c.grade for c in self.clauses)

    def hardest(self, count: int = 5) -> list[ClauseReadability]:
        return sorted(self.clauses, key=lambda c: c.reading_ease)[:count]

    def as_dict(self) -> dict[str, object]:
        return {
            "measure": "Flesch reading ease (higher is easier) and Flesch-Kincaid grade",
            "median_reading_ease": round(self.median_reading_ease, 1),
            "median_grade": round(self.median_grade, 1),
            "hardest": [c.as_dict() for c in self.hardest()],
        }


def measure(library: Library, context: dict[str, Any]) -> Readability:
    """Reading ease of each policy clause rendered with `context` (lint's sample employer: `sample_context`)."""
    from policy_builder.render.reading import reading_level

    results = []
    # The policy's readability: the practice guide explains at whatever length the reason needs.
    for clause in (c for c in library.clauses if c.document == "policy"):
        try:
            text = library.templates[clause.id].render(context)
        except (BlankAnswerError, TemplateError):
            text = re.sub(r"\{%.*?%\}", "", re.sub(r"\{\{.*?\}\}", "the organisation", clause.text))
        reading_ease, grade = reading_level(plain_sentences(text))
        results.append(ClauseReadability(id=clause.id, reading_ease=reading_ease, grade=grade))
    return Readability(results)
