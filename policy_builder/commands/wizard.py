"""`policy-builder wizard` and `serve`: the questionnaire in the terminal or the web browser.

Imported by `policy_builder.cli` only when one of its commands runs (or its `--help` is asked for).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from policy_builder.cli import FOLDER, cli_context, library_option, user_errors
from policy_builder.commands import FILE

if TYPE_CHECKING:
    pass


@click.command()
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


@click.command()
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
