"""The sandboxed Jinja2 environment that runs clause text and conditions.

Clause text and `when` expressions are library content, compiled once. Answers
only ever arrive as context values: they are data, never template source.
Every printed value passes through ``finalize``, which escapes it for Markdown,
so an organisation called ``*Acme* {{ x }}`` comes out exactly as typed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment


class ChoiceValue(str):
    """A choice answer: compares as its id, and knows its plain-English label."""

    label: str

    def __new__(cls, value: str, label: str) -> ChoiceValue:
        obj = super().__new__(cls, value)
        obj.label = label
        return obj


class MultiValue(list):
    """A multi-choice answer: a list of ids that also knows their labels."""

    labels: list[str]

    def __init__(self, values: Iterable[str], labels: Iterable[str]) -> None:
        super().__init__(values)
        self.labels = list(labels)


class BlankAnswerError(ValueError):
    """A template printed an answer the employer left blank."""


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def markdown_escape(text: str) -> str:
    """Escape free text so Markdown shows it literally, on one line."""
    text = _CONTROL.sub("", str(text))
    text = re.sub(r"\s*[\r\n]+\s*", " ", text)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # A leading "1. " or "- " or "+ " would start a list.
    text = re.sub(r"^(\d+)([.)])(\s|$)", r"\1\\\2\3", text)
    text = re.sub(r"^([-+])(\s|$)", r"\\\1\2", text)
    return text


def _finalize(value: Any) -> Any:
    if value is None:
        raise BlankAnswerError("prints an answer that was left blank; guard it with {% if ... %} or `or`")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return long_date(value)
    if isinstance(value, str):
        return markdown_escape(value)
    if isinstance(value, (list, tuple)):
        return markdown_escape(human_list([str(v) for v in value]))
    return value


def human_list(values: Iterable[Any], conjunction: str = "and") -> str:
    items = [str(v) for v in values]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def or_list(values: Iterable[Any]) -> str:
    return human_list(values, "or")


def long_date(value: dt.date | None) -> str:
    if value is None:
        raise BlankAnswerError("prints a date that was left blank")
    return f"{value.day} {value:%B %Y}"


def make_environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        finalize=_finalize,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["human_list"] = human_list
    env.filters["or_list"] = or_list
    env.filters["long_date"] = long_date
    return env


ENV = make_environment()


def referenced_names(source: str, *, expression: bool = False) -> set[str]:
    """Dotted names (``messaging.whatsapp``) and bare names a template uses.

    Used by lint to check every name is a known question and to enumerate the
    answers a condition or clause depends on.
    """
    if expression:
        tree = ENV.parse("{{ " + source + " }}")
    else:
        tree = ENV.parse(source)
    names: set[str] = set()
    locally_assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for node in tree.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.ctx == "load":
            names.add(f"{node.node.name}.{node.attr}")
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name not in locally_assigned:
            names.add(node.name)
    return names
