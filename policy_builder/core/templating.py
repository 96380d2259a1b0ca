"""The sandboxed Jinja2 environment that runs clause text and conditions.

Clause text and `when` expressions are library content, compiled once. Answers
only ever arrive as context values: they are data, never template source.
Every printed value passes through ``finalize``, which escapes it for Markdown,
so an organisation called ``*Acme* {{ x }}`` comes out exactly as typed.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import re
import threading
import time
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import CodeType
from typing import Any, Literal

from jinja2 import FileSystemBytecodeCache, StrictUndefined, Template, TemplateRuntimeError, TemplateSyntaxError, nodes
from jinja2.bccache import Bucket
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from policy_builder.core import signed_cache


class ChoiceValue(str):
    """A choice answer: compares as its id, and knows its plain-English label."""

    label: str

    def __new__(cls, value: str, label: str) -> ChoiceValue:
        obj = super().__new__(cls, value)
        obj.label = label
        return obj


class MultiValue(list[str]):
    """A multi-choice answer: a list of ids that also knows their labels."""

    labels: list[str]

    def __init__(self, values: Iterable[str], labels: Iterable[str]) -> None:
        super().__init__(values)
        self.labels = list(labels)


class BlankAnswerError(ValueError):
    """A template printed an answer the employer left blank."""


# What library template code can raise beyond Jinja's own errors (`1 / 0`, `'a' + 1`, the
# sandbox's range limit), reported as template errors naming the clause, never as a traceback.
RUNTIME_ERRORS = (ArithmeticError, TypeError, ValueError, LookupError, AttributeError, RecursionError)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&])")  # & too: "&amp;" typed must not become "&"
# Characters neither Word's XML nor a readable Markdown file can hold: left out, and the build says so.
# C1 controls too (U+0080-U+009F but NEL, a line break): U+009B is a terminal's CSI for anyone who
# `cat`s the Markdown. VT and FF are line breaks, folded with the others below.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def unshowable_note(texts: Mapping[str, Any]) -> str | None:
    """A note naming the answers that lost characters a document cannot hold, or None."""
    lost: set[str] = set()
    where = []
    for qid, value in texts.items():
        found = _CONTROL.findall(value) if isinstance(value, str) else []
        if found:
            lost.update(found)
            where.append(qid)
    if not where:
        return None
    codes = ", ".join(f"U+{ord(c):04X}" for c in sorted(lost))
    return f"characters that documents cannot hold ({codes}) were left out of {', '.join(where)}"


# The line breaks of Python's str.splitlines() that are text, not separators left out (VT, FF, NEL, U+2028,
# U+2029 besides CR and LF): the rendering splits lines on them, so one left in an answer would end a table
# row or a heading. FS, GS and RS (also "line breaks" to Python) are left out with the other controls.
_LINE_BREAKS = re.compile("\\s*[\r\n\x0b\x0c\x85\u2028\u2029]+\\s*")
_NUMBERED = re.compile(r"^(\s*\d+)([.)])(\s|$)")
_MARKER = re.compile(r"^(\s*)([-+=])")
# Text that markdown_escape would return unchanged (most answers: names, teams, systems), checked in
# one match: it starts with none of space, digit, - + =, and holds no special, control or line-break
# character. A build escapes well over a thousand values; this skips the five substitutions for most.
_PLAIN = re.compile(
    r"[^\s\d\-+=\\`*_\[\]<>|#~&\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]"
    r"[^\\`*_\[\]<>|#~&\r\n\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]*"
)


_TEXT_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")


def without_controls(text: str) -> str:
    """Multi-line text (an employer's own Markdown) with its line breaks as \\n (U+2029, a paragraph
    separator, as a blank line) and no other control.

    C0 controls but tab and newline, and C1 controls, are left out as they are from answers: ESC or
    U+009B would drive the terminal of anyone who `cat`s the Markdown, and NUL makes it "binary".
    """
    breaks = _TEXT_BREAKS.sub(lambda m: "\n\n" if m.group() == "\u2029" else "\n", str(text))
    return _CONTROL.sub("", breaks)


def markdown_escape(text: str) -> str:
    """Escape free text so Markdown shows it literally, on one line."""
    text = str(text)
    if _PLAIN.fullmatch(text):
        return text
    text = _LINE_BREAKS.sub(" ", text)  # before the controls go: VT and FF fold to a space, as a newline does
    text = _CONTROL.sub("", text)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # At the start (after any spaces) "1. " would start a numbered list, and "-", "+" or "=" a list,
    # a rule or, after a line of text, a setext heading underline.
    text = _NUMBERED.sub(r"\1\\\2\3", text)
    return _MARKER.sub(r"\1\\\2", text)


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


# A team or role named in an answer ("Communications Team", "RIPA Coordinating Officer") reads as
# "the Communications Team" in running text; a person's name, a mailbox or a name that already has
# its article is printed as given. Only these last words mark a team or role.
_ROLE_NOUNS = frozenset(
    "team officer service unit manager department desk hub office lead coordinator board group panel "
    "partnership directorate section adviser advisor advisers controller line centre".split()
)


def mentions(value: Any, number: str) -> bool:
    """Whether an answer names a number on its own: '999' is in 'or call 999', not in '028 9504 9999'."""
    return value is not None and re.search(rf"(?<!\d){re.escape(number)}(?!\d)", str(value)) is not None


def with_article(value: Any, start: bool = False) -> str:
    """'Communications Team' -> 'the Communications Team' (or 'The ...' at the start of a sentence)."""
    if value is None:
        raise BlankAnswerError("prints an answer that was left blank; guard it with {% if ... %} or `or`")
    text = str(value).strip()
    head = re.sub(r"\s*\(.*$", "", text)  # "Legal Services (legal@x.gov.uk)" -> "Legal Services"
    words = head.split()
    if words and words[0].lower() in ("the", "a", "an", "our", "your"):
        text = (words[0][0].upper() if start else words[0][0].lower()) + text[1:]
    elif "@" not in head and words and words[0][:1].isupper() and words[-1].lower().strip(".,") in _ROLE_NOUNS:
        text = ("The " if start else "the ") + text
    elif start and text[:1].islower() and "@" not in head:
        text = text[0].upper() + text[1:]
    return text


# A wrapped line must not start with something Markdown reads as a new block: a list marker, a
# heading, a quote, a table row or a setext underline.
_BLOCK_START = re.compile(r"^(?:[-+*#>|=]|\d+[.)])")
_LIST_ITEM = re.compile(r"^(?:[-+*]|\d+[.)]) ")


def _wrap_words(words: list[str], width: int, first: str, rest: str) -> list[str]:
    lines: list[str] = []
    line, fresh = first, True
    for word in words:
        if fresh:
            line, fresh = line + word, False
        elif len(line) + 1 + len(word) <= width or _BLOCK_START.match(word):
            line += " " + word  # a risky word stays on this line rather than open a block
        else:
            lines.append(line)
            line = rest + word
    lines.append(line)
    return lines


def reflow_markdown(text: str, width: int = 72) -> str:
    """Rewrap paragraphs and list items that templates left ragged; other blocks are kept as they are."""
    out: list[str] = []
    for block in re.split(r"\n[ \t]*\n", text.strip("\n")):
        lines = block.split("\n")
        if any(line.lstrip().startswith(("#", "|", ">", "```")) or line.startswith("    ") for line in lines):
            out.append(block)
        elif _LIST_ITEM.match(lines[0]):
            items: list[list[str]] = []
            for line in lines:
                if _LIST_ITEM.match(line):
                    items.append([line])
                else:
                    items[-1].append(line.strip())
            wrapped = []
            for item in items:
                marker, _, first_text = item[0].partition(" ")
                words = " ".join([first_text, *item[1:]]).split()
                wrapped += _wrap_words(words, width, marker + " ", " " * (len(marker) + 1))
            out.append("\n".join(wrapped))
        else:
            out.append("\n".join(_wrap_words(block.split(), width, "", "")))
    return "\n\n".join(out)


# --- limits on what library template code may do ----------------------------------------
#
# Clause text and conditions come from a library that may be hand-edited or handed over (--library).
# The sandbox stops them reaching Python's internals and caps range() at 100,000; these limits stop
# them exhausting memory or time: no single operation may make a text or list longer than MAX_SIZE
# or a number wider than MAX_BITS, and no render may run longer than RENDER_SECONDS (loops nested
# inside loops are the only way to be slow without a big operation).

MAX_SIZE = 1_000_000  # characters or items one operation may make (a whole policy is ~120,000 characters)
MAX_BITS = 4096  # bits in a whole number (about 1,200 digits)
RENDER_SECONDS = 10.0  # one render (a clause, a condition, an intro); normal ones take milliseconds
_PADDING_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "format", "format_map", "replace"})
_BIG_WIDTH = re.compile(r"\d{7,}")  # a width or precision of a million or more in a format string


class TemplateLimitError(SecurityError):
    """Library template code asked for more than the limits allow (reported as a template error)."""


def _size(value: Any) -> int | None:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else None


def _bits(value: Any) -> int:
    return abs(value).bit_length() if isinstance(value, int) else 0


def _check_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "*":
        for sequence, count in ((left, right), (right, left)):
            size = _size(sequence)
            if size is not None and isinstance(count, int) and size * count > MAX_SIZE:
                raise TemplateLimitError(
                    f"'* {count}' would make {size * count:,} characters or items; the most allowed is {MAX_SIZE:,}"
                )
        if _bits(left) + _bits(right) > MAX_BITS:
            raise TemplateLimitError(f"a number wider than {MAX_BITS} bits")
    elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
        if max(_bits(left), 1) * right > MAX_BITS and abs(left) > 1:
            raise TemplateLimitError(f"'** {right}' would make a number wider than {MAX_BITS} bits")
    elif operator == "%" and isinstance(left, str) and _BIG_WIDTH.search(left):
        raise TemplateLimitError(f"a format width of a million or more characters; the most allowed is {MAX_SIZE:,}")


def _check_call(method: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], filter_name: str = "") -> None:
    """Padding and replacing on a text: the size asked for, checked before Python makes it."""
    owner = getattr(method, "__self__", None)
    name = getattr(method, "__name__", "")
    shown = filter_name or name
    if not isinstance(owner, str) or name not in _PADDING_METHODS:
        return
    values = [*args, *kwargs.values()]
    if any(isinstance(v, int) and v > MAX_SIZE for v in values) or (
        name.startswith("format") and _BIG_WIDTH.search(owner)
    ):
        raise TemplateLimitError(f"'{shown}' asked for more than {MAX_SIZE:,} characters")
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        grows = owner.count(args[0]) * max(len(args[1]) - len(args[0]), 0) if args[0] else len(owner) * len(args[1])
        if len(owner) + grows > MAX_SIZE:
            raise TemplateLimitError(f"'{shown}' would make more than {MAX_SIZE:,} characters")


def _limited_filter(name: str, original: Any) -> Any:
    """A built-in filter (center, indent, format, replace ...) with the same limits as the text methods."""
    passes = getattr(original, "jinja_pass_arg", None)  # pass_environment / pass_eval_context: one more argument

    def limited(*all_args: Any, **kwargs: Any) -> Any:
        value, *args = all_args[1:] if passes is not None else all_args
        text = str(value)
        _check_call(text.replace if name == "replace" else text.center, tuple(args), kwargs, name)
        if name == "format" and _BIG_WIDTH.search(text):
            raise TemplateLimitError(f"'format' asked for more than {MAX_SIZE:,} characters")
        result = original(*all_args, **kwargs)
        size = _size(result)
        if size is not None and size > MAX_SIZE:
            raise TemplateLimitError(f"'{name}' made more than {MAX_SIZE:,} characters")
        return result

    if passes is not None:
        limited.jinja_pass_arg = passes  # type: ignore[attr-defined]  # how Jinja marks what a filter is passed
    return limited


class RenderTimeout(TemplateRuntimeError):
    """Raised inside a render that ran past RENDER_SECONDS (by the watchdog, in the rendering thread)."""

    def __str__(self) -> str:
        return f"took longer than {RENDER_SECONDS:g} seconds to render (a loop inside a loop?)"


class _Watchdog:
    """One daemon thread that interrupts renders past their deadline, in whichever thread they run.

    Python cannot stop another thread, but it can make it raise at its next bytecode
    (PyThreadState_SetAsyncExc). Jinja's loops are Python bytecode, so a runaway loop stops within
    a few milliseconds of its deadline; a single huge operation is stopped before it starts by the
    size limits above. Only the outermost render in a thread has a deadline (a template rendered
    inside another shares its budget). A build renders thousands of conditions, so the watch costs
    one lock round trip each (about 10 microseconds), and the thread is woken only from idle.
    """

    def __init__(self) -> None:
        self.reset()
        # A forked build worker (build --jobs) has no watchdog thread, and maybe a lock held by it.
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self.lock = threading.Lock()
        self.wake = threading.Condition(self.lock)
        self.deadlines: dict[int, float] = {}  # thread id -> monotonic deadline
        self.fired: set[int] = set()
        self.local = threading.local()
        self.thread: threading.Thread | None = None
        self.idle = False

    def start(self) -> bool:
        """Watch this thread's render; False if an outer render already is."""
        if getattr(self.local, "watched", False):
            return False
        self.local.watched = True
        ident = threading.get_ident()
        with self.lock:
            # Still marked fired only if the timeout was raised inside stop() (so it has been delivered).
            self.fired.discard(ident)
            self.deadlines[ident] = time.monotonic() + RENDER_SECONDS
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="policy-builder render watchdog", daemon=True)
                self.thread.start()
            elif self.idle:
                self.wake.notify()
        return True

    def stop(self) -> None:
        self.local.watched = False
        ident = threading.get_ident()
        with self.lock:
            self.deadlines.pop(ident, None)
            if ident in self.fired:  # fired as the render finished: clear it so it is never raised later
                self.fired.discard(ident)
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), None)

    def _run(self) -> None:
        with self.lock:
            while True:
                if not self.deadlines:
                    self.idle = True
                    self.wake.wait()
                    self.idle = False
                    continue
                now = time.monotonic()
                for ident, deadline in self.deadlines.items():
                    if now >= deadline and ident not in self.fired:
                        self.fired.add(ident)
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(
                            ctypes.c_ulong(ident), ctypes.py_object(RenderTimeout)
                        )
                waiting = [d for i, d in self.deadlines.items() if i not in self.fired]
                self.wake.wait(timeout=max(0.01, min(waiting) - now) if waiting else 0.05)


_WATCHDOG = _Watchdog()


class _BudgetedTemplate(Template):
    """A template whose every render is watched by the time budget."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        if not _WATCHDOG.start():
            return super().render(*args, **kwargs)
        try:
            return super().render(*args, **kwargs)
        finally:
            _WATCHDOG.stop()


class LimitedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, with sizes checked on *, **, % and text padding, and a time budget per render."""

    intercepted_binops = frozenset({"*", "**", "%"})
    template_class = _BudgetedTemplate

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Any:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None

        def checked(*args: Any, **kwargs: Any) -> str:
            _check_call(value, args, kwargs)  # the width in '{:>999999999}' is checked before it is made
            return wrapped(*args, **kwargs)

        return checked

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's signature
        _check_call(__obj, args, kwargs)
        for value in (*args, *kwargs.values()):
            size = _size(value)
            if size is not None and size > MAX_SIZE:  # a macro calling itself, doubling its text each time
                raise TemplateLimitError(
                    f"a call was passed {size:,} characters or items; the most allowed is {MAX_SIZE:,}"
                )
        result = super().call(__context, __obj, *args, **kwargs)
        size = _size(result)
        if size is not None and size > MAX_SIZE:  # a macro calling itself, doubling its text each time
            raise TemplateLimitError(f"a call made {size:,} characters or items; the most allowed is {MAX_SIZE:,}")
        return result


def make_environment() -> ImmutableSandboxedEnvironment:
    env = LimitedSandbox(
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
    env.filters["the"] = with_article
    env.filters["mentions"] = mentions
    for name in ("center", "indent", "format", "replace", "truncate", "wordwrap"):
        env.filters[name] = _limited_filter(name, env.filters[name])
    return env


ENV = make_environment()


CONTEXT_NAMES = ("nation", "today", "review_date", "draft")  # beside the question namespaces (build_context)


def names_with_lines(source: str, *, expression: bool = False) -> dict[str, int]:
    """Like referenced_names, with the template line (from 1) each name is first used on.

    Parsing every clause at start-up is slow, so results are kept between runs
    in the same cache folder as the compiled templates, keyed by the source.
    """
    import hashlib

    key = hashlib.sha1(("expr:" if expression else "tmpl:").encode() + source.encode("utf-8")).hexdigest()
    memo = _names_memo()
    found = memo.get(key)
    if found is None:
        found = memo[key] = _parse_names(source, expression=expression)
        _names_dirty.append(key)
    return dict(found)


_names: dict[str, dict[str, int]] | None = None
_names_dirty: list[str] = []


def _names_file() -> Path | None:
    folder = cache_folder()
    return folder / "names.json" if folder is not None else None


def _names_memo() -> dict[str, dict[str, int]]:
    global _names
    if _names is None:
        _names = {}
        path = _names_file()
        raw = signed_cache.load(path.parent, path) if path is not None else None
        if raw is not None:
            import json

            try:
                loaded = json.loads(raw)
                if isinstance(loaded, dict):
                    _names = loaded
            except ValueError:
                pass
        import atexit

        atexit.register(_save_names)
    return _names


def _save_names() -> None:
    path = _names_file()
    if not _names_dirty or path is None or _names is None:
        return
    import json

    signed_cache.store(path.parent, path, json.dumps(_names).encode("utf-8"))


def _parse_names(source: str, *, expression: bool) -> dict[str, int]:
    tree = ENV.parse("{{ " + source + " }}") if expression else ENV.parse(source)
    local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    found: dict[str, int] = {}
    for attribute in tree.find_all(nodes.Getattr):
        owner = attribute.node
        if isinstance(owner, nodes.Name) and owner.ctx == "load" and owner.name not in local:
            found.setdefault(f"{owner.name}.{attribute.attr}", attribute.lineno)
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and name.name not in local:
            found.setdefault(name.name, name.lineno)
    return dict(sorted(found.items(), key=lambda item: item[1]))


def unknown_name(
    names: dict[str, int], questions: Collection[str], nation_facts: Collection[str] | None = None
) -> tuple[int, str] | None:
    """(template line, message) for the first name clause text or a condition cannot see, else None."""
    import difflib

    namespaces = {qid.split(".")[0] for qid in questions}
    for name, line in names.items():
        head, _, attr = name.partition(".")
        candidates: list[str] = []
        if not attr and head not in namespaces and head not in CONTEXT_NAMES and head not in ENV.globals:
            candidates = sorted(namespaces | set(CONTEXT_NAMES))
        elif attr and head in namespaces and name not in questions:
            candidates = sorted(questions)
        elif attr and head == "nation" and nation_facts is not None and attr not in nation_facts:
            candidates = sorted(f"nation.{fact}" for fact in nation_facts)
        else:
            continue
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return line, (
            f"unknown name '{name}'{hint}; clause text and conditions can use question ids"
            " (see questionnaire.yaml), nation.<fact> (see nations.yaml), today and review_date"
        )
    return None


def referenced_names(source: str, *, expression: bool = False) -> set[str]:
    """Dotted names (``messaging.whatsapp``) and bare names a template uses.

    Used by lint to check every name is a known question and to enumerate the
    answers a condition or clause depends on.
    """
    import hashlib

    # Kept between runs with names_with_lines' (names.json): lint asks this of every text on every run.
    key = hashlib.sha1(("refs-expr:" if expression else "refs-tmpl:").encode() + source.encode("utf-8")).hexdigest()
    memo = _names_memo()
    found = memo.get(key)
    if found is None:
        found = memo[key] = dict.fromkeys(sorted(_parse_referenced(source, expression=expression)), 0)
        _names_dirty.append(key)
    return set(found)


def _parse_referenced(source: str, *, expression: bool) -> set[str]:
    if expression:
        tree = ENV.parse("{{ " + source + " }}")
    else:
        tree = ENV.parse(source)
    names: set[str] = set()
    locally_assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for attribute in tree.find_all(nodes.Getattr):
        if isinstance(attribute.node, nodes.Name) and attribute.node.ctx == "load":
            names.add(f"{attribute.node.name}.{attribute.attr}")
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and name.name not in locally_assigned:
            names.add(name.name)
    return names


# --- compiling once, and across runs -----------------------------------------------------
#
# Compiling the library's ~350 templates and ~200 conditions is most of a
# build's start-up. Jinja's bytecode cache keeps the compiled code between
# runs, keyed by name and checked against the source, so an edited clause is
# simply recompiled. No cache folder (read-only home, say) just means no cache.
#
# The cache folder is $POLICY_BUILDER_CACHE, else ~/.cache/policy-builder; everything is kept
# inside it: jinja/ (compiled templates, one file each, and each library's in one file), names.json
# (names each text uses), library/ (snapshots: data only, never code), key (the per-user signing key).
# Every file in it is signed and checked (signed_cache).

CACHE_ENV = "POLICY_BUILDER_CACHE"
_conditions: dict[str, Template] = {}
_cache: FileSystemBytecodeCache | None | Literal[False] = False  # False: not looked up yet
_folder: Path | None | Literal[False] = False  # False: not looked up yet
# Compiled code by (template name, source), for this process: filled as templates are compiled,
# or all at once from a library's bundle (load_bundle), so a template is compiled at most once.
_code: dict[tuple[str, str], CodeType] = {}
_recording: list[set[tuple[str, str]]] = []


class _SignedBytecodeCache(FileSystemBytecodeCache):
    """Jinja's bytecode cache, with every file signed (see signed_cache) and only this user's own read.

    Compiled templates are Python code objects: a rewritten file would run on the next build, even
    with the source checksum Jinja records left as it was. An unsigned or altered file is ignored and
    the template compiled afresh. Writing cannot fail a build: a full disk only means nothing is kept.

    Measured 2026-12-02 (CPU time of `build profiles/example-council.yaml --format md,docx`, medians
    of 7 interleaved runs on a loaded 2-core machine): with the library snapshot warm, 1.13 s with
    this cache and 1.27 s without (the output templates); after a library edit, when the snapshot
    is rebuilt, 1.32 s with it and 2.13 s without (the ~350 clause templates). Worth keeping, signed.
    """

    def __init__(self, root: Path) -> None:
        super().__init__(str(root / "jinja"))
        self.root = root

    def load_bytecode(self, bucket: Bucket) -> None:
        data = signed_cache.load(self.root, Path(self._get_cache_filename(bucket)))
        if data is not None:
            bucket.bytecode_from_string(data)  # Jinja still checks its magic and the source checksum

    def dump_bytecode(self, bucket: Bucket) -> None:
        signed_cache.store(self.root, Path(self._get_cache_filename(bucket)), bucket.bytecode_to_string())


def cache_folder() -> Path | None:
    """The folder kept between runs ($POLICY_BUILDER_CACHE or ~/.cache/policy-builder), None if unwritable."""
    global _folder
    if _folder is False:
        import os

        folder = Path(
            os.environ.get(CACHE_ENV)
            or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "policy-builder"
        )
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            (folder / "jinja").mkdir(mode=0o700, exist_ok=True)
            writable = os.access(folder / "jinja", os.W_OK)
        except OSError:
            writable = False
        # Code is read back from here: only a folder of this user's that no one else can write, with a key.
        trusted = writable and all(signed_cache.safe_folder(f) for f in (folder, folder / "jinja"))
        _folder = folder if trusted and signed_cache.signing_key(folder) is not None else None
    return _folder or None


def bytecode_cache() -> FileSystemBytecodeCache | None:
    """Jinja's bytecode cache in <cache folder>/jinja, shared by clause text and the output templates."""
    global _cache
    if _cache is False:
        folder = cache_folder()
        _cache = _SignedBytecodeCache(folder) if folder is not None else None
    return _cache or None


def compile_template(source: str, name: str = "clause") -> Template:
    """ENV.from_string, with the compiled code cached between runs. Raises TemplateSyntaxError."""
    code = _code.get((name, source))
    if code is None:
        cache = bytecode_cache()
        bucket = cache.get_bucket(ENV, name, None, source) if cache is not None else None
        code = bucket.code if bucket is not None else None
        if code is None:
            code = ENV.compile(source, name)
            if cache is not None and bucket is not None:
                bucket.code = code
                cache.set_bucket(bucket)
        _code[(name, source)] = code
    for used in _recording:
        used.add((name, source))
    # A plain dict of the globals, not the ChainMap make_globals gives: each render copies them, and copying
    # a ChainMap is most of the cost of rendering a condition. ENV.globals never changes after start-up.
    return ENV.template_class.from_code(ENV, code, dict(ENV.make_globals(None)))


@contextmanager
def recording() -> Iterator[set[tuple[str, str]]]:
    """Collect the (name, source) of every template compiled inside the block, cached or not."""
    used: set[tuple[str, str]] = set()
    _recording.append(used)
    try:
        yield used
    finally:
        _recording.remove(used)


# --- the compiled code of a whole library, in one file --------------------------------------
#
# Loading the ~170 clause templates and ~250 conditions one jinja/ file each costs about 70 ms a
# build (opening, checking and unmarshalling each); in one file, with marshal sharing their common
# constants, a few ms. The file is in jinja/ with the other compiled code and signed like it; the
# library snapshot beside it (library/) holds only data and names it by the same key.

BUNDLE_FORMAT = b"policy-builder compiled templates 1"


def bundle_path(name: str) -> Path | None:
    """jinja/library-<name>.code in the cache folder, or None when there is no cache folder."""
    folder = cache_folder()
    return folder / "jinja" / f"library-{name}.code" if folder is not None else None


def save_bundle(name: str, key: str, used: Iterable[tuple[str, str]]) -> bool:
    """Keep the compiled code of the templates ``used`` (name, source) in one signed file; False if not kept."""
    import marshal

    path = bundle_path(name)
    if path is None:
        return False
    code = {pair: _code[pair] for pair in used if pair in _code}
    try:
        data = marshal.dumps(code)
    except ValueError:
        return False
    return signed_cache.store(path.parent.parent, path, b"\n".join([BUNDLE_FORMAT, key.encode("ascii"), data]))


def load_bundle(name: str, key: str) -> bool:
    """Take the code ``save_bundle`` kept under ``key``: those templates are then not read or compiled again.

    An unsigned, altered, stale or odd file is ignored (False): each template is then read from its own
    jinja/ file or compiled, as usual.
    """
    import marshal

    path = bundle_path(name)
    raw = signed_cache.load(path.parent.parent, path) if path is not None else None
    if raw is None:
        return False
    head, _, rest = raw.partition(b"\n")
    stored_key, _, data = rest.partition(b"\n")
    if head != BUNDLE_FORMAT or stored_key != key.encode("ascii"):
        return False
    try:
        code = marshal.loads(data)
    except (ValueError, EOFError, TypeError):
        return False
    if type(code) is not dict or not all(
        type(pair) is tuple and len(pair) == 2 and all(type(part) is str for part in pair) and type(value) is CodeType
        for pair, value in code.items()
    ):
        return False
    _code.update(code)
    return True


def compile_condition(expression: str) -> Template:
    """A `when` expression as a template that renders '1' when true; compiled once per process."""
    template = _conditions.get(expression)
    if template is None:
        # Tag delimiters inside the expression could change the template built around it.
        if any(tag in expression for tag in ("{%", "%}", "{{", "}}", "{#", "#}")):
            raise TemplateSyntaxError("a condition cannot contain {% %}, {{ }} or {# #}", 1)
        template = _conditions[expression] = compile_template(
            "{% if " + expression + " %}1{% endif %}", "condition:" + expression
        )
    elif _recording:  # compiled earlier in this process: still one of the library's being read
        for used in _recording:
            used.add(("condition:" + expression, "{% if " + expression + " %}1{% endif %}"))
    return template


class Conditions:
    """`when` expressions checked against one context, for a caller that checks many (choosing clauses).

    Rendering a condition template on its own builds a Jinja context each time, copying the globals and
    every answer: most of the cost of checking one. Here the Jinja context is built once and each
    condition's compiled code runs in it; a condition only reads names, so it cannot change the context
    for the next. The answer to each expression is kept, as the context does not change.
    """

    __slots__ = ("context", "_jinja", "_known")

    def __init__(self, context: Mapping[str, Any]) -> None:
        self.context = context
        jinja_globals = dict(ENV.make_globals(None))
        self._jinja = ENV.context_class(ENV, {**jinja_globals, **context}, "condition", {}, globals=jinja_globals)
        self._known: dict[str, bool] = {}

    def holds(self, expression: str) -> bool:
        known = self._known.get(expression)
        if known is None:
            template = compile_condition(expression)
            try:
                known = ENV.concat(template.root_render_func(self._jinja)) == "1"  # as Template.render does
            except Exception:
                ENV.handle_exception()  # raises, with the traceback pointing into the condition as render's does
            self._known[expression] = known
        return known


def condition_holds(expression: str, context: Mapping[str, Any] | Conditions) -> bool:
    if isinstance(context, Conditions):
        return context.holds(expression)
    return compile_condition(expression).render(context) == "1"
