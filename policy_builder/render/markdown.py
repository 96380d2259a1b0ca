"""The policy, practice guide and sources annex as blocks, and as Markdown; the gap report as Markdown.

Each document's words come from its Jinja2 template in templates/; the
template's Markdown is read once into blocks (render/blocks.py), which the
Markdown writer here and the Word writer (render/docx/) write out.
"""

from __future__ import annotations

import re
from collections import deque
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from policy_builder.content.library import DATA_ROOT, Library
from policy_builder.content.models import Answers, GapWarning, Policy
from policy_builder.content.questionnaire import build_context, describe_answer, question_numbers
from policy_builder.core.errors import display_path
from policy_builder.core.templating import bytecode_cache, long_date, markdown_escape
from policy_builder.pipeline.assemble import cite_documents
from policy_builder.pipeline.gaps import count_by_severity, split_by_cause
from policy_builder.render.blocks import Block, to_markdown
from policy_builder.render.kept_blocks import document_blocks
from policy_builder.render.plain import words_date

TEMPLATES_DIR = DATA_ROOT / "templates"


def heading_escape(text: str) -> str:
    """Markdown-escaped text for a heading line: "1. Why this note" needs no escape after "### " (it cannot
    start a list there), and a reader would see the backslash."""
    return re.sub(r"^(\d+)\\([.)])", r"\1\2", markdown_escape(text))


@cache
def output_environment(templates_dir: Path = TEMPLATES_DIR) -> Environment:
    """The Jinja environment of every document template in templates/ (policy, guide, annex, reports, audit)."""
    # Our own templates, trusted; answers reach them only as values, escaped by `md`.
    # Their compiled code is kept between runs beside the clause templates' (checked against the source).
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        bytecode_cache=bytecode_cache(),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["md"] = markdown_escape
    env.filters["heading"] = heading_escape
    env.filters["long_date"] = long_date
    env.filters["words_date"] = words_date  # an ISO date from a manifest (version history) in words
    return env


def citations(policy: Policy) -> dict[str, list[str]]:
    """Source item id -> numbers of the clauses of the policy, then of the guide, that cite it."""
    result: dict[str, list[str]] = {}
    for clause in [*policy.clauses, *policy.guide_clauses]:
        for source in clause.sources:
            result.setdefault(source, []).append(clause.number)
    return result


def parts() -> Any:
    """templates/_parts.md.j2 as a module: the sentences the documents share."""
    return output_environment().get_template("_parts.md.j2").module


def policy_blocks(policy: Policy) -> list[Block]:
    """The policy as blocks, for the Markdown and the Word writer alike."""
    return _built(policy, "policy.md.j2")


def guide_blocks(policy: Policy) -> list[Block]:
    """The practice guide as blocks."""
    return _built(policy, "practice-guide.md.j2")


def annex_blocks(policy: Policy) -> list[Block]:
    """The sources annex as blocks: every clause of policy and guide with the items it rests on, and their texts."""
    return _built(policy, "sources-annex.md.j2")


def render_policy(policy: Policy) -> str:
    return to_markdown(policy_blocks(policy))


def render_guide(policy: Policy) -> str:
    return to_markdown(guide_blocks(policy))


def render_annex(policy: Policy) -> str:
    return to_markdown(annex_blocks(policy))


# The last documents built, by template and policy object: a build writes each document as Markdown and then
# as Word, and builds it once. Held by identity (a Policy holds dicts, so it cannot be a dict key) and kept few.
_BUILT: deque[tuple[str, Policy, list[Block]]] = deque(maxlen=6)


def _built(policy: Policy, template_name: str) -> list[Block]:
    for name, built_for, blocks in tuple(_BUILT):  # a copy: the web app's threads may add meanwhile
        if name == template_name and built_for is policy:
            return blocks
    template = output_environment().get_template(template_name)
    context: dict[str, Any] = {"policy": policy}
    if template_name == "sources-annex.md.j2":
        context["citations"] = citations(policy)
        context["printed"] = {item.id for cited in policy.annex_sources for item in cited.items}
    blocks = document_blocks(_tidy(template.render(**context)))
    _BUILT.append((template_name, policy, blocks))
    return blocks


def render_gap_report(policy: Policy, warnings: list[GapWarning], library: Library) -> str:
    """The gap report, in a manager's words: each question by its number and prompt as the wizards show it,
    answers by their labels, guidance by what it says. The ids stay in the manifest and `gaps --json`."""
    answers = policy.answers
    words = GapWords(library, answers)
    findings, open_points = split_by_cause(warnings)
    template = output_environment().get_template("gap-report.md.j2")
    return _tidy(
        template.render(
            answers=answers,
            draft=policy.draft,
            warnings=findings,
            open_points=open_points,
            counts=count_by_severity(findings),
            defaults=[(words.question(qid), words.answer(qid)) for qid in answers.defaults_used],
            not_applicable=[words.question(qid) for qid in answers.not_applicable],
            # Only those these answers bring up: the wizard's --only-new asks no others.
            new_questions=[words.question(qid) for qid in answers.new_questions if qid in words.numbers],
            question=words.question,
            guidance=words.guidance,
            local_notes=policy.local_notes,
            build_date=long_date(answers.build_date),
            profile=display_path(answers.path) if answers.path else "answers",
        )
    )


class GapWords:
    """Questions, answers and guidance as the gap report names them, for one set of answers."""

    def __init__(self, library: Library, answers: Answers) -> None:
        self.library = library
        self.answers = answers
        questionnaire = library.questionnaire
        context = build_context(questionnaire, answers.values, library.nations, answers.build_date)
        self.numbers = question_numbers(questionnaire, context)
        self.section_numbers = {section.id: n for n, section in enumerate(questionnaire.sections, start=1)}

    def question(self, qid: str) -> str:
        """'6.2 Who authorises viewing ...?'; a question these answers do not bring up, by its section."""
        question = self.library.questionnaire.questions.get(qid)
        if question is None:  # no longer in the questionnaire (a renamed or removed question): only its id is left
            return qid
        if qid in self.numbers:
            return f"{self.numbers[qid]} {question.prompt}"
        number = self.section_numbers[question.section]
        title = self.library.questionnaire.sections[number - 1].title
        return f"{question.prompt} (section {number}, {title})"

    def answer(self, qid: str) -> str:
        question = self.library.questionnaire.questions[qid]
        return describe_answer(question, self.answers.values.get(qid))

    def guidance(self, warning: GapWarning) -> list[tuple[str, str, str]]:
        """(document title, who issued it, what its passages say) for the guidance a gap rests on, by document as
        the sources annex groups them; another nation's law, or a law that does not bind this employer, left out."""
        values = self.answers.values
        cited = cite_documents(
            self.library, list(warning.sources), values["organisation.nation"], values.get("organisation.type")
        )
        return [(c.document.title, c.document.body, " ".join(item.summary for item in c.items)) for c in cited]


def _tidy(text: str) -> str:
    """At most one blank line in a row, one newline at the end."""
    lines: list[str] = []
    for line in text.splitlines():
        if not line.strip() and lines and not lines[-1].strip():
            continue
        lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"
