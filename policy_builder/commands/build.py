"""`policy-builder build` and `gaps`: build documents from profiles, or list a profile's gaps.

Imported by `policy_builder.cli` only when one of its commands runs (or its `--help` is asked for).
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from policy_builder.cli import FOLDER, cli_context, json_text, library_option, user_errors
from policy_builder.commands import FILE, FILE_OR_FOLDER
from policy_builder.core.terminal import printable

if TYPE_CHECKING:
    from policy_builder.build import BuildResult
    from policy_builder.content.models import GapWarning


@click.command()
@click.argument("profiles", nargs=-1, required=True, type=FILE_OR_FOLDER)
@click.option(
    "--out",
    "out_dir",
    default="out",
    show_default=True,
    type=FOLDER,
    help="Folder for the policy files.",
)
@click.option(
    "--format",
    "formats",
    default="md,docx",
    show_default=True,
    help="Comma-separated: md, docx (the policy, practice guide and sources annex), summary (staff Do/Don't card), leaflet (for people who use services), pdf (each Word file as a tagged PDF too; needs LibreOffice).",
)
@click.option(
    "--page-numbers/--no-page-numbers",
    default=None,
    help="Lay the Word files out with LibreOffice to put page numbers in their contents "
    "(default: when LibreOffice is installed, unless POLICY_BUILDER_PAGE_NUMBERS=0; always with pdf).",
)
@click.option(
    "--reference-docx",
    type=FILE,
    help="Your organisation's Word template (.docx or .dotx): its styles, headers and logo are used.",
)
@click.option("--strict", is_flag=True, help="Exit 1 if any high-severity gap is found.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Profiles to build at once (default: one per core when there are many).",
)
@click.option(
    "--previous",
    type=FILE,
    help="The previous issue (.md, .docx or manifest .json): adds a version history and a summary of changes.",
)
@library_option()
@click.pass_context
@user_errors
def build(
    ctx: click.Context,
    profiles: tuple[Path, ...],
    out_dir: Path,
    formats: str,
    reference_docx: Path | None,
    strict: bool,
    jobs: int | None,
    previous: Path | None,
    page_numbers: bool | None,
) -> None:
    """Build the policy, practice guide and sources annex (Markdown, Word), gap report and manifest for each PROFILE."""
    # No automatic cycle collection while the command runs: Python's passes (one every 700 new objects, and
    # whole-heap ones as the imports grow) went over the imported modules' objects again and again, 40-60 ms
    # of a build's CPU, to find a few hundred objects in cycles. A batch collects after every second build
    # instead (build._release_memory).
    if gc.isenabled():
        gc.disable()
        ctx.call_on_close(_collect_again)
    from policy_builder.build import build_many, parse_formats

    wanted = parse_formats(formats)
    if "pdf" in wanted:
        from policy_builder.render.pdf import LibreOfficeMissing, soffice

        if soffice() is None:  # said once, not once for every profile
            raise LibreOfficeMissing()
    items = build_many(
        cli_context(ctx).library(),
        profiles,
        out_dir,
        wanted,
        jobs=jobs,
        previous=previous,
        reference_docx=reference_docx,
        page_numbers=page_numbers,
    )
    if len(profiles) > 1 and sys.stderr.isatty():
        with click.progressbar(items, length=len(profiles), label="Building", file=sys.stderr) as bar:
            done = list(bar)  # printed after the bar, so its line is not split by what a build prints
        items = iter(done)
    failures = 0
    high = 0
    for index, item in enumerate(items):
        if index:
            click.echo()
        if item.result is None:
            click.echo(printable(f"Error: {item.error}"), err=True)
            failures += 1
            continue
        lines, warnings = _report_lines(item.result)
        for line in lines:
            click.echo(printable(line))  # names, titles and notes from the profile: never terminal codes
        for line in warnings:
            click.echo(printable(line), err=True)
        high += sum(1 for w in item.result.warnings if w.severity == "high")
    if failures:
        if len(profiles) > 1:
            click.echo(f"\n{failures} of {len(profiles)} profiles failed.", err=True)
        sys.exit(2)
    if strict and high:
        click.echo(f"\n--strict: {high} high-severity gap(s).", err=True)
        sys.exit(1)


def _collect_again() -> None:
    """Cycle collection back on when the command ends, for a process that goes on (a test's, say).

    What is alive is counted as old first (frozen, then unfrozen into the oldest generation), or the next pass
    would go over everything the build made. (At exit, the CLI leaves every object out of the last passes.)
    """
    gc.freeze()
    gc.unfreeze()
    gc.enable()


def _report_lines(result: BuildResult) -> tuple[list[str], list[str]]:
    """What building one profile prints: lines for stdout, and warnings for stderr."""
    from policy_builder.core.errors import display_path

    lines: list[str] = []
    warnings: list[str] = []
    say = lines.append
    profile = result.profile
    say(f"Built {display_path(profile)}:")
    for path in result.written:
        say(f"  {display_path(path)}")
    if result.leaflet_level:
        level = result.leaflet_level
        from policy_builder.render.plain import reading_in_words

        say(f"The leaflet is {reading_in_words(level.grade)}.")  # in words: a manager reads this
    answers = result.answers
    if result.policy.draft.is_draft:
        say(printable(result.policy.draft.line()) + ".")
    if result.date_warning:
        warnings.append(result.date_warning)
    warnings.extend(result.notices)  # --previous: a renamed organisation, a version not raised
    if result.leaflet_pages is not None:
        from policy_builder.render.docx.handouts import LEAFLET_MOST_PAGES

        if result.leaflet_pages > LEAFLET_MOST_PAGES:
            warnings.append(
                "Warning: the Word leaflet may not fit on one page on this template (about "
                f"{result.leaflet_pages:.1f} pages): check it in Word, or use a template with narrower margins."
            )
    if answers.defaults_used:
        count = len(answers.defaults_used)
        say(f"Defaults used for {count} question{'s' if count != 1 else ''} left out (listed in the gap report).")
    for qid in answers.not_applicable:
        say(f"Note: {qid} is answered but does not apply to this stance, so it is ignored.")
    for note in answers.notes:
        say(f"Note: {note}.")
    if answers.new_questions:
        import shlex

        from policy_builder.core.terminal import program

        say(
            f"New questions since this profile was written (at their defaults, or still to decide; "
            f"{program()} wizard --profile {shlex.quote(display_path(Path(profile)))} --only-new asks just these): "
            f"{', '.join(answers.new_questions)}"
        )
    for local_note in result.policy.local_notes:
        say(f"Local wording: {local_note.message}.")
        if local_note.upstream_change:
            say(f"  Upstream change: {local_note.upstream_change}")
    lines.extend(_gap_lines(result.warnings, result.policy.short_name))
    return lines, warnings


def _gap_lines(warnings: list[GapWarning], name: str) -> list[str]:
    import textwrap

    from policy_builder.pipeline.gaps import count_by_severity

    name = printable(name)  # the employer's own text, shown in a terminal
    if not warnings:
        return [f"No gaps found for {name}."]
    from policy_builder.pipeline.gaps import split_by_cause

    findings, open_points = split_by_cause(warnings)
    counts = count_by_severity(findings)
    width = 100
    lines = []
    if findings:
        lines.append(f"Gaps for {name}: {counts['high']} high, {counts['medium']} medium, {counts['low']} low")
    else:
        lines.append(f"No gaps found for {name} in the answers given.")
    for warning in findings:
        tag = warning.severity.upper().ljust(7)
        wrapped = textwrap.wrap(warning.message, width - 10) or [""]
        lines.append(f"  {tag} {wrapped[0]}")
        lines.extend(f"          {line}" for line in wrapped[1:])
    if open_points:
        count = len(open_points)
        lines.append(f"Still to decide: {count} point{'s' if count != 1 else ''} turn on questions not answered yet")
        for warning in open_points:
            tag = warning.severity.upper().ljust(7)
            wrapped = textwrap.wrap(_open_point(warning), width - 10) or [""]
            lines.append(f"  {tag} {wrapped[0]}")
            lines.extend(f"          {line}" for line in wrapped[1:])
    return lines


def _open_point(warning: GapWarning) -> str:
    """A gap that stands only because questions are open, put as the questions to answer."""
    asked = " ".join(f"{prompt} ({qid})" for qid, prompt in zip(warning.unanswered, warning.prompts, strict=True))
    return f"Not answered: {asked}"


def _echo_gaps(warnings: list[GapWarning], name: str) -> None:
    for line in _gap_lines(warnings, name):
        click.echo(printable(line))


@click.command()
@click.argument("profile", type=FILE_OR_FOLDER)
@click.option("--json", "as_json", is_flag=True, help="Print the warnings as JSON.")
@library_option()
@click.pass_context
@user_errors
def gaps(ctx: click.Context, profile: Path, as_json: bool) -> None:
    """List the gap warnings PROFILE's answers raise."""
    import textwrap

    from policy_builder.pipeline.gaps import find_gaps
    from policy_builder.pipeline.profile import load_profile

    library = cli_context(ctx).library()
    library.require_sound()
    answers = load_profile(profile, library.questionnaire, library.nations)
    warnings = find_gaps(library, answers)
    if as_json:
        click.echo(json_text([w.as_dict() for w in warnings]))
        return
    _echo_gaps(warnings, answers.values["organisation.short_name"])
    for warning in warnings:
        click.echo(f"\n[{warning.severity}] {warning.id}")
        # Messages can quote answers: shown, never run by the terminal.
        message = printable(warning.message)
        click.echo(textwrap.fill(message, 100, initial_indent="  ", subsequent_indent="  "))
        recommendation = printable("Recommendation: " + warning.recommendation)
        click.echo(textwrap.fill(recommendation, 100, initial_indent="  ", subsequent_indent="  "))
        click.echo(f"  Questions: {', '.join(warning.questions)}")
        click.echo(f"  Guidance: {', '.join(warning.sources)}")
