"""(library, answers) -> Policy: choose the clauses that fit, number and render them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from jinja2 import TemplateError

from .errors import LibraryError
from .library import Library
from .models import (
    Answers,
    CitedDocument,
    Clause,
    LibrarySection,
    LocalNote,
    Policy,
    RenderedClause,
    RenderedSection,
)
from .questionnaire import build_context, evaluate
from .templating import RUNTIME_ERRORS, BlankAnswerError, markdown_escape, reflow_markdown

POLICY_TITLE = "Social Media and Digital Contact Policy"


def policy_context(library: Library, answers: Answers) -> dict[str, Any]:
    return build_context(library.questionnaire, answers.values, library.nations, answers.build_date)


def applies(expression: str | None, context: Mapping[str, Any], where: Clause | None = None) -> bool:
    if expression is None:
        return True
    try:
        return evaluate(expression, context)
    except TemplateError as exc:
        if where is None:
            raise
        raise LibraryError(where.path, where.line, f"{where.id}: when: {exc}") from None


def select_clauses(library: Library, context: Mapping[str, Any]) -> list[tuple[str, list[Clause]]]:
    """(section id, chosen clauses) in policy order; each group yields exactly one clause."""
    chosen: list[tuple[str, list[Clause]]] = []
    for section in library.sections:
        try:
            if not applies(section.when, context):
                continue
        except TemplateError as exc:
            line = library.template_lines.get(f"section-when:{section.id}")
            raise LibraryError(section.path, line, f"section {section.id}: when: {exc}") from None
        clauses = [c for c in section.clauses if applies(c.when, context, c)]
        groups: dict[str, list[str]] = {}
        for clause in section.clauses:
            if clause.group:
                groups.setdefault(clause.group, [])
        for clause in clauses:
            if clause.group:
                groups[clause.group].append(clause.id)
        for group, members in groups.items():
            if len(members) != 1:
                found = ", ".join(members) if members else "none"
                first = next(c for c in section.clauses if c.group == group)
                raise LibraryError(
                    section.path,
                    first.line,
                    f"group '{group}' must give exactly one clause for these answers, but gave {found}; run 'policy-builder lint'",
                )
        if clauses:
            chosen.append((section.id, clauses))
    return chosen


def capitalise_name_at_sentence_start(text: str, short_name: str | None) -> str:
    """'the Council' in running text, 'The Council' where it starts a sentence or paragraph."""
    if not short_name or not short_name[0].islower():
        return text
    escaped = markdown_escape(short_name)
    pattern = re.compile(r"(\A|\n\n|[.!?]\s+)" + re.escape(escaped))
    return pattern.sub(lambda m: m.group(1) + escaped[0].upper() + escaped[1:], text)


def render_clause(library: Library, clause: Clause, context: Mapping[str, Any]) -> str:
    try:
        text = reflow_markdown(library.templates[clause.id].render(context).strip())
        return capitalise_name_at_sentence_start(text, context["organisation"]["short_name"])
    except BlankAnswerError as exc:
        raise LibraryError(clause.path, clause.line, f"{clause.id}: {exc}") from None
    except (TemplateError, *RUNTIME_ERRORS) as exc:
        raise LibraryError(clause.path, clause.line, f"{clause.id}: template error: {exc}") from None


def render_intro(library: Library, section: LibrarySection, context: Mapping[str, Any]) -> str:
    what = f"section {section.id} intro"
    line = library.template_lines.get(f"section:{section.id}")
    try:
        return library.templates[f"section:{section.id}"].render(context).strip()
    except BlankAnswerError as exc:
        raise LibraryError(section.path, line, f"{what}: {exc}") from None
    except (TemplateError, *RUNTIME_ERRORS) as exc:
        raise LibraryError(section.path, line, f"{what}: template error: {exc}") from None


def build_policy(library: Library, answers: Answers) -> Policy:
    library.require_sound()
    context = policy_context(library, answers)
    selected = dict(select_clauses(library, context))
    drafts: dict[str, list[RenderedClause]] = {}
    for section in library.sections:
        drafts[section.id] = [
            RenderedClause(
                number="",
                id=clause.id,
                title=clause.title,
                text=render_clause(library, clause, context),
                level=clause.level,
                sources=clause.sources,
                version=clause.version,
            )
            for clause in selected.get(section.id, [])
        ]
    local_notes: list[LocalNote] = []
    if answers.local_entries:
        from .local import apply_local

        local_notes = apply_local(library, answers.local_entries, drafts, set(selected))
    rendered_sections: list[RenderedSection] = []
    cited: list[str] = []
    for section in library.sections:
        clauses = drafts[section.id]
        if not clauses:
            continue
        number = len(rendered_sections) + 1
        intro = None
        if section.intro and section.id in selected:
            intro = render_intro(library, section, context)
        numbered = tuple(replace(c, number=f"{number}.{index}") for index, c in enumerate(clauses, start=1))
        for clause in numbered:
            cited.extend(s for s in clause.sources if s not in cited)
        rendered_sections.append(
            RenderedSection(number=number, id=section.id, title=section.title, intro=intro, clauses=numbered)
        )
    values = answers.values
    marking = values["document.protective_marking"]
    return Policy(
        title=POLICY_TITLE,
        organisation=values["organisation.name"],
        short_name=values["organisation.short_name"],
        slug=answers.slug,
        marking=None if marking == "none" else marking,
        document_control=document_control(answers, context),
        sections=tuple(rendered_sections),
        sources=cite_documents(library, cited, values["organisation.nation"]),
        answers=answers,
        local_notes=tuple(local_notes),
    )


def document_control(answers: Answers, context: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Rows of the document-control table, as plain text (renderers escape them)."""
    from .templating import long_date

    values = answers.values
    marking = values["document.protective_marking"]
    return (
        ("Organisation", values["organisation.name"]),
        ("Version", values["document.version"] or "1.0"),
        ("Owner", values["document.owner"]),
        ("Approved by", values["document.approved_by"] or "Not yet approved (draft)"),
        ("Effective date", long_date(values["document.effective_date"])),
        ("Next review", long_date(context["review_date"])),
        ("Protective marking", "None" if marking == "none" else marking),
    )


def cite_documents(library: Library, item_ids: list[str], nation: str) -> tuple[CitedDocument, ...]:
    """Cited items grouped by document, both in register order; other nations' laws left out."""
    wanted = set(item_ids)
    result = []
    for doc_id, document in library.documents.items():
        if not document.applies_in(nation):
            continue
        items = tuple(item for item in library.items.values() if item.document == doc_id and item.id in wanted)
        if items:
            result.append(CitedDocument(document=document, items=items))
    return tuple(result)


__all__ = ["build_policy", "select_clauses", "render_clause", "policy_context", "markdown_escape"]
