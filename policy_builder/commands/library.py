"""`policy-builder questions`, `lint`, `claims` and `coverage`: the questionnaire and checks on the clause library.

Imported by `policy_builder.cli` only when one of its commands runs (or its `--help` is asked for).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from policy_builder.cli import cli_context, library_option, user_errors
from policy_builder.commands import FILE

if TYPE_CHECKING:
    pass


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the questionnaire as JSON.")
@library_option()
@click.pass_context
@user_errors
def questions(ctx: click.Context, as_json: bool) -> None:
    """List the questionnaire: every question id, its type and allowed answers."""
    import json

    from policy_builder.content.questionnaire import describe_allowed

    questionnaire = cli_context(ctx).questionnaire()
    if as_json:
        rows = []
        for q in questionnaire.questions.values():
            rows.append(
                {
                    "id": q.id,
                    "section": q.section,
                    "type": q.type,
                    "prompt": q.prompt,
                    "help": q.help,
                    "required": q.required,
                    "default": q.default if not q.default_from else None,
                    "default_from": q.default_from,
                    "default_by": {q.default_by[0]: dict(q.default_by[1])} if q.default_by else None,
                    "choices": [{"value": c.value, "label": c.label} for c in q.choices],
                    "when": q.when,
                    "sources": list(q.sources),
                }
            )
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
        return
    for number, section in enumerate(questionnaire.sections, start=1):
        click.echo(f"{number}. {section.title}")
        for q in questionnaire.in_section(section.id):
            if q.required:
                default = "required"
            elif q.default_from:
                default = f"default: {q.default_from.replace('_', ' ')}"
            else:
                default = f"default: {_show_default(q.default)}"
                if q.default_by:
                    default += "".join(
                        f", {_show_default(value)} when {q.default_by[0]} is {answer}"
                        for answer, value in q.default_by[1]
                    )
            click.echo(f"  {q.id}  ({describe_allowed(q)}; {default})")
            if q.when:
                click.echo(f"      asked when: {q.when}")
        click.echo()


def _show_default(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    return str(value)


@click.command()
@click.option("--record", is_flag=True, help="Record new clause versions in clauses/clause-history.yaml first.")
@click.option(
    "--only",
    multiple=True,
    metavar="CHECK",
    help="Run only this check (repeat for more): questionnaire, sections, groups, gap-rules, coverage, "
    "repeated-paragraphs, glued-words, guide-pointers, readability, versions, handouts, rules, watch, claims.",
)
@library_option()
@click.pass_context
@user_errors
def lint(ctx: click.Context, record: bool, only: tuple[str, ...]) -> None:
    """Check the clause library: ids, names, sources, templates, groups, coverage, versions."""
    from policy_builder.checks.lint import CHECKS, lint_report

    unknown = sorted(set(only) - set(CHECKS))
    if unknown:
        raise click.BadParameter(
            f"no check named {', '.join(unknown)}; one of {', '.join(CHECKS)}", param_hint="--only"
        )

    library = cli_context(ctx).library()
    if record:
        from policy_builder.content.versions import record as record_versions

        recorded = record_versions(library.root, library.clauses, library.history)
        click.echo(f"Recorded {len(recorded)} new clause version{'s' if len(recorded) != 1 else ''}.")
    problems, notes = lint_report(library, only or CHECKS)
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        sys.exit(1)
    click.echo(
        f"Library OK: {len(library.clauses)} clauses in {len(library.sections)} sections, "
        f"{len(library.gap_rules)} gap rules, {len(library.questionnaire.questions)} questions."
        + (f" Checked only: {', '.join(c for c in CHECKS if c in only)}." if only else "")
    )
    for note in notes:
        click.echo(note)


@click.command()
@click.option(
    "--output",
    type=FILE,
    help="Write the register as Markdown here (docs/legal-claims.md) instead of printing it.",
)
@library_option()
@click.pass_context
@user_errors
def claims(ctx: click.Context, output: Path | None) -> None:
    """Show the register of legal claims: each statement of law, where it is printed, its source and check date."""
    from policy_builder.checks.claims import check_claims, load_claims, render_claims_markdown
    from policy_builder.core.output import atomic_write

    library = cli_context(ctx).library()
    register = load_claims(library)
    text = render_claims_markdown(library, register)
    if output:
        atomic_write(output, text)
        click.echo(f"Wrote {len(register)} claims to {output}.")
    else:
        click.echo(text, nl=False)
    problems = check_claims(library, register)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the coverage as JSON.")
@library_option()
@click.pass_context
@user_errors
def coverage(ctx: click.Context, as_json: bool) -> None:
    """Show which clauses cite each guidance item, and what is uncovered."""
    import json

    from policy_builder.checks.coverage import coverage as compute
    from policy_builder.checks.lint import sample_context
    from policy_builder.checks.readability import measure
    from policy_builder.checks.watch import load_watch, watch_lines

    library = cli_context(ctx).library()
    report = compute(library)
    readability = measure(library, sample_context(library))
    watched = load_watch(library.root, set(library.nations))
    if as_json:
        watch = [
            {**vars(item), "last_checked": item.last_checked.isoformat(), "stale": item.stale(dt.date.today())}
            for item in watched
        ]
        payload = {**report.as_dict(), "readability": readability.as_dict(), "watch": watch}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        if report.uncovered:
            sys.exit(1)
        return
    for item_id, clause_ids in report.items.items():
        if item_id in report.not_applicable:
            click.echo(f"{item_id}: not applicable: {report.not_applicable[item_id]}")
        else:
            where = {"guide": " (practice guide only)", "both": " (policy and practice guide)"}
            cited = ", ".join(clause_ids) + where.get(report.cited_by.get(item_id, ""), "")
            click.echo(f"{item_id}: {cited if clause_ids else 'UNCOVERED'}")
    covered = sum(1 for clause_ids in report.items.values() if clause_ids)
    click.echo(
        f"\n{report.clause_count} clauses; {covered} of {len(report.items)} items cited, "
        f"{len(report.not_applicable)} not applicable, {len(report.uncovered)} uncovered."
    )
    click.echo(
        f"Readability (Flesch reading ease, higher is easier): median {readability.median_reading_ease:.1f}, "
        f"median grade {readability.median_grade:.1f}. Hardest clauses:"
    )
    for clause in readability.hardest():
        click.echo(f"  {clause.id}: reading ease {clause.reading_ease:.1f}, grade {clause.grade:.1f}")
    if watched:
        click.echo("\nWatch list (guidance and law expected to change):")
        for line in watch_lines(watched, dt.date.today()):
            click.echo(line)
    if report.uncovered:
        sys.exit(1)
