"""Text from files and answers made safe to show in a terminal.

An organisation name, a clause title or a local clause can hold ESC, OSC or C1 sequences that
would retitle, recolour or clear the terminal, and bidirectional overrides that would reorder what
it shows. Every front end that prints such text (the command's messages, the terminal wizard's
echo of answers) passes it through `printable`, so they cannot differ.
"""

from __future__ import annotations

import functools
import re

# Control characters and bidirectional overrides from a file's contents must not drive the terminal
# or split the one-line message; they are shown as escapes (\x1b, \u202e).
UNPRINTABLE = "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"


@functools.cache
def pattern(characters: str) -> re.Pattern[str]:
    """A character class compiled on first use, not at import: a class reaching past U+00FF takes
    re a millisecond or two to compile, and `policy-builder --help` prints none of these."""
    return re.compile(characters)


def printable(text: str) -> str:
    """One line with every control character shown as its escape: 'A\\x1b[31m' for A, ESC, [31m."""
    return pattern(UNPRINTABLE).sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def printable_lines(text: str) -> str:
    """`printable` for text the terminal shows over several lines: each \\n is kept as a line break."""
    return "\n".join(printable(line) for line in str(text).split("\n"))


def program() -> str:
    """How to run policy-builder again, as a command that works when pasted into this terminal.

    ``policy-builder`` when that name on PATH is the program running now;
    otherwise the full path of the program in use (a virtual environment's
    ``.venv/bin/policy-builder`` is usually not on PATH). Here, not with the wizards, so that a
    build can print the command without importing them.
    """
    import shlex
    import shutil
    import sys
    from pathlib import Path

    running = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if running is None or running.name != "policy-builder":
        # Run as `python -m policy_builder`, or from a test: the script installed beside this Python.
        beside = Path(sys.executable).parent / "policy-builder"
        if beside.is_file():
            running = beside
        else:
            return f"{shlex.quote(sys.executable)} -m policy_builder"
    found = shutil.which("policy-builder")
    if found and Path(found).resolve() == running.resolve():
        return "policy-builder"
    return shlex.quote(str(running.absolute()))


def columns() -> int:
    """The terminal's width in columns, as shutil.get_terminal_size() gives it ($COLUMNS first, else 80).

    Without importing shutil, which loads the zlib, bz2 and lzma libraries: `policy-builder --help`
    would spend longer on that than on anything else of its own.
    """
    import os
    import sys

    try:
        found = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        found = 0
    if found <= 0:
        try:
            found = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]  # None: caught below
        except (AttributeError, ValueError, OSError):
            found = 0
    return found or 80
