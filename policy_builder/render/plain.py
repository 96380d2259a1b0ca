"""Text as a reader meets it: plain sentences for reading measures, reading ages and dates in words."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any


def plain_sentences(markdown: str) -> str:
    sentences = []
    for block in re.split(r"\n\s*\n", markdown):
        lines = block.splitlines()
        text: list[str] = []
        for line in lines:
            item = re.match(r"\s*(?:[-*+]|\d+[.)])\s+(.*)", line)
            if item:
                text.append("\n" + item.group(1))
            else:
                text.append(" " + line.strip())
        for part in "".join(text).split("\n"):
            part = re.sub(r"[*_`\\]", "", part).strip().rstrip(";,:")
            if part:
                sentences.append(part if part[-1] in ".!?" else part + ".")
    return " ".join(sentences)


def reading_in_words(grade: float) -> str:
    """A Flesch-Kincaid grade as a manager would say it: who can read it easily, and the reading age.

    The grade is a US school year; adding 5 gives a reading age in years (readability.py says so).
    The bands follow common plain-English practice: about 9-11 is what most adults read with ease.
    """
    age = round(grade + 5)
    if age <= 11:
        ease = "easy to read for most adults"
    elif age <= 13:
        ease = "fairly easy to read for most adults"
    elif age <= 16:
        ease = "needs a confident reader"
    else:
        ease = "hard to read for many adults"
    return f"{ease} (a reading age of about {age})"


def words_date(value: Any) -> str:
    """An ISO date (as manifests hold them) in words: 2027-04-01 -> 1 April 2027; anything else as it is."""
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{day.day} {day:%B %Y}"
