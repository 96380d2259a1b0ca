"""The `policy-builder` command: a thin shell over the library API.

Only this module turns errors into exit codes: 2 for bad input or usage, 1 for
`--strict` gap failures and lint problems, 0 otherwise. Heavy modules are
imported inside commands so `--help` stays fast.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from policy_builder import __version__
from policy_builder.core.terminal import columns, pattern, printable

if TYPE_CHECKING:
    from policy_builder.build import BuildResult
    from policy_builder.content.library import Library
    from policy_builder.content.models import GapWarning, Questionnaire

# One of each path type, shared by every option and argument: click looks up a translation of a
# type's name (gettext, a search of the locale folders) each time one is made, twenty times a start.
FILE = click.Path(dir_okay=False, path_type=Path)
FOLDER = click.Path(file_okay=False, path_type=Path)
FILE_OR_FOLDER = click.Path(path_type=Path)

P = ParamSpec("P")
R = TypeVar("R")


def user_errors(func: Callable[P, R]) -> Callable[P, R]:
    """PolicyBuilderError -> one line on stderr and exit 2; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from policy_builder.core.errors import PolicyBuilderError

        try:
            return func(*args, **kwargs)
        except PolicyBuilderError as exc:
            click.echo(error_line(exc), err=True)
            sys.exit(2)
        except (OSError, RuntimeError) as exc:
            # A symlink loop met where no reader looked for one (Python 3.11's Path.resolve raises
            # RuntimeError for it, the system ELOOP): still the user's path, so one line and exit 2.
            if not _symlink_loop(exc):
                raise
            click.echo(f"Error: {printable(str(getattr(exc, 'filename', None) or exc))}: a symlink loop", err=True)
            sys.exit(2)

    return wrapper


_UNESCAPED_BY_JSON = "[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"  # compiled when used (terminal.pattern)


def _symlink_loop(exc: BaseException) -> bool:
    import errno

    if isinstance(exc, OSError):
        return exc.errno == errno.ELOOP
    return str(exc).startswith("Symlink loop from ")


def json_text(data: Any) -> str:
    """JSON for the terminal or a pipe: JSON escapes C0 controls itself; C1 and bidirectional controls too."""
    import json

    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    return pattern(_UNESCAPED_BY_JSON).sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def error_line(exc: Exception) -> str:
    return f"Error: {printable(str(exc))}"


class CliContext:
    """What every command shares through click's ``ctx.obj``: where the library is, and the library once loaded.

    A caller that has loaded a library already (a test, a program driving the CLI) passes
    ``obj=CliContext(loaded=...)`` and no command reads it again. A plain class, not a dataclass:
    `--help` then needs no dataclasses module."""

    def __init__(self, library_dir: Path | None = None, loaded: Library | None = None) -> None:
        self.library_dir = library_dir
        self.loaded = loaded

    def library(self) -> Library:
        """The clause library, loaded on first use (from ``library_dir``, else the bundled one)."""
        if self.loaded is None:
            from policy_builder.content.library import load_library

            self.loaded = load_library(self.library_dir)
        return self.loaded

    def questionnaire(self) -> Questionnaire:
        """The questions alone: read without the rest of the library when it is not loaded (`questions` stays fast)."""
        if self.loaded is not None:
            return self.loaded.questionnaire
        from policy_builder.content.library import default_library_dir
        from policy_builder.content.questionnaire import load_questionnaire

        return load_questionnaire((self.library_dir or default_library_dir()) / "questionnaire.yaml")


def cli_context(ctx: click.Context) -> CliContext:
    """The typed ``ctx.obj`` (set up by `main` before any command runs)."""
    obj = ctx.find_object(CliContext)
    if obj is None:  # a command invoked on its own, without the group
        obj = ctx.ensure_object(CliContext)
    return obj


def _usage_line(exc: click.UsageError) -> str:
    """A usage error as one line: 'Error: --jobs: 0 is not in the range x>=1. (see 'policy-builder build --help')'."""
    where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
    param = exc.param if isinstance(exc, click.BadParameter) else None
    if param is None or isinstance(exc, click.MissingParameter):
        return f"Error: {printable(exc.format_message())}{where}"
    if isinstance(param, click.Option):
        name = max(param.opts, key=len)  # the long form, --jobs rather than -j
        source = exc.ctx.get_parameter_source(param.name) if exc.ctx is not None and param.name else None
        if source is click.core.ParameterSource.ENVIRONMENT and isinstance(param.envvar, str):
            name += f" (from {param.envvar})"
    else:
        name = param.human_readable_name
    return f"Error: {name}: {printable(exc.message)}{where}"


class OneLineUsageErrors(click.Group):
    """Usage errors on one line, as every other error (click prints usage, a hint, a blank line and the error).

    Each UsageError raised while parsing the command line or running a command has its `show` replaced
    before click's own handler calls it, so exit status 2 and `--help` stay click's.
    """

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        if kwargs.get("parent") is None and "terminal_width" not in kwargs and click.formatting.FORCED_WIDTH is None:
            # The width click's help would work out (subcommands inherit it), found without importing shutil.
            kwargs["terminal_width"] = max(min(columns(), 80) - 2, 50)
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            raise _shown_on_one_line(exc) from exc.__cause__

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _shown_on_one_line(exc) from exc.__cause__


def _shown_on_one_line(exc: click.UsageError) -> click.UsageError:
    if not isinstance(exc, click.exceptions.NoArgsIsHelpError):  # `policy-builder` alone shows its help
        line = _usage_line(exc)
        exc.show = lambda file=None: click.echo(line, file=file, err=True)  # type: ignore[method-assign]  # click prints a usage error through its show()
    return exc


def library_option(*, group: bool = False) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The one `--library DIR` option, before the command name (`policy-builder --library DIR lint`, or
    POLICY_BUILDER_LIBRARY) or after it (`policy-builder lint --library DIR`), on every command that reads the
    library. Given in both places, the later one (after the command name) wins, as an option given twice does."""
    if group:
        return click.option(
            "--library",
            "library_dir",
            type=FOLDER,
            envvar="POLICY_BUILDER_LIBRARY",
            help="Clause library folder (default: the bundled clauses/); may also follow the command name.",
        )
    return click.option(
        "--library",
        "library_dir",
        type=FOLDER,
        expose_value=False,  # the command reads it through cli_context, as it reads the group's
        callback=_library_after_command,
        help="Clause library folder (default: the bundled clauses/, or the --library before the command name).",
    )


def _library_after_command(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is None:
        return
    obj = cli_context(ctx)
    if value != obj.library_dir:
        obj.loaded = None  # another library named: the one loaded (or handed in) is not it
    obj.library_dir = value


@click.group(cls=OneLineUsageErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="policy-builder")
@library_option(group=True)
@click.pass_context
def main(ctx: click.Context, library_dir: Path | None) -> None:
    """Write a social work employer's social media policy from its answers.

    Start with `policy-builder build profiles/example-council.yaml`.
    """
    given = ctx.obj
    if isinstance(given, CliContext):
        if library_dir is not None:
            given.library_dir = library_dir
    else:
        ctx.obj = CliContext(library_dir)


@main.command()
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


@main.command()
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


@main.command()
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


@main.command()
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


@main.command()
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


@main.command()
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


@main.command()
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


@main.command()
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


@main.command()
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


@main.command()
@click.option(
    "--profile",
    "profile_path",
    type=FILE,
    help="A profile to edit or finish: its answers are offered as the defaults.",
)
@click.option(
    "--save",
    "save_path",
    type=FILE,
    help="Where to save the profile (default: the --profile file, else profiles/<short name>.yaml).",
)
@click.option("--only-new", is_flag=True, help="Ask only the questions the --profile does not answer yet.")
@click.option(
    "--from-policy",
    type=FILE,
    help="Start from your current policy (.docx, .md, .txt or .pdf): the answers it settles are offered, "
    "each with the passage it came from.",
)
@click.option("--build", "build_after", is_flag=True, help="Build the policy as soon as the profile is saved.")
@click.option(
    "--out",
    "out_dir",
    default="out",
    show_default=True,
    type=FOLDER,
    help="Folder for the policy files with --build.",
)
@click.option("--show-ids", is_flag=True, help="For power users: show question and guidance ids beside the words.")
@click.option(
    "--profiles",
    "profiles_dir",
    type=FOLDER,
    help="Folder finished profiles are saved into and drafts kept in (its drafts/ folder), as for serve "
    "(default: the --profile file's folder, else profiles).",
)
@library_option()
@click.pass_context
@user_errors
def wizard(
    ctx: click.Context,
    profile_path: Path | None,
    save_path: Path | None,
    only_new: bool,
    build_after: bool,
    out_dir: Path,
    show_ids: bool,
    profiles_dir: Path | None,
    from_policy: Path | None,
) -> None:
    """Answer the questionnaire in the terminal, see the gaps, save a profile."""
    from policy_builder.interview.terminal import WizardOptions, run_wizard

    if only_new and profile_path is None:
        raise click.UsageError("--only-new needs --profile PATH: the profile whose unanswered questions to ask")
    if from_policy is not None and profile_path is not None:
        raise click.UsageError(
            "--from-policy starts a new profile from your current policy; it cannot be used with --profile "
            "(to keep a draft made from it, open that draft with --profile alone)"
        )
    options = WizardOptions(
        profile=profile_path,
        save=save_path,
        only_new=only_new,
        build=build_after,
        out_dir=out_dir,
        show_ids=show_ids,
        profiles=profiles_dir,
    )
    library = cli_context(ctx).library()
    if from_policy is not None:
        from policy_builder.audit.draft import starting_answers

        # Read before any question is asked: a file that cannot be read is one line, not a half-run wizard.
        options.starting = starting_answers(library, from_policy)
    code = run_wizard(library, options)
    if code:
        sys.exit(code)


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


@main.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="Port on 127.0.0.1 (default 8765, or any free port when that is taken; 0 for any free port).",
)
@click.option("--no-browser", is_flag=True, help="Print the address instead of opening the web browser.")
@click.option(
    "--profiles",
    "profiles_dir",
    default="profiles",
    show_default=True,
    type=FOLDER,
    help="Folder the profiles are listed from and saved into (nothing is written anywhere else).",
)
@library_option()
@click.pass_context
@user_errors
def serve(ctx: click.Context, port: int | None, no_browser: bool, profiles_dir: Path) -> None:
    """Answer the questionnaire in your web browser, on this computer only, and download the policy."""
    from policy_builder.audit.draft import starting_answers
    from policy_builder.web.serve import serve as run_server

    library = cli_context(ctx).library()
    library.require_sound()

    def read_policy(path: Path, name: str) -> Any:  # "Start from our current policy" on the start page
        return starting_answers(library, path, source=name)

    run_server(library, profiles_dir, port=port, open_browser=not no_browser, echo=click.echo, read_policy=read_policy)


@main.command("check-docx")
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
