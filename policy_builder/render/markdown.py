"""Policy and gap report as Markdown, through the Jinja2 templates in templates/."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..errors import display_path
from ..gaps import count_by_severity, split_by_cause
from ..library import PACKAGE_ROOT
from ..models import GapWarning, Policy
from ..templating import bytecode_cache, long_date, markdown_escape

TEMPLATES_DIR = PACKAGE_ROOT / "templates"


@cache
def _environment(templates_dir: Path = TEMPLATES_DIR) -> Environment:
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
    env.filters["long_date"] = long_date
    return env


def citations(policy: Policy) -> dict[str, list[str]]:
    """Source item id -> numbers of the clauses of the policy, then of the guide, that cite it."""
    result: dict[str, list[str]] = {}
    for clause in [*policy.clauses, *policy.guide_clauses]:
        for source in clause.sources:
            result.setdefault(source, []).append(clause.number)
    return result


def parts() -> Any:
    """templates/_parts.md.j2 as a module: the sentences the Markdown and Word writers share."""
    return _environment().get_template("_parts.md.j2").module


def render_policy(policy: Policy) -> str:
    template = _environment().get_template("policy.md.j2")
    return _tidy(template.render(policy=policy))


def render_guide(policy: Policy, word: bool = False) -> str:
    """The practice guide; `word`: the text for the Word file (marking in the header, title first)."""
    template = _environment().get_template("practice-guide.md.j2")
    return _tidy(template.render(policy=policy, word=word))


def render_annex(policy: Policy, word: bool = False) -> str:
    """The sources annex: every clause of policy and guide with the items it rests on, and their texts."""
    printed = {item.id for cited in policy.annex_sources for item in cited.items}
    template = _environment().get_template("sources-annex.md.j2")
    return _tidy(template.render(policy=policy, word=word, citations=citations(policy), printed=printed))


def render_gap_report(policy: Policy, warnings: list[GapWarning]) -> str:
    answers = policy.answers
    defaults = [(qid, _show(answers.values[qid])) for qid in answers.defaults_used]
    findings, open_points = split_by_cause(warnings)
    template = _environment().get_template("gap-report.md.j2")
    return _tidy(
        template.render(
            answers=answers,
            draft=policy.draft,
            warnings=findings,
            open_points=open_points,
            counts=count_by_severity(findings),
            defaults=defaults,
            not_applicable=answers.not_applicable,
            local_notes=policy.local_notes,
            build_date=long_date(answers.build_date),
            profile=display_path(answers.path) if answers.path else "answers",
        )
    )


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def _tidy(text: str) -> str:
    """At most one blank line in a row, one newline at the end."""
    lines: list[str] = []
    for line in text.splitlines():
        if not line.strip() and lines and not lines[-1].strip():
            continue
        lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"
