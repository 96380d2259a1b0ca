"""The register of legal claims: every statement of law the library can print, where, and on what authority.

`clauses/legal-claims.yaml` holds one entry per claim: the claim in plain words, the nations and
employer types it is printed for, the registered source item it rests on, its primary reference
(Act and section, SI and article, code paragraph), the page it was confirmed on and the date.
`printed_by` names the clauses and nation facts that print it. `lint` checks the register against
the library (see check_claims); `policy-builder claims` renders it for people (docs/legal-claims.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policy_builder.content.library import Library
from policy_builder.core import yamlio
from policy_builder.core.errors import LibraryError

CLAIMS_FILE = "legal-claims.yaml"
# Kinds of source document whose citation means a clause states law or a regulator's rule.
LEGAL_KINDS = ("law", "code", "regulator")
# Nation facts that are not statements of law (names, switches and item ids).
NOT_LAW_FACTS = {"name", "standards_source", "safeguarding_procedures"}  # names and terms, not statements of law
_FIELDS = {
    "claim",
    "nations",
    "employer_types",
    "source",
    "reference",
    "url",
    "checked",
    "status",
    "printed_by",
    "note",
}
# confirmed: read on the primary page (the legislation, or the body's own page);
# copy: read on a faithful copy of the primary text (a PDF copy, an official body's restatement)
# because the primary page was not in reach; the note says which. Nothing else may be printed.
STATUSES = ("confirmed", "copy")


@dataclass(frozen=True)
class LegalClaim:
    id: str
    claim: str
    nations: tuple[str, ...]
    employer_types: tuple[str, ...]
    source: str
    reference: str
    url: str
    checked: dt.date
    status: str
    printed_by: tuple[str, ...]
    note: str
    line: int | None


def load_claims(library: Library) -> list[LegalClaim]:
    path = Path(library.root) / CLAIMS_FILE
    doc = yamlio.load(path, LibraryError, trusted=True)
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("claims"), dict):
        raise LibraryError(path, doc.line(), "expected 'claims:', a mapping of claim id to claim")
    claims = []
    for key, raw in data["claims"].items():
        line = doc.line("claims", key)
        if not isinstance(raw, dict):
            raise LibraryError(path, line, f"{key}: expected a mapping with claim, nations, source ...")
        unknown = sorted(str(k) for k in raw if k not in _FIELDS)
        if unknown:
            raise LibraryError(path, line, f"{key}: unknown field {unknown[0]}; allowed: {', '.join(sorted(_FIELDS))}")
        for needed in ("claim", "nations", "employer_types", "source", "reference", "url", "checked", "status"):
            if not raw.get(needed):
                raise LibraryError(path, line, f"{key}: needs '{needed}:'")
        if not isinstance(raw["checked"], dt.date):
            raise LibraryError(path, doc.line("claims", key, "checked"), f"{key}: checked: write a date, YYYY-MM-DD")
        if raw["status"] not in STATUSES:
            raise LibraryError(
                path,
                doc.line("claims", key, "status"),
                f"{key}: status must be one of {', '.join(STATUSES)}; an unconfirmed claim is not printed",
            )
        claims.append(
            LegalClaim(
                id=str(key),
                claim=" ".join(str(raw["claim"]).split()),
                nations=tuple(_strings(raw["nations"])),
                employer_types=tuple(_strings(raw["employer_types"])),
                source=str(raw["source"]),
                reference=" ".join(str(raw["reference"]).split()),
                url=str(raw["url"]),
                checked=raw["checked"],
                status=str(raw["status"]),
                printed_by=tuple(_strings(raw.get("printed_by") or [])),
                note=" ".join(str(raw.get("note") or "").split()),
                line=line,
            )
        )
    return claims


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def check_claims(library: Library, claims: list[LegalClaim] | None = None) -> list[str]:
    """Problems, each 'file:line: message': unknown names, and law the library prints with no claim."""
    path = Path(library.root) / CLAIMS_FILE
    if claims is None:
        try:
            claims = load_claims(library)
        except LibraryError as exc:
            return [str(exc)]
    problems: list[str] = []
    nations = set(library.nations)
    types = set(library.questionnaire.questions["organisation.type"].choice_values)
    clause_ids = {c.id for c in library.clauses}
    facts = {f"nation.{fact}" for facts in library.nations.values() for fact in facts}

    def at(claim: LegalClaim) -> str:
        return f"{path.name}:{claim.line}: {claim.id}"

    for claim in claims:
        for nation in claim.nations:
            if nation not in nations:
                problems.append(f"{at(claim)}: unknown nation {nation}; one of {', '.join(sorted(nations))}")
        for kind in claim.employer_types:
            if kind not in types:
                problems.append(f"{at(claim)}: unknown employer type {kind}; one of {', '.join(sorted(types))}")
        if claim.source not in library.items:
            problems.append(f"{at(claim)}: source {claim.source} is not an item in sources.yaml")
        for name in claim.printed_by:
            if name not in clause_ids and name not in facts:
                problems.append(f"{at(claim)}: printed_by names {name}, which is neither a clause id nor a nation fact")
        if not claim.url.startswith("https://"):
            problems.append(f"{at(claim)}: url must be the https address of the page the claim was confirmed on")

    printed = {name for claim in claims for name in claim.printed_by}
    for clause in library.clauses:
        legal = [
            s
            for s in clause.sources
            if s in library.items and library.documents[library.items[s].document].kind in LEGAL_KINDS
        ]
        if legal and clause.id not in printed:
            problems.append(
                f"{clause.path.name}:{clause.line}: {clause.id} cites {', '.join(legal)} but no legal claim"
                f" in {CLAIMS_FILE} is printed_by it; register the law it states"
            )
    for nation, nation_facts in library.nations.items():
        for fact, value in nation_facts.items():
            if fact in NOT_LAW_FACTS or value in (None, False, True, []):
                continue
            covering = [c for c in claims if f"nation.{fact}" in c.printed_by and nation in c.nations]
            if not covering:
                problems.append(
                    f"nations.yaml: {nation}.{fact} ({value!r}) is printed in policies but no legal claim"
                    f" for {nation} in {CLAIMS_FILE} is printed_by nation.{fact}"
                )
    return problems


def render_claims_markdown(library: Library, claims: list[LegalClaim]) -> str:
    """docs/legal-claims.md: the register as a board or an auditor reads it."""
    lines = [
        "# Legal claims register",
        "",
        "Every statement of law or of a regulator's rule that policy-builder can print, the nations",
        "and employer types it is printed for, the primary source it rests on and the date it was",
        f"last confirmed. Generated from `clauses/{CLAIMS_FILE}` by `policy-builder claims --output",
        "docs/legal-claims.md`; do not edit by hand. `policy-builder lint` fails when a clause cites",
        "law that no claim here covers.",
        "",
        f"{len(claims)} claims; oldest check {min(c.checked for c in claims).isoformat() if claims else '-'}.",
        "",
        "| Claim | Printed for | Source and reference | Checked | Printed by |",
        "|---|---|---|---|---|",
    ]
    lines[-2:-2] = [
        "Status: *confirmed* means read on the primary page (the legislation, or the body's own page);",
        "*copy* means read on a faithful copy of the primary text because the primary page was not in",
        "reach (the note says which).",
        "",
    ]
    every_nation = set(library.nations)
    every_type = set(library.questionnaire.questions["organisation.type"].choice_values)
    for claim in claims:
        nations = "all nations" if set(claim.nations) == every_nation else ", ".join(claim.nations)
        kinds = "all employers" if set(claim.employer_types) == every_type else ", ".join(claim.employer_types)
        document = library.items[claim.source].document if claim.source in library.items else ""
        title = library.documents[document].title if document else claim.source
        source = f"[{_cell(title)}]({claim.url}): {_cell(claim.reference)}"
        lines.append(
            f"| **{claim.id}**: {_cell(claim.claim)} | {nations}; {kinds} | {source} "
            f"| {claim.checked.isoformat()} ({claim.status}) "
            f"| {', '.join(claim.printed_by) or '-'} |"
        )
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
