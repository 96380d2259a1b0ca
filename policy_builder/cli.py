"""The `policy-builder` command: a thin shell over the library API.

Only this module and the commands it runs (`policy_builder.commands`) turn errors into exit codes: 2 for
bad input or usage, 1 for `--strict` gap failures and lint problems, 0 otherwise. The commands are named
in a table here and their module imported only when one runs (click's lazy-group pattern), and heavy
modules are imported inside commands, so `policy-builder --help` loads nothing beyond this module.
"""

from __future__ import annotations

import atexit
import functools
import gc
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from policy_builder import __version__
from policy_builder.core.terminal import columns, pattern, printable

# Python's last cycle collections at exit go over every object once more (in a build, one of them after the
# modules are cleared: 8-15 % of its CPU) to free memory the system takes back at exit anyway. Frozen
# objects are left out of them; atexit's own handlers (temporary folders, worker pools) still run.
atexit.register(gc.freeze)

if TYPE_CHECKING:
    from policy_builder.content.library import Library
    from policy_builder.content.models import Questionnaire

# One of each path type, shared by every option and argument: click looks up a translation of a
# type's name (gettext, a search of the locale folders) each time one is made, twenty times a start.
# The group's --library needs only this one; the commands' FILE and FILE_OR_FOLDER are made with them.
FOLDER = click.Path(file_okay=False, path_type=Path)

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


# Every subcommand: its module under policy_builder.commands, the function click made of it, and the first
# line of its docstring, which the group's `--help` lists without importing the module (tests/test_cli.py
# checks each line against the command's own docstring).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "audit": (
        "audit",
        "audit",
        "Read an employer's current policy (.docx, .md, .txt or .pdf): what it covers, contradicts and misses.",
    ),
    "build": (
        "build",
        "build",
        "Build the policy, practice guide and sources annex (Markdown, Word), gap report and manifest for each "
        "PROFILE.",
    ),
    "changes": ("issued", "changes", "Show what changed between two issued policies (.md, .docx or manifest .json)."),
    "check": (
        "issued",
        "check",
        "Exit 1 if a policy (or profile) is past its review date or built from an older library.",
    ),
    "check-docx": (
        "issued",
        "check_docx",
        "Check Word files are accessible and structured for publishing; exit 1 if not.",
    ),
    "claims": (
        "library",
        "claims",
        "Show the register of legal claims: each statement of law, where it is printed, its source and check date.",
    ),
    "coverage": ("library", "coverage", "Show which clauses cite each guidance item, and what is uncovered."),
    "gaps": ("build", "gaps", "List the gap warnings PROFILE's answers raise."),
    "lint": (
        "library",
        "lint",
        "Check the clause library: ids, names, sources, templates, groups, coverage, versions.",
    ),
    "questions": ("library", "questions", "List the questionnaire: every question id, its type and allowed answers."),
    "serve": (
        "wizard",
        "serve",
        "Answer the questionnaire in your web browser, on this computer only, and download the policy.",
    ),
    "wizard": ("wizard", "wizard", "Answer the questionnaire in the terminal, see the gaps, save a profile."),
}


class LazyCommands(OneLineUsageErrors):
    """The group of subcommands in COMMANDS, each imported from policy_builder.commands when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import importlib

            module, attribute, _help = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(f"policy_builder.commands.{module}"), attribute)
            self.add_command(command, cmd_name)  # once a process: the next lookup finds it in self.commands
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of commands, as click writes it, from the table's lines: no command's module imported."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            command = self.commands.get(name) or click.Command(name, help=COMMANDS[name][2])
            rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyCommands, context_settings={"help_option_names": ["-h", "--help"]})
# Click's own words given, so that making the option looks up no translation (gettext searches the locale
# folders at each call): --help shows them, and `--version` prints the message.
@click.version_option(
    __version__,
    "--version",
    prog_name="policy-builder",
    message="%(prog)s, version %(version)s",
    help="Show the version and exit.",
)
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
