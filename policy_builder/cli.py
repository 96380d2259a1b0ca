"""The `policy-builder` command: a thin shell over the library API.

Only this module turns errors into exit codes: 2 for bad input or usage, 1 for
`--strict` gap failures and lint problems, 0 otherwise. Heavy modules are
imported inside commands so `--help` stays fast.
"""

from __future__ import annotations

import functools
import json
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import __version__

if TYPE_CHECKING:
    from .library import Library
    from .models import GapWarning

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(func: F) -> F:
    """PolicyBuilderError -> one line on stderr and exit 2; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .errors import PolicyBuilderError

        try:
            return func(*args, **kwargs)
        except PolicyBuilderError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def _library(ctx: click.Context) -> Library:
    from .library import load_library

    obj = ctx.ensure_object(dict)
    if "library" not in obj:
        obj["library"] = load_library(obj.get("library_dir"))
    return obj["library"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="policy-builder")
@click.option(
    "--library",
    "library_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="POLICY_BUILDER_LIBRARY",
    help="Clause library folder (default: the bundled clauses/).",
)
@click.pass_context
def main(ctx: click.Context, library_dir: Path | None) -> None:
    """Write a social work employer's social media policy from its answers.

    Start with `policy-builder build profiles/example-council.yaml`.
    """
    ctx.ensure_object(dict)["library_dir"] = library_dir


@main.command()
@click.argument("profiles", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    default="out",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the policy files.",
)
@click.option("--format", "formats", default="md,docx", show_default=True, help="Comma-separated formats: md, docx.")
@click.option("--strict", is_flag=True, help="Exit 1 if any high-severity gap is found.")
@click.pass_context
@user_errors
def build(ctx: click.Context, profiles: tuple[Path, ...], out_dir: Path, formats: str, strict: bool) -> None:
    """Build the policy (Markdown, Word) and gap report for each PROFILE."""
    from .build import build_profile, parse_formats
    from .errors import PolicyBuilderError, display_path

    wanted = parse_formats(formats)
    library = _library(ctx)
    failures = 0
    high = 0
    for index, profile in enumerate(profiles):
        if index:
            click.echo()
        try:
            result = build_profile(library, profile, out_dir, wanted)
        except PolicyBuilderError as exc:
            click.echo(f"Error: {exc}", err=True)
            failures += 1
            continue
        click.echo(f"Built {display_path(profile)}:")
        for path in result.written:
            click.echo(f"  {display_path(path)}")
        answers = result.answers
        if answers.defaults_used:
            click.echo(
                f"Defaults used for {len(answers.defaults_used)} unanswered questions (listed in the gap report)."
            )
        for qid in answers.not_applicable:
            click.echo(f"Note: {qid} is answered but does not apply to this stance, so it is ignored.")
        _echo_gaps(result.warnings, result.policy.short_name)
        high += sum(1 for w in result.warnings if w.severity == "high")
    if failures:
        click.echo(f"\n{failures} of {len(profiles)} profiles failed.", err=True)
        sys.exit(2)
    if strict and high:
        click.echo(f"\n--strict: {high} high-severity gap(s).", err=True)
        sys.exit(1)


def _echo_gaps(warnings: list[GapWarning], name: str) -> None:
    from .gaps import count_by_severity

    if not warnings:
        click.echo(f"No gaps found for {name}.")
        return
    counts = count_by_severity(warnings)
    click.echo(f"Gaps for {name}: {counts['high']} high, {counts['medium']} medium, {counts['low']} low")
    width = 100
    for warning in warnings:
        tag = warning.severity.upper().ljust(7)
        lines = textwrap.wrap(warning.message, width - 10) or [""]
        click.echo(f"  {tag} {lines[0]}")
        for line in lines[1:]:
            click.echo(f"          {line}")


@main.command()
@click.argument("profile", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the warnings as JSON.")
@click.pass_context
@user_errors
def gaps(ctx: click.Context, profile: Path, as_json: bool) -> None:
    """List the gap warnings PROFILE's answers raise."""
    from .gaps import find_gaps
    from .profile import load_profile

    library = _library(ctx)
    answers = load_profile(profile, library.questionnaire, library.nations)
    warnings = find_gaps(library, answers)
    if as_json:
        click.echo(json.dumps([w.as_dict() for w in warnings], indent=2, ensure_ascii=False))
        return
    _echo_gaps(warnings, answers.values["organisation.short_name"])
    for warning in warnings:
        click.echo(f"\n[{warning.severity}] {warning.id}")
        click.echo(textwrap.fill(warning.message, 100, initial_indent="  ", subsequent_indent="  "))
        click.echo(
            textwrap.fill("Recommendation: " + warning.recommendation, 100, initial_indent="  ", subsequent_indent="  ")
        )
        click.echo(f"  Questions: {', '.join(warning.questions)}")
        click.echo(f"  Guidance: {', '.join(warning.sources)}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the questionnaire as JSON.")
@click.pass_context
@user_errors
def questions(ctx: click.Context, as_json: bool) -> None:
    """List the questionnaire: every question id, its type and allowed answers."""
    from .library import default_library_dir
    from .questionnaire import describe_allowed, load_questionnaire

    library_dir = ctx.ensure_object(dict).get("library_dir") or default_library_dir()
    questionnaire = load_questionnaire(Path(library_dir) / "questionnaire.yaml")
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


@main.command()
@click.pass_context
@user_errors
def lint(ctx: click.Context) -> None:
    """Check the clause library: ids, names, sources, templates, groups, coverage."""
    from .lint import lint_library

    library = _library(ctx)
    problems = lint_library(library)
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        sys.exit(1)
    click.echo(
        f"Library OK: {len(library.clauses)} clauses in {len(library.sections)} sections, "
        f"{len(library.gap_rules)} gap rules, {len(library.questionnaire.questions)} questions."
    )


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the coverage as JSON.")
@click.pass_context
@user_errors
def coverage(ctx: click.Context, as_json: bool) -> None:
    """Show which clauses cite each guidance item, and what is uncovered."""
    from .coverage import coverage as compute
    from .readability import measure

    library = _library(ctx)
    report = compute(library)
    readability = measure(library)
    if as_json:
        click.echo(json.dumps({**report.as_dict(), "readability": readability.as_dict()}, indent=2, ensure_ascii=False))
        if report.uncovered:
            sys.exit(1)
        return
    for item_id, clause_ids in report.items.items():
        if item_id in report.not_applicable:
            click.echo(f"{item_id}: not applicable: {report.not_applicable[item_id]}")
        else:
            click.echo(f"{item_id}: {', '.join(clause_ids) if clause_ids else 'UNCOVERED'}")
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
    if report.uncovered:
        sys.exit(1)
