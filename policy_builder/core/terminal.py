"""Text from files and answers made safe to show in a terminal.

An organisation name, a clause title or a local clause can hold ESC, OSC or C1 sequences that
would retitle, recolour or clear the terminal, and bidirectional overrides that would reorder what
it shows. Every front end that prints such text (the command's messages, the terminal wizard's
echo of answers) passes it through `printable`, so they cannot differ.
"""

from __future__ import annotations

import re

# Control characters and bidirectional overrides from a file's contents must not drive the terminal
# or split the one-line message; they are shown as escapes (\x1b, \u202e).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """One line with every control character shown as its escape: 'A\\x1b[31m' for A, ESC, [31m."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def printable_lines(text: str) -> str:
    """`printable` for text the terminal shows over several lines: each \\n is kept as a line break."""
    return "\n".join(printable(line) for line in str(text).split("\n"))
