"""Word-level differences between two texts, for clause redlines in `changes` and local clauses."""

from __future__ import annotations

import difflib
import re


def split_words(text: str) -> list[str]:
    return re.findall(r"\S+", text)


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """[(op, words)] with op '=', '-' or '+'."""
    a, b = split_words(old), split_words(new)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("=", " ".join(a[i1:i2])))
        if tag in ("delete", "replace"):
            out.append(("-", " ".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            out.append(("+", " ".join(b[j1:j2])))
    return out


def word_diff_markdown(old: str, new: str) -> str:
    """Removed words ~~struck through~~, added words **in bold**."""
    parts = []
    for op, words in word_diff(old, new):
        if op == "=":
            parts.append(words)
        elif op == "-":
            parts.append(f"~~{words}~~")
        else:
            parts.append(f"**{words}**")
    return " ".join(parts)


def word_diff_terminal(old: str, new: str, context: int = 8) -> str:
    """[-removed-]{+added+}, with long unchanged runs shortened."""
    parts = []
    for op, words in word_diff(old, new):
        if op == "=":
            ws = words.split()
            if len(ws) > 2 * context:
                words = " ".join(ws[:context]) + " … " + " ".join(ws[-context:])
            parts.append(words)
        elif op == "-":
            parts.append(f"[-{words}-]")
        else:
            parts.append(f"{{+{words}+}}")
    return " ".join(parts)
