"""Typographer's quotes and dashes for what readers see in Word: “ ” ‘ ’ for straight quotes, – for a spaced hyphen.

Every change swaps one character for one, so text split into runs (bold, links) is smartened as one
string and cut back at the same places: a quote's side is read from the letters around it, whichever
run they are in. The Markdown files keep straight quotes: their text is what the manifest hashes and
`changes` compares, so it stays as the clause library writes it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SPACED_HYPHEN = re.compile(r"(?<= )-(?= )")
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)|(?<=s)'(?=\s|$|[.,;:!?)])")  # don't, Council's; workers' (after s)
# An opening quote follows the start, a space, an opening bracket or a dash; any other is closing.
_OPENING_DOUBLE = re.compile(r'(^|(?<=[\s(\[{\u2013\u2014/]))"')
_OPENING_SINGLE = re.compile(r"(^|(?<=[\s(\[{\u2013\u2014/]))'")


def smarten(text: str) -> str:
    """``text`` with curly quotes, apostrophes and en dashes; the same length as ``text``."""
    if "'" not in text and '"' not in text and " - " not in text:
        return text
    text = _SPACED_HYPHEN.sub("\u2013", text)
    text = _APOSTROPHE.sub("\u2019", text)
    text = _OPENING_DOUBLE.sub("\u201c", text)
    text = text.replace('"', "\u201d")
    text = _OPENING_SINGLE.sub("\u2018", text)
    return text.replace("'", "\u2019")


def smarten_pieces(pieces: Sequence[str]) -> list[str]:
    """Each piece smartened as part of the whole, so a quote's side is read across piece boundaries."""
    whole = smarten("".join(pieces))
    out, start = [], 0
    for piece in pieces:
        out.append(whole[start : start + len(piece)])
        start += len(piece)
    return out
