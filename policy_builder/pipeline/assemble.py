"""(library, answers) -> Policy: choose the clauses that fit, number and render them."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from jinja2 import TemplateError

from policy_builder.content.library import Library
from policy_builder.content.models import (
    Answers,
    CitedDocument,
    Clause,
    DraftStatus,
    GuideRef,
    GuideSection,
    LibrarySection,
    LocalNote,
    OpenQuestion,
    Policy,
    RenderedClause,
    RenderedSection,
)
from policy_builder.content.questionnaire import build_context, evaluate, sample_answers
from policy_builder.core.errors import LibraryError
from policy_builder.core.templating import (
    RUNTIME_ERRORS,
    BlankAnswerError,
    Conditions,
    markdown_escape,
    names_with_lines,
    reflow_markdown,
)

POLICY_TITLE = "Social Media and Digital Contact Policy"


def policy_context(library: Library, answers: Answers) -> dict[str, Any]:
    return build_context(library.questionnaire, answers.values, library.nations, answers.build_date)


def applies(expression: str | None, context: Mapping[str, Any] | Conditions, where: Clause | None = None) -> bool:
    if expression is None:
        return True
    try:
        return evaluate(expression, context)
    except TemplateError as exc:
        if where is None:
            raise
        raise LibraryError(where.path, where.line, f"{where.id}: when: {exc}") from None


OPEN_PREFIX = "open:"  # the id of a clause held open for an unanswered question: "open:<group or clause id>"


def clause_names(clause: Clause) -> set[str]:
    """The names a clause's text and `when` use."""
    names = set(names_with_lines(clause.text))
    if clause.when:
        names |= set(names_with_lines(clause.when, expression=True))
    return names


def open_clause(
    library: Library, model: Clause, key: str, pending: list[str], title: str = "Still to decide"
) -> Clause:
    """A note standing where a clause will go once ``pending`` questions are answered.

    Clauses written before a question could be left unanswered may have no
    wording for "not answered yet" (a group with no member for it, or text that
    prints the answer); the policy then says plainly what is open instead of
    failing to build or guessing.
    """
    questions = library.questionnaire.questions
    asked = " ".join(markdown_escape(questions[qid].prompt) for qid in pending)
    text = (
        "This part of the policy is still to decide, because "
        + ("this question is" if len(pending) == 1 else "these questions are")
        + f" not answered yet: {asked} It is written when the policy is built with the answer."
    )
    return replace(
        model,
        id=OPEN_PREFIX + key,
        title=title,
        text=text,
        level="note",
        sources=model.sources,  # what the clause will rest on once written
        when=None,
        group=None,
    )


def select_clauses(
    library: Library, context: Mapping[str, Any], unanswered: Collection[str] = ()
) -> list[tuple[str, list[Clause]]]:
    """(section id, chosen clauses) in policy order; each group yields exactly one clause.

    A group that yields none because a question it turns on is unanswered
    gives a note saying so (see open_clause); otherwise it is a library error.
    """
    chosen: list[tuple[str, list[Clause]]] = []
    checks = Conditions(context)  # one Jinja context for every section's and clause's `when`
    for section in library.sections:
        try:
            if not applies(section.when, checks):
                continue
        except TemplateError as exc:
            line = library.template_lines.get(f"section-when:{section.id}")
            raise LibraryError(section.path, line, f"section {section.id}: when: {exc}") from None
        clauses = [c for c in section.clauses if applies(c.when, checks, c)]
        # Each group's clauses and the place of its first, found in one pass: a search of the section for
        # every group made choosing clauses quadratic in the section's size (issue 20).
        alternatives: dict[str, list[Clause]] = {}
        first_at: dict[str, int] = {}
        for position, clause in enumerate(section.clauses):
            if clause.group:
                alternatives.setdefault(clause.group, []).append(clause)
                first_at.setdefault(clause.group, position)
        groups: dict[str, list[str]] = {group: [] for group in alternatives}
        for clause in clauses:
            if clause.group:
                groups[clause.group].append(clause.id)
        for group, members in groups.items():
            first = alternatives[group][0]
            if not members and unanswered:
                deciding = set().union(*(clause_names(c) for c in alternatives[group]))
                pending = [qid for qid in unanswered if qid in deciding]
                if pending:
                    before = {c.id for c in section.clauses[: first_at[group]]}
                    at = sum(1 for c in clauses if c.id in before)
                    clauses.insert(at, open_clause(library, first, group, pending))
                    continue
            if len(members) != 1:
                found = ", ".join(members) if members else "none"
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
    if clause.id.startswith(OPEN_PREFIX):
        return clause.text
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


def _render_or_hold_open(
    library: Library, clause: Clause, context: Mapping[str, Any], unanswered: Collection[str]
) -> tuple[Clause, str]:
    """Render a clause; one that cannot print an unanswered question becomes a note that it is still to decide."""
    try:
        return clause, render_clause(library, clause, context)
    except LibraryError:
        pending = [qid for qid in unanswered if qid in clause_names(clause)]
        if not pending:
            raise
        held = open_clause(library, clause, clause.group or clause.id, pending, clause.title)
        return held, held.text


GUIDE_PREFIX = "G"  # guide clause numbers, "G4.1", never confused with the policy's "4.1"


def check_guide_pointers(library: Library) -> None:
    """Every `guide:` names a guide clause of the library."""
    by_id = {c.id: c for c in library.clauses}
    for clause in library.clauses:
        if clause.guide is None:
            continue
        target = by_id.get(clause.guide)
        if target is None:
            raise LibraryError(clause.path, clause.line, f"{clause.id}: guide: no clause has the id '{clause.guide}'")
        if target.document != "guide":
            raise LibraryError(
                clause.path,
                clause.line,
                f"{clause.id}: guide: '{clause.guide}' is a policy clause; name a clause with 'document: guide'",
            )


def _rendered(clause: Clause, text: str) -> RenderedClause:
    return RenderedClause(
        number="",
        id=clause.id,
        title=clause.title,
        text=text,
        level=clause.level,
        sources=clause.sources,
        version=clause.version,
    )


def build_policy(library: Library, answers: Answers) -> Policy:
    """The policy (document: policy clauses) and, from the same choice of clauses, the practice guide."""
    library.require_sound()
    check_guide_pointers(library)
    context = policy_context(library, answers)
    selected = dict(select_clauses(library, context, answers.unanswered))
    drafts: dict[str, list[RenderedClause]] = {}
    guide_drafts: dict[str, list[RenderedClause]] = {}
    pointers: dict[str, str] = {}  # policy clause id -> guide clause id
    for section in library.sections:
        rendered = [
            _render_or_hold_open(library, clause, context, answers.unanswered)
            for clause in selected.get(section.id, [])
        ]
        drafts[section.id] = [_rendered(c, text) for c, text in rendered if c.document != "guide"]
        guide_drafts[section.id] = [_rendered(c, text) for c, text in rendered if c.document == "guide"]
        pointers.update((c.id, c.guide) for c, _ in rendered if c.guide and c.document != "guide")
    local_notes: list[LocalNote] = []
    if answers.local_entries:
        from policy_builder.content.local import apply_local

        local_notes = apply_local(library, answers.local_entries, drafts, set(selected))
    guide = _number_guide(library, drafts, guide_drafts)
    guide_clauses = [c for s in guide for c in s.clauses]
    guide_numbers = {c.id: c.number for c in guide_clauses}
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
        numbered = tuple(
            replace(c, number=f"{number}.{index}", guide_ref=guide_numbers.get(pointers.get(c.id, "")))
            for index, c in enumerate(clauses, start=1)
        )
        for clause in numbered:
            cited.extend(s for s in clause.sources if s not in cited)
        pointed = {c.guide_ref for c in numbered if c.guide_ref}
        guide_refs = tuple(GuideRef(g.number, g.title) for g in guide_clauses if g.number in pointed)
        rendered_sections.append(
            RenderedSection(
                number=number, id=section.id, title=section.title, intro=intro, clauses=numbered, guide_refs=guide_refs
            )
        )
    everything = cited + [s for g in guide for c in g.clauses for s in c.sources]  # cite_documents keeps register order
    values = answers.values
    marking = values["document.protective_marking"]
    nation, employer_type = values["organisation.nation"], values["organisation.type"]
    return Policy(
        title=POLICY_TITLE,
        organisation=values["organisation.name"],
        short_name=values["organisation.short_name"],
        slug=answers.slug,
        marking=None if marking == "none" else marking,
        document_control=document_control(answers, context),
        sections=tuple(rendered_sections),
        sources=cite_documents(library, cited, nation, employer_type),
        answers=answers,
        local_notes=tuple(local_notes),
        draft=draft_status(library, answers, context, selected),
        guide=guide,
        annex_sources=cite_documents(library, everything, nation, employer_type),
    )


def _number_guide(
    library: Library, drafts: Mapping[str, list[RenderedClause]], guide_drafts: Mapping[str, list[RenderedClause]]
) -> tuple[GuideSection, ...]:
    """Guide sections under the policy's section numbers; clauses "G4.1", "G4.2" ...

    A library section whose chosen clauses are all guide clauses has no number
    in the policy: it takes the number of the policy section before it and a
    letter ("3A"), as inserted sections do in legislation, so no guide number
    can be read as another section's.
    """
    sections: list[GuideSection] = []
    policy_number = 0
    inserted = 0
    for section in library.sections:
        if drafts.get(section.id):
            policy_number += 1
            inserted = 0
            number = str(policy_number)
        elif guide_drafts.get(section.id):
            inserted += 1
            number = f"{policy_number}{chr(ord('A') + inserted - 1)}"
        else:
            continue
        clauses = guide_drafts.get(section.id) or []
        if clauses:
            numbered = tuple(
                replace(c, number=f"{GUIDE_PREFIX}{number}.{index}") for index, c in enumerate(clauses, start=1)
            )
            sections.append(GuideSection(number=number, id=section.id, title=section.title, clauses=numbered))
    return tuple(sections)


def draft_status(
    library: Library, answers: Answers, context: Mapping[str, Any], selected: Mapping[str, list[Clause]]
) -> DraftStatus:
    """Draft while nobody has approved the policy or a question that changes its text is unanswered.

    An unanswered question changes the text when a chosen clause's text or
    `when` uses it, when a group with a chosen member turns on it, or when
    answering it would choose other clauses (a section such as students that
    it switches on, say). One that changes nothing (carers' training in an
    adults-only service) leaves the policy as it is.
    """
    unanswered = answers.unanswered
    questions = library.questionnaire.questions
    used: set[str] = set()
    chosen_ids: set[str] = set()
    for section in library.sections:
        picked = selected.get(section.id, [])
        chosen_ids |= {c.id for c in picked}
        groups = {c.group for c in picked if c.group}
        groups |= {c.id[len(OPEN_PREFIX) :] for c in picked if c.id.startswith(OPEN_PREFIX)}
        for clause in section.clauses:
            if clause.id in chosen_ids or clause.group in groups or OPEN_PREFIX + clause.id in chosen_ids:
                used |= clause_names(clause)
        if picked and section.intro:
            used |= set(names_with_lines(section.intro))
    open_ids = [qid for qid in unanswered if qid in used]
    baseline = _choice_of_clauses(library, context, unanswered)
    for qid in unanswered:
        if qid in open_ids:
            continue
        for value in sample_answers(questions[qid]):
            values = {**answers.values, qid: value}
            trial = build_context(library.questionnaire, values, library.nations, answers.build_date)
            if _choice_of_clauses(library, trial, [q for q in unanswered if q != qid]) != baseline:
                open_ids.append(qid)
                break
    ordered = [qid for qid in unanswered if qid in open_ids]  # questionnaire order
    return DraftStatus(
        unapproved=not answers.values.get("document.approved_by"),
        open_questions=tuple(OpenQuestion(id=qid, prompt=questions[qid].prompt) for qid in ordered),
    )


def _choice_of_clauses(library: Library, context: Mapping[str, Any], unanswered: Collection[str]) -> set[str] | None:
    try:
        return {c.id for _, clauses in select_clauses(library, context, unanswered) for c in clauses}
    except LibraryError:
        return None  # an answer the library cannot take in this stance: it does not count as a different text


def document_control(answers: Answers, context: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Rows of the document-control table, as plain text (renderers escape them)."""
    from policy_builder.core.templating import long_date

    values = answers.values
    marking = values["document.protective_marking"]
    return (
        ("Organisation", values["organisation.name"]),
        ("Version", values["document.version"] or "1.0"),
        ("Owner", values["document.owner"]),
        ("Approved by", values["document.approved_by"] or "Not yet approved (draft)"),
        ("Effective date", long_date(values["document.effective_date"])),
        ("Next review", long_date(context["review_date"])),
        ("Protective marking", "No marking" if marking == "none" else marking),
    )


def cite_documents(
    library: Library, item_ids: list[str], nation: str, employer_type: str | None = None
) -> tuple[CitedDocument, ...]:
    """Cited items grouped by document, both in register order; other nations' laws, and laws that do
    not bind this kind of employer (freedom of information for a charity), left out."""
    wanted = set(item_ids)
    result = []
    for doc_id, document in library.documents.items():
        if not document.applies_in(nation, employer_type):
            continue
        items = tuple(
            item
            for item in library.items.values()
            if item.document == doc_id and item.id in wanted and (not item.nations or nation in item.nations)
        )
        if items:
            result.append(CitedDocument(document=document, items=items))
    return tuple(result)


__all__ = ["build_policy", "select_clauses", "render_clause", "policy_context", "markdown_escape"]
