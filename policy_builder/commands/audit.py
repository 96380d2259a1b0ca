"""`policy-builder audit`: read an employer's current policy against the library.

Imported by `policy_builder.cli` only when one of its commands runs (or its `--help` is asked for).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from policy_builder.cli import cli_context, json_text, library_option, user_errors
from policy_builder.commands import FILE
from policy_builder.core.terminal import printable

if TYPE_CHECKING:
    from policy_builder.content.library import Library


@click.command()
@click.argument("document", type=FILE)
@click.option(
    "--profile",
    "profile",
    type=FILE,
    help="Judge against this employer's answers (the rules its own policy would hold), not the whole library.",
)
@click.option("--json", "as_json", is_flag=True, help="Print every finding as JSON.")
@click.option(
    "--output",
    "output",
    type=FILE,
    help="Also write the audit report for the employer: .md or .docx.",
)
@click.option(
    "--profile-out",
    type=FILE,
    help="Also write a draft profile of the answers the document settles, each with its passage, "
    "to start the wizard from.",
)
@click.option("--force", is_flag=True, help="Replace the --profile-out file if it exists.")
@library_option()
@click.pass_context
@user_errors
def audit(
    ctx: click.Context,
    document: Path,
    profile: Path | None,
    as_json: bool,
    output: Path | None,
    profile_out: Path | None,
    force: bool,
) -> None:
    """Read an employer's current policy (.docx, .md, .txt or .pdf): what it covers, contradicts and misses."""
    from policy_builder.audit import audit_document
    from policy_builder.audit.report import render_docx, render_markdown, terminal_lines
    from policy_builder.core.errors import PolicyBuilderError, display_path
    from policy_builder.core.output import atomic_write

    if output is not None and output.suffix.lower() not in (".md", ".docx"):
        raise PolicyBuilderError(f"--output: {display_path(output)} must end in .md or .docx")
    if profile_out is not None and profile_out.exists() and not force:  # said before the document is read
        raise PolicyBuilderError(
            f"{display_path(profile_out)} already exists; add --force to replace it, or choose another name"
        )
    library = cli_context(ctx).library()
    result = audit_document(document, library, profile)
    if output is not None:
        if output.suffix.lower() == ".md":
            atomic_write(output, render_markdown(result, library))
        else:
            atomic_write(output, render_docx(result, library))
    if as_json:
        click.echo(json_text(result.as_dict()))
    else:
        # Quotes come from the document audited: shown, never run by the terminal.
        for line in terminal_lines(result, library):
            click.echo(printable(line))
        if output is not None:
            click.echo(f"Audit report written to {display_path(output)}")
    if profile_out is not None:
        _audit_profile_out(library, document, profile_out, force=force, err=as_json)  # JSON keeps stdout to itself


def _audit_profile_out(library: Library, file: Path, profile_out: Path, *, force: bool, err: bool = False) -> None:
    """`audit --profile-out`: infer the answers, write them with their quotes, say what is left to answer."""
    from policy_builder.audit.draft import draft_from_policy, summary_lines, write_draft_profile
    from policy_builder.core.errors import display_path
    from policy_builder.interview.session import program

    draft = draft_from_policy(library, file)
    missing = write_draft_profile(library, draft, profile_out, force=force)
    lines = [printable(line) for line in summary_lines(library, draft)]  # the document's words: never run
    lines.append(f"Draft profile written to {display_path(profile_out)}: check each answer against the quote above it.")
    if missing:
        # Named by their wording, as a manager knows them (issue 17), each on a line of its own.
        lines.append("Still to answer before it builds:")
        lines += [f"  - {library.questionnaire.questions[qid].prompt}" for qid in missing]
    lines.append(f"Check and finish it with: {program()} wizard --profile {display_path(profile_out)}")
    click.echo("", err=err)  # apart from the audit's findings above
    for line in lines:
        click.echo(line, err=err)
