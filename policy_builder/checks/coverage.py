"""Which source items the clause library cites, and which it leaves uncovered."""

from __future__ import annotations

from dataclasses import dataclass, field

from policy_builder.content.library import Library


@dataclass
class Coverage:
    items: dict[str, list[str]]  # item id -> clause ids citing it
    uncovered: list[str]
    not_applicable: dict[str, str]
    clause_count: int
    # item id -> "policy", "guide" or "both": which document's clauses cite it (uncited items are left out)
    cited_by: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "items": self.items,
            "cited_by": self.cited_by,
            "uncovered": self.uncovered,
            "not_applicable": self.not_applicable,
            "clause_count": self.clause_count,
        }


def coverage(library: Library) -> Coverage:
    items: dict[str, list[str]] = {item_id: [] for item_id in library.items}
    documents: dict[str, set[str]] = {}
    for clause in library.clauses:
        for source in clause.sources:
            items.setdefault(source, []).append(clause.id)
            documents.setdefault(source, set()).add(clause.document)
    uncovered = [i for i, clauses in items.items() if not clauses and i not in library.not_applicable]
    return Coverage(
        items=items,
        uncovered=uncovered,
        not_applicable=dict(library.not_applicable),
        clause_count=len(library.clauses),
        cited_by={i: "both" if len(d) > 1 else next(iter(d)) for i, d in documents.items()},
    )
