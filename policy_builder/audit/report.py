"""What people read of an audit: the report an employer reads (Markdown, Word) and the terminal summary.

No action, clause or item ids: findings are the document's own words (quoted, with where they are),
our rule in words, and the guidance by its title, as the gap report names them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from policy_builder.audit.api import Audit, Finding
from policy_builder.content.library import DATA_ROOT, Library
from policy_builder.core.errors import display_path
from policy_builder.core.templating import long_date, markdown_escape

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, None: 3}


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(DATA_ROOT / "templates")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["md"] = markdown_escape
    return env


def guidance_titles(
    library: Library, finding: Finding, nation: str | None = None, kind: str | None = None
) -> list[str]:
    """The titles of the documents the finding's guidance comes from, in the library's order; with the
    employer's nation and type (from a profile), without another nation's law."""
    documents = dict.fromkeys(library.items[s].document for s in finding.sources if s in library.items)
    return [
        library.documents[d].title
        for d in documents
        if d in library.documents and (nation is None or library.documents[d].applies_in(nation, kind))
    ]


def counts(audit: Audit) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for verdict in ("covers", "contradicts", "misses"):
        found = audit.of(verdict)
        out[verdict] = {s: sum(1 for f in found if f.severity == s) for s in ("high", "medium", "low")}
        out[verdict]["all"] = len(found)
    return out


def board_summary(audit: Audit, library: Library) -> str:
    """One paragraph a board can read: how much the document addresses, what contradicts, what is most missed."""
    total = len(audit.findings)
    covers, contradicts, misses = audit.of("covers"), audit.of("contradicts"), audit.of("misses")
    name = audit.path.name
    parts = [
        f"{name} addresses {len(covers) + len(contradicts)} of the {total} rules our library sets for "
        f"social media, messaging and digital contact in social work."
    ]
    if contradicts:
        high = [f for f in contradicts if f.severity == "high"]
        parts.append(
            f"It contradicts {len(contradicts)} of them ({len(high)} serious): "
            + "; ".join(_short(f) for f in sorted(contradicts, key=lambda f: SEVERITY_ORDER[f.severity])[:3])
            + ("; and more below." if len(contradicts) > 3 else ".")
        )
    else:
        parts.append("It contradicts none of them.")
    high_missing = [f for f in misses if f.severity == "high"]
    parts.append(
        f"It says nothing on {len(misses)}, {len(high_missing)} of them rules that rest on law and that our "
        "policy states as musts"
        + (": " + "; ".join(_short(f) for f in high_missing[:3]) + "." if high_missing else ".")
    )
    parts.append(
        "We recommend correcting the contradictions first, then adding the missing high and medium rules, "
        "or building a new policy from the questionnaire."
    )
    return " ".join(parts)


def _short(finding: Finding) -> str:
    """A finding in a few words: our rule without its full stop, first letter lowered."""
    text = finding.requirement.rstrip(".")
    return text[:1].lower() + text[1:] if not text[1:2].isupper() else text


def render_markdown(audit: Audit, library: Library) -> str:
    """The audit report: a summary for a board, findings by section of the document, then what it misses."""
    titles = {s.id: s.title for s in library.sections}
    order = {s.id: n for n, s in enumerate(library.sections)}
    # Findings by the document's own sections, in its order.
    by_heading: dict[str, list[tuple[int, Finding]]] = {}
    for finding in audit.findings:
        if finding.verdict == "misses" or finding.evidence is None:
            continue
        heading = finding.evidence.passage.heading or "Before the first heading"
        by_heading.setdefault(heading, []).append((finding.evidence.passage.index, finding))
    sections = []
    for heading, found in sorted(by_heading.items(), key=lambda item: min(i for i, _ in item[1])):
        found.sort(key=lambda pair: (pair[1].verdict != "contradicts", pair[0]))
        sections.append(
            {"title": heading, "findings": [_row(f, library, audit.nation, audit.employer_type) for _, f in found]}
        )
    missing_by: dict[str, list[Finding]] = {}
    for finding in audit.of("misses"):
        missing_by.setdefault(finding.section, []).append(finding)
    missing = [
        {
            "title": titles.get(section, section.replace("-", " ").capitalize()),
            "findings": [
                _row(f, library, audit.nation, audit.employer_type)
                for f in sorted(found, key=lambda f: SEVERITY_ORDER[f.severity])
            ],
        }
        for section, found in sorted(missing_by.items(), key=lambda item: order.get(item[0], len(order)))
    ]
    rows: dict[str, dict[str, Any]] = {}
    for item in audit.items:
        document = library.documents.get(item.document)
        if document is None:
            continue
        row = rows.setdefault(item.document, {"title": document.title, "covers": 0, "contradicts": 0, "misses": 0})
        row[item.verdict] += 1
    template = _environment().get_template("audit-report.md.j2")
    text = template.render(
        document=audit.path.name,
        date=long_date(dt.date.today()),
        rules=len(audit.findings),
        profile=display_path(audit.profile) if audit.profile else None,
        summary=board_summary(audit, library),
        counts=counts(audit),
        sections=sections,
        missing=missing,
        guidance_rows=list(rows.values()),
    )
    return "\n".join(line.rstrip() for line in text.splitlines()).strip() + "\n"


def _row(finding: Finding, library: Library, nation: str | None = None, kind: str | None = None) -> dict[str, Any]:
    evidence = finding.evidence
    return {
        "verdict": finding.verdict,
        "severity": finding.severity,
        "requirement": finding.requirement,
        "quote": evidence.sentence if evidence else "",
        "where": evidence.passage.where if evidence else "",
        "titles": guidance_titles(library, finding, nation, kind),
        "universal": finding.universal,
    }


def render_docx(audit: Audit, library: Library) -> bytes:
    from policy_builder.render.docx import render_report_docx

    return render_report_docx(
        render_markdown(audit, library), title=f"Audit of {audit.path.name}", author="", category="Audit report"
    )


def terminal_lines(audit: Audit, library: Library, *, limit: int = 12) -> list[str]:
    """The summary printed after `policy-builder audit`: counts, then each contradiction with where and quote."""
    c = counts(audit)
    lines = [
        f"{audit.path.name}: {len(audit.passages)} passages, {audit.words} words; "
        f"{len(audit.findings)} rules of the library checked.",
        f"  Covers {c['covers']['all']}, contradicts {c['contradicts']['all']} "
        f"({c['contradicts']['high']} high), misses {c['misses']['all']} "
        f"({c['misses']['high']} high, {c['misses']['medium']} medium, {c['misses']['low']} low).",
    ]
    contradicts = sorted(audit.of("contradicts"), key=lambda f: SEVERITY_ORDER[f.severity])
    if contradicts:
        lines.append("")
        lines.append("Contradicts:")
        for f in contradicts:
            assert f.evidence is not None
            lines.append(f'  [{f.severity}] {f.evidence.passage.where}: "{_clip(f.evidence.sentence)}"')
            lines.append(f"      Our rule: {f.requirement}")
    high = [f for f in audit.of("misses") if f.severity == "high"]
    if high:
        lines.append("")
        lines.append("Misses (high):")
        for f in high[:limit]:
            lines.append(f"  {f.requirement}")
        if len(high) > limit:
            lines.append(f"  ... and {len(high) - limit} more (write the report with --output).")
    return lines


def _clip(text: str, size: int = 200) -> str:
    return text if len(text) <= size else text[: size - 3].rstrip() + "..."
