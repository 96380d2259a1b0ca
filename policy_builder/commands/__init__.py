"""The `policy-builder` subcommands, a module per family: `policy_builder.cli` names them in its table and
imports one only when it runs, so `policy-builder --help` loads none of them."""

from pathlib import Path

import click

# Shared by every command's options and arguments (as cli.FOLDER): click looks up a translation of a path
# type's name each time one is made.
FILE = click.Path(dir_okay=False, path_type=Path)
FILE_OR_FOLDER = click.Path(path_type=Path)
