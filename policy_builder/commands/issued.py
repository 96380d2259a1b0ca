"""`policy-builder changes`, `check` and `check-docx`: issued policies compared, due for review, and Word files checked.

Imported by `policy_builder.cli` only when one of its commands runs (or its `--help` is asked for).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from policy_builder.cli import cli_context, json_text, library_option, user_errors
from policy_builder.commands import FILE
from policy_builder.core.terminal import printable

if TYPE_CHECKING:
    pass


@click.command()
@click.argument("old", type=FILE)
@click.argument("new", type=FILE)
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
@click.option(
    "--output",
    "output",
    type=FILE,
    help="Also write a summary of changes for approval: .md or .docx.",
)
@click.option(
    "--redline",
    "redline",
    type=FILE,
    help="Also write the new policy with every change from OLD shown as a Word tracked change, for legal "
    "review (a .docx; OLD and NEW must be .docx).",
)
@library_option()
@click.pass_context
@user_errors
def changes(ctx: click.Context, old: Path, new: Path, as_json: bool, output: Path | None, redline: Path | None) -> None:
    """Show what changed between two issued policies (.md, .docx or manifest .json)."""
    from policy_builder.core.errors import PolicyBuilderError, display_path
    from policy_builder.core.output import atomic_write
    from policy_builder.regen.changes import compare, render_markdown, render_terminal
    from policy_builder.regen.manifest import read_manifest

    if output is not None and output.suffix.lower() not in (".md", ".docx"):
        raise PolicyBuilderError(f"--output: {display_path(output)} must end in .md or .docx")
    _refuse_overwriting_inputs({"--output": output, "--redline": redline}, {"OLD": old, "NEW": new})
    # The questionnaire turns changed answers into words for the written summary a board reads.
    questionnaire = cli_context(ctx).library().questionnaire if output is not None else None
    result = compare(read_manifest(old), read_manifest(new), questionnaire)
    built = str(result.old.get("built") or ""), str(result.new.get("built") or "")
    if built[0][:10] > built[1][:10]:  # ISO dates compare as text; the hint only, the comparison stands
        click.echo(
            f"Warning: OLD ({display_path(old)}) was built on {built[0][:10]}, after NEW ({display_path(new)}, "
            f"{built[1][:10]}): check the two files are not the wrong way round",
            err=True,
        )
    if redline is not None:
        from policy_builder.regen.changes import render_redline

        atomic_write(redline, render_redline(result, old, new, redline))
    if output is not None:
        summary = render_markdown(result)
        if output.suffix.lower() == ".md":
            atomic_write(output, summary)
        else:
            from policy_builder.render.docx import render_report_docx

            organisation = str(result.new.get("organisation") or "")
            atomic_write(output, render_report_docx(summary, title="Summary of changes", author=organisation))
    if as_json:
        click.echo(json_text(result.as_dict()))
    else:
        # Titles, names and text come from the files compared: shown, never run by the terminal.
        for line in render_terminal(result).splitlines():
            click.echo(printable(line))
        if output is not None:
            click.echo(f"Summary of changes written to {display_path(output)}")
        if redline is not None:
            click.echo(f"Tracked changes (redline) written to {display_path(redline)}")


def _refuse_overwriting_inputs(outputs: dict[str, Path | None], inputs: dict[str, Path]) -> None:
    """An output that is one of the files compared (or the other output) would replace an issued policy."""
    from policy_builder.core.errors import PolicyBuilderError, display_path
    from policy_builder.core.output import same_file

    named = [(option, path) for option, path in outputs.items() if path is not None]
    for index, (option, path) in enumerate(named):
        for label, source in [*inputs.items(), *named[:index]]:
            if same_file(path, source):
                raise PolicyBuilderError(
                    f"{option}: {display_path(path)} is {label} ({display_path(source)}), which would be written over; "
                    "give a new file name, such as summary-of-changes.docx or redline.docx"
                )


@click.command()
@click.argument("target", type=FILE)
@library_option()
@click.pass_context
@user_errors
def check(ctx: click.Context, target: Path) -> None:
    """Exit 1 if a policy (or profile) is past its review date or built from an older library."""
    from policy_builder.checks.watch import load_watch, watch_lines
    from policy_builder.regen.review import check_target, nation_of

    library = cli_context(ctx).library()
    lines, due = check_target(library, target)
    for line in lines:
        click.echo(printable(line))  # the policy's own titles and names
    # Not part of "due": the watch list says what may change next, so a reviewer knows what to look out for.
    watched = watch_lines(load_watch(library.root, set(library.nations)), dt.date.today(), nation_of(target, library))
    if watched:
        click.echo("Guidance and law on the watch list (expected to change; not yet in the library):")
        for line in watched:
            click.echo(f"  {line}")
    if due:
        sys.exit(1)


@click.command("check-docx")
@click.argument("files", nargs=-1, required=True, type=FILE)
@click.option(
    "--kind",
    type=click.Choice(["policy", "practice-guide", "sources-annex", "staff-summary", "leaflet", "summary-of-changes"]),
    help="What the file is (default: read from its properties).",
)
@user_errors
def check_docx(files: tuple[Path, ...], kind: str | None) -> None:
    """Check Word files are accessible and structured for publishing; exit 1 if not."""
    from policy_builder.checks.docx_check import check_docx as check
    from policy_builder.core.errors import display_path
    from policy_builder.regen.readback import read_word_package

    failed = False
    for path in files:
        # Not trusted: a FIFO, a huge file or a zip bomb is refused before python-docx inflates its parts.
        data = read_word_package(path)
        result = check(data, kind, name=display_path(path))
        if result.problems:
            failed = True
            for problem in result.problems:
                click.echo(f"{display_path(path)}: {problem}")
        else:
            click.echo(f"{display_path(path)}: OK ({result.kind}, {result.checks} checks passed)")
    if failed:
        sys.exit(1)
