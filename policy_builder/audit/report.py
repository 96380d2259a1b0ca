"""What people read of an audit: the report an employer reads (Markdown, Word) and the terminal summary.

No action, clause or item ids: findings are the document's own words (quoted, with where they are),
our rule in words, and the guidance by its title, as the gap report names them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from policy_builder.audit.api import LEGAL_PREFIXES, Audit, Finding, matcher_for
from policy_builder.content.library import Library
from policy_builder.core.errors import display_path
from policy_builder.core.templating import long_date
from policy_builder.render.markdown import output_environment

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, None: 3}


def guidance_titles(
    library: Library, finding: Finding, nation: str | None = None, kind: str | None = None
) -> list[str]:
    """The titles of the documents the finding's guidance comes from, in the library's order; with the
    employer's nation and type, without another nation's law (the audit already left out such items)."""
    documents = dict.fromkeys(library.items[s].document for s in finding.sources if s in library.items)
    return [
        library.documents[d].title
        for d in documents
        if d in library.documents and (nation is None or library.documents[d].applies_in(nation, kind))
    ]


def counts(audit: Audit) -> dict[str, dict[str, int]]:
    """Findings by verdict and severity; "clear" and "check" split the contradictions, so a table never shows a
    board a passage to check as a serious contradiction (blind review 6: "High 8" beside "4 clear")."""
    out: dict[str, dict[str, int]] = {}
    contradicts = audit.of("contradicts")
    groups = {
        "covers": audit.of("covers"),
        "contradicts": contradicts,
        "certain": [f for f in contradicts if f.clear],
        "to_check": [f for f in contradicts if not f.clear],
        "misses": audit.of("misses"),
    }
    for name, found in groups.items():
        out[name] = {s: sum(1 for f in found if f.severity == s) for s in ("high", "medium", "low")}
        out[name]["all"] = len(found)
    return out


def _label(library: Library, qid: str, value: str | None) -> str | None:
    question = library.questionnaire.questions.get(qid)
    return question.label_of(value) if question is not None and value else None


def scope_sentence(audit: Audit, library: Library) -> str:
    """Whose rules were judged: the nation and employer type, and where they came from; or that neither is known."""
    scope = audit.scope
    nation = _label(library, "organisation.nation", audit.nation)
    kind = _label(library, "organisation.type", audit.employer_type)
    if kind and audit.employer_type and audit.nation:
        # what such an employer is called in that nation ("an HSC trust in Northern Ireland", not "an NHS trust")
        kind = matcher_for(library).config.scope_names.get(audit.employer_type, {}).get(audit.nation, kind)
    if not nation and not kind:
        return "Nation not known: rules for every nation were checked."
    said = {
        "profile": "from the profile",
        "given": "as asked",
        "document": "as the document states"
        + (
            " (" + ", ".join(f'"{w}"' for w in dict.fromkeys(scope.evidence.values())) + ")"
            if scope and scope.evidence
            else ""
        ),
    }.get(scope.source if scope and scope.source else "", "")
    who = (kind[:1].lower() + kind[1:] if kind and not kind[:3].isupper() else kind) if kind else None
    where = f"{who} in {nation}" if who and nation else who or nation
    text = f"Judged against the rules and guidance for {with_article(where)}"
    text += f", {said}." if said else "."
    if not nation:
        text += " Nation not known: rules for every nation were checked."
    if not kind:
        text += " Employer type not known: rules for every kind of employer were checked."
    return text


def with_article(words: str | None) -> str:
    if not words:
        return ""
    if words in {s for s in ("England", "Wales", "Scotland", "Northern Ireland")}:
        return words
    first = words.split()[0]
    # "an NHS trust": an acronym is read letter by letter, and these letters' names start with a vowel
    vowel = first[:1] in "AEFHILMNORSX" if first.isupper() and len(first) > 1 else words[:1].lower() in "aeiou"
    return ("an " if vowel else "a ") + words


def addressed_words(covers: list[Finding], contradicting: int) -> str:
    """How the rules a document addresses divide: only plain covers are "in agreement with our rule"; a choice
    employers differ on ("Your choice") is the document's answer to confirm, and a "Check" a passage to read."""
    choices = sum(1 for f in covers if f.position == "depends" and f.certainty != "check")
    checks = sum(1 for f in covers if f.position == "depends" and f.certainty == "check")
    counts = [f"{len(covers) - choices - checks} in agreement with our rule"]
    if choices:
        counts.append(f"{choices} {'a choice' if choices == 1 else 'choices'} for you to confirm")
    if checks:
        counts.append(f"{checks} to check")
    return f"{', '.join(counts)} and {contradicting} against it"


def board_summary(audit: Audit, library: Library) -> str:
    """One paragraph a board can read: whose rules, how much the document addresses (its counts adding up),
    what contradicts, and the high misses, which are musts that rest on law."""
    total = len(audit.findings)
    covers, contradicts, misses = audit.of("covers"), audit.of("contradicts"), audit.of("misses")
    parts = [
        scope_sentence(audit, library),
        f"Of the {total} rules checked, {audit.path.name} addresses {len(covers) + len(contradicts)} "
        f"({addressed_words(covers, len(contradicts))}) and says nothing on {len(misses)}.",
    ]
    today = dt.date.today()
    if audit.review and audit.review.due < today:
        overdue = audit.review.months_overdue(today)
        ago = "less than a month" if overdue < 1 else f"{overdue} month{'s' if overdue != 1 else ''}"
        parts.append(
            f"The document was due for review by {audit.review.words} ({audit.review.where}), {ago} ago: review it now."
        )
    if contradicts:
        # Only the contradictions the audit is sure of are named to a board: the quoted sentence itself says the
        # rule's key concept and act, against it, and no other rule fits it better. The rest are counted, to check.
        # the worst first: serious before the rest, then a rule every employer holds before one only some stances
        # hold, then a rule resting on law or a statutory code before one resting on guidance alone
        clear = sorted(
            (f for f in contradicts if f.clear),
            key=lambda f: (SEVERITY_ORDER[f.severity], not f.universal, not _rests_on_law(library, f)),
        )
        check = len(contradicts) - len(clear)
        passages = "finding may" if check == 1 else "findings may"
        to_check = f"{check} more {passages} contradict a rule: marked 'Check' below, for a person to read"
        if clear:
            high = [f for f in clear if f.severity == "high"]
            named = _distinct_passages(clear)[:3]
            parts.append(
                f"Clear contradictions ({len(clear)}, {len(high)} of them serious): "
                + "; ".join(f"{_short(f)} ({f.evidence.passage.where if f.evidence else ''})" for f in named)
                + ("; and more below" if len(clear) > len(named) else "")
                + (f". {to_check[:1].upper()}{to_check[1:]}." if check else ".")
            )
        else:
            parts.append(f"No clear contradiction; {to_check.replace(' more ', ' ', 1)}.")
    high_missing = [f for f in misses if f.severity == "high"]
    if high_missing:
        parts.append(
            f"{len(high_missing)} of the missing rules are musts that rest on law or a statutory code, such as: "
            + "; ".join(_short(f) for f in high_missing[:3])
            + "."
        )
    parts.append(
        ("Correct the contradictions first, then add " if contradicts else "Add ")
        + 'the rules under "What to add first", or build a new policy from the questionnaire.'
    )
    return " ".join(parts)


def _distinct_passages(findings: list[Finding]) -> list[Finding]:
    """One finding per quoted sentence, in order: a board summary names three different problems, not one sentence
    under two rules (blind review 6: both summaries named one sentence twice and left out a third problem)."""
    seen: set[str] = set()
    out = []
    for f in findings:
        sentence = f.evidence.sentence if f.evidence is not None else f.action
        if sentence not in seen:
            seen.add(sentence)
            out.append(f)
    return out


def _rests_on_law(library: Library, finding: Finding) -> bool:
    return any(library.items[s].document.startswith(LEGAL_PREFIXES) for s in finding.sources if s in library.items)


def _short(finding: Finding) -> str:
    """A finding in a few words: our rule without its full stop, first letter lowered."""
    text = finding.requirement.rstrip(".")
    return text[:1].lower() + text[1:] if not text[1:2].isupper() else text


FIRST = 10  # "What to add first": at most this many high misses, so a board reads them all


def render_markdown(audit: Audit, library: Library) -> str:
    """The audit report: a summary for a board, what the document says by its own sections (each quote once),
    what to add first, the rest of what it misses by our sections (each guidance cited by number), and the
    guidance numbered once at the end."""
    titles = {s.id: s.title for s in library.sections}
    order = {s.id: n for n, s in enumerate(library.sections)}
    numbers = _guidance_numbers(audit, library)

    def cite(findings: list[Finding]) -> str:
        found = sorted({numbers[t] for f in findings for t in _titles(library, f, audit) if t in numbers})
        return ", ".join(str(n) for n in found)

    sections = _by_document_section(audit, library, cite)
    misses = sorted(audit.of("misses"), key=lambda f: (SEVERITY_ORDER[f.severity], order.get(f.section, 99)))
    first = [f for f in misses if f.severity == "high"][:FIRST]
    rest = [f for f in misses if f not in first]
    missing_by: dict[str, list[Finding]] = {}
    for finding in rest:
        missing_by.setdefault(finding.section, []).append(finding)
    missing: list[dict[str, Any]] = [
        {
            "title": titles.get(section, section.replace("-", " ").capitalize()),
            "findings": [
                {"severity": f.severity, "requirement": f.requirement, "universal": f.universal}
                for f in sorted(found, key=lambda f: SEVERITY_ORDER[f.severity])
            ],
            "guidance": cite(found),
        }
        for section, found in sorted(missing_by.items(), key=lambda item: order.get(item[0], len(order)))
    ]
    template = output_environment().get_template("audit-report.md.j2")
    text = template.render(
        document=audit.path.name,
        date=long_date(dt.date.today()),
        rules=len(audit.findings),
        profile=display_path(audit.profile) if audit.profile else None,
        summary=board_summary(audit, library),
        counts=counts(audit),
        sections=sections,
        first=[{"requirement": f.requirement, "guidance": cite([f])} for f in first],
        more_high=sum(1 for f in rest if f.severity == "high"),
        missing=missing,
        stance_note=any(not f["universal"] for s in missing for f in s["findings"]),
        guidance_rows=_guidance_rows(audit, library, numbers),
    )
    return "\n".join(line.rstrip() for line in text.splitlines()).strip() + "\n"


def _titles(library: Library, finding: Finding, audit: Audit) -> list[str]:
    return guidance_titles(library, finding, audit.nation, audit.employer_type)


def _guidance_numbers(audit: Audit, library: Library) -> dict[str, int]:
    """Each guidance document the findings rest on, numbered once in the library's order."""
    wanted = {t for f in audit.findings for t in _titles(library, f, audit)}
    ordered = [d.title for d in library.documents.values() if d.title in wanted]
    return {title: n for n, title in enumerate(ordered, 1)}


def _guidance_rows(audit: Audit, library: Library, numbers: dict[str, int]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for item in audit.items:
        document = library.documents.get(item.document)
        if document is None or document.title not in numbers:
            continue
        row = rows.setdefault(
            document.title,
            {"number": numbers[document.title], "title": document.title, "covers": 0, "contradicts": 0, "misses": 0},
        )
        row[item.verdict] += 1
    return sorted(rows.values(), key=lambda r: r["number"])


def _by_document_section(audit: Audit, library: Library, cite: Any) -> list[dict[str, Any]]:
    """What the document says, by its own sections in its order; each sentence quoted once with every rule it
    bears on. A finding shows its best sentence; a section whose only finding is a second sentence shows that."""
    placed: dict[str, dict[tuple[int, str], list[Finding]]] = {}
    for finding in audit.findings:
        if finding.verdict == "misses" or finding.evidence is None:
            continue
        e = finding.evidence
        placed.setdefault(e.passage.heading, {}).setdefault((e.passage.index, e.sentence), []).append(finding)
    for finding in audit.findings:
        if finding.verdict != "covers":
            continue
        for e in finding.also:
            if e.passage.heading not in placed:
                placed[e.passage.heading] = {(e.passage.index, e.sentence): [finding]}
    sections = []
    for heading, quotes in sorted(placed.items(), key=lambda item: min(i for i, _ in item[1])):
        found_rows: list[dict[str, Any]] = []
        for (index, sentence), found in sorted(quotes.items()):
            found.sort(key=lambda f: (f.verdict != "contradicts", SEVERITY_ORDER[f.severity]))
            where = next(
                e.passage.where
                for f in found
                for e in (f.evidence, *f.also)
                if e is not None and e.passage.index == index and e.sentence == sentence
            )
            found_rows.append(
                {
                    "quote": sentence,
                    "where": where,
                    "findings": [
                        {
                            "verdict": f.verdict,
                            # "check": the sentence may contradict the rule, or may bear on the stance; a person reads it
                            "check": f.certainty == "check",
                            "severity": f.severity,
                            "requirement": f.requirement,
                            # a matter employers differ on: the document's decision, for the employer to confirm
                            "choice": f.position == "depends" and f.verdict == "covers",
                            "guidance": cite([f]) if f.verdict == "contradicts" else "",
                            # a sentence elsewhere that states the same rule our way: a person weighs both
                            "agrees": [{"quote": e.sentence, "where": e.passage.where} for e in f.opposed[:1]],
                        }
                        for f in found
                    ],
                }
            )
        found_rows.sort(key=lambda r: not any(f["verdict"] == "contradicts" for f in r["findings"]))
        sections.append({"title": heading or "Before the first heading", "quotes": found_rows})
    return sections


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
        f"  {scope_sentence(audit, library)}"
        + (" Give --profile to judge one nation's rules." if audit.nation is None and audit.profile is None else ""),
        f"  Covers {c['covers']['all']}, contradicts {c['certain']['all']} clearly "
        f"({c['certain']['high']} high) and may contradict {c['to_check']['all']} to check, misses {c['misses']['all']} "
        f"({c['misses']['high']} high, {c['misses']['medium']} medium, {c['misses']['low']} low).",
    ]
    contradicts = sorted(audit.of("contradicts"), key=lambda f: SEVERITY_ORDER[f.severity])
    clear = [f for f in contradicts if f.clear]
    if clear:
        lines.append("")
        lines.append("Contradicts:")
        for f in clear:
            assert f.evidence is not None
            lines.append(f'  [{f.severity}] {f.evidence.passage.where}: "{_clip(f.evidence.sentence)}"')
            lines.append(f"      Our rule: {f.requirement}")
    if len(contradicts) > len(clear):
        check = len(contradicts) - len(clear)
        lines.append("")
        lines.append(
            f"{check} more may contradict a rule: the sentence does not say the rule's words in terms, or fits "
            "another rule better. Check them in the report (--output) or --json."
        )
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
