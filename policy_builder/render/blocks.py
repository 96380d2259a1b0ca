"""The document model: a document is a list of blocks, built once, written out as Markdown or Word.

Every word of a document comes from its template (templates/*.md.j2), which
renders Markdown. `parse` reads that Markdown ONCE into blocks (headings,
paragraphs, lists, tables, the contents); the Markdown writer (`to_markdown`)
and the Word writer (render/docx/writer.py) only write the blocks out. This
module holds the one Markdown token walker.

A template steers the two layouts with HTML comment lines, which never reach
either output:

- `<!-- word -->` ... `<!-- end -->`: blocks only the Word file has (a line
  about its contents field; the cover's draft lines, which Word shows under
  the title and Markdown above it);
- `<!-- markdown -->` ... `<!-- end -->`: blocks only the Markdown file has
  (the protective marking, which Word puts in the header and footer);
- `<!-- bookmark: ID -->`: the next heading gets a Word bookmark named after
  ID (see `bookmark_name`), so contents entries and other documents can link to it;
- `<!-- widths: 30 70 -->`: the next table's column widths in Word, as
  percentages of the text width.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

Only = Literal["word", "markdown"] | None


@functools.cache
def _parsers() -> tuple[MarkdownIt, MarkdownIt]:
    """One parser for every document: CommonMark with tables (the annex, the gap report, the summary of
    changes) and strikethrough (the summary of changes' removed words); and the same without inline rules.

    The blocks are parsed at once, the text inside them when the Word writer first asks for it
    (`Text.runs`), all of a document's text together as markdown-it would: a Markdown-only build never
    pays for it. Made on first use: a build whose documents are all kept (render/kept_blocks.py)
    never imports markdown-it (about 40 ms).
    """
    from markdown_it import MarkdownIt

    full = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    return full, MarkdownIt("commonmark").enable("table").enable("strikethrough").disable("inline")


# The characters that start any inline rule of the full parser (commonmark's newline, escape, backticks, emphasis, link,
# image, autolink, html_inline, entity; and strikethrough): text without them is one text token, parsed or not.
_INLINE_MARKUP = re.compile(r"[\n\\`*_~\[\]!<&]")
_DIRECTIVE = re.compile(r"^<!-- (word|markdown|end|bookmark: (\S+)|widths: ([\d ]+)) -->$")
DELETED_STYLE = "Deleted Text"  # the character style of words struck through (summary of changes)


def bookmark_name(identifier: str) -> str:
    """The Word bookmark for an id: 'messaging.keep-in-touch-only' -> 'messaging_keep_in_touch_only'.

    Word bookmark names start with a letter, hold only letters, digits and
    underscores, and have at most 40 characters; a longer id keeps its start
    and gains a short hash so it stays unique and stable.
    """
    name = re.sub(r"[^A-Za-z0-9]", "_", identifier)
    if not name[:1].isalpha():
        name = "c_" + name
    if len(name) > 40:
        name = name[:31] + "_" + hashlib.sha1(identifier.encode()).hexdigest()[:8]
    return name


@dataclass(frozen=True)
class Run:
    """A stretch of text in one character style (a Word style name), or a line break."""

    text: str
    style: str | None = None  # "Strong", "Emphasis" or DELETED_STYLE
    line_break: bool = False


class _InlineText:
    """The inline tokens of one parse, parsed together the first time any of them is needed."""

    def __init__(self, tokens: list[Token], env: dict[str, Any]) -> None:
        self.tokens: list[Token] | None = tokens
        self.env = env
        self._lock = threading.Lock()  # parsed once even if two of the web app's threads ask at once

    def parse(self) -> None:
        with self._lock:
            if self.tokens is not None:
                from markdown_it.rules_core import StateCore, inline, text_join
                from markdown_it.token import Token

                marked: list[Token] = []
                for token in self.tokens:
                    if token.type != "inline":
                        continue
                    if _INLINE_MARKUP.search(token.content):
                        marked.append(token)
                    else:  # no character any inline rule acts on: one text token, as markdown-it would make
                        token.children = [Token("text", "", 0, content=token.content)] if token.content else []
                # The core rules markdown-it runs after the blocks (commonmark: inline, then text_join), on the
                # text that has markup; each inline token is parsed on its own, so leaving out the others is safe.
                state = StateCore("", _parsers()[0], self.env)
                state.tokens = marked
                inline(state)
                text_join(state)
                self.tokens = None


class Text:
    """A block's inline Markdown (a paragraph, a heading, a list item, a table cell).

    Parsed here (`parse`): markdown-it's inline token, its text parsed when first asked for. Read back from
    the blocks kept between runs (render/kept_blocks.py): its runs and words as they were, with no tokens.
    Equal only to itself.
    """

    __slots__ = ("source", "_token", "_pending", "_children", "_runs", "_plain")

    def __init__(
        self,
        source: str,
        token: Token | None = None,
        pending: _InlineText | None = None,
        *,
        runs: tuple[Run, ...] | None = None,
        plain: str | None = None,
    ) -> None:
        self.source = source  # the Markdown of the text
        self._token = token
        self._pending = pending
        self._children: tuple[Token, ...] | None = None
        self._runs = runs
        self._plain = plain

    def __repr__(self) -> str:
        return f"Text({self.source!r})"

    @property
    def children(self) -> tuple[Token, ...]:
        """markdown-it's inline tokens (a text parsed here only: a kept one has its runs and words instead)."""
        if self._children is None:
            if self._token is None or self._pending is None:
                raise ValueError("a text read back from the kept blocks has no markdown-it tokens")
            self._pending.parse()
            self._children = tuple(self._token.children or [])
        return self._children

    @property
    def runs(self) -> tuple[Run, ...]:
        if self._runs is None:
            self._runs = inline_runs(self.children)
        return self._runs

    @property
    def plain(self) -> str:
        """The words alone, as a table cell or a contents entry shows them."""
        if self._plain is None:
            self._plain = "".join(c.content for c in self.children if c.type in ("text", "code_inline"))
        return self._plain


@dataclass(frozen=True)
class Block:
    """One block of a document, as the Markdown and the Word writer write it."""

    markdown: str = field(kw_only=True)  # the block as the Markdown document shows it
    only: Only = field(default=None, kw_only=True)  # written by one writer only


@dataclass(frozen=True)
class Heading(Block):
    """A heading: the title, a section or a clause."""

    level: int  # 1 is the document title ('#'), 2 a section ('##'), 3 a clause ('###')
    text: Text
    bookmark: str | None = None


@dataclass(frozen=True)
class Subtitle(Block):
    """The bold line under the title naming the employer."""

    text: str


@dataclass(frozen=True)
class Paragraph(Block):
    """A paragraph of text."""

    text: Text


@dataclass(frozen=True)
class ListItem:
    """One item of a list, at its depth."""

    depth: int  # 1 for the outer list
    ordered: bool  # of the innermost list holding it
    number_list: int | None  # which ordered list of the block it counts in (each restarts at 1); outer lists only
    text: Text


@dataclass(frozen=True)
class ListBlock(Block):
    """A list with any lists nested in it, one item paragraph after another."""

    items: tuple[ListItem, ...]
    ordered_lists: int  # how many ordered lists (nested ones too) it opens, in order


@dataclass(frozen=True)
class Table(Block):
    """A table with a header row."""

    header: tuple[Text, ...]
    rows: tuple[tuple[Text, ...], ...]
    widths: tuple[int, ...] | None = None  # percentages of the text width, from a `widths` line


@dataclass(frozen=True)
class Contents(Block):
    """'## Contents' and its list: in Word a contents field linking to the headings it lists."""

    title: str
    headings: tuple[Heading, ...]  # the bookmarked headings it lists

    @property
    def entries(self) -> list[tuple[str, str]]:
        """(heading text, bookmark) for each heading listed."""
        return [(heading.text.plain, heading.bookmark or "") for heading in self.headings]


@dataclass(frozen=True)
class Quote(Block):
    """A block quote, one paragraph after another."""

    paragraphs: tuple[Text, ...]


@dataclass(frozen=True)
class Raw(Block):
    """Markdown that Word leaves out (code, rules, HTML)."""


def to_markdown(blocks: list[Block]) -> str:
    """The Markdown writer: each block as the template wrote it, one blank line between blocks."""
    return "\n\n".join(block.markdown for block in blocks if block.only != "word") + "\n"


def parse(markdown: str) -> list[Block]:
    """Markdown (a template's output, a clause's text, a report) -> blocks."""
    lines = markdown.split("\n")
    env: dict[str, Any] = {}
    tokens = _parsers()[1].parse(markdown, env)
    pending = _InlineText(tokens, env)

    def text(token: Token) -> Text:
        return Text(token.content, token, pending)

    blocks: list[Block] = []
    only: Only = None
    bookmark: str | None = None
    widths: tuple[int, ...] | None = None
    index = 0

    def source(start: Token, end: Token | None = None) -> str:
        first, last = start.map or (0, 0)
        if end is not None and end.map:
            last = end.map[1]
        return "\n".join(lines[first:last]).rstrip()

    while index < len(tokens):
        token = tokens[index]
        end = _closing(tokens, index)
        kind = token.type
        if kind == "html_block" and (directive := _DIRECTIVE.match(token.content.strip())):
            word, named, sizes = directive.groups()
            if named:
                bookmark = bookmark_name(named)
            elif sizes:
                widths = tuple(int(size) for size in sizes.split())
            else:
                only = "word" if word == "word" else "markdown" if word == "markdown" else None  # None: "end"
        elif kind == "heading_open":
            level = int(token.tag[1])
            title = text(tokens[index + 1])
            following = _next_list(tokens, end + 1)
            if level == 2 and title.source == "Contents" and following is not None:
                list_end = _closing(tokens, following)
                blocks.append(Contents("Contents", (), markdown=source(token, tokens[following]), only=only))
                index = list_end + 1
                continue
            blocks.append(Heading(level, title, bookmark, markdown=source(token), only=only))
            bookmark = None
        elif kind == "paragraph_open":
            words = text(tokens[index + 1])
            after_title = bool(blocks) and isinstance(blocks[-1], Heading) and blocks[-1].level == 1
            subtitle = _all_strong(words) if after_title else None
            if subtitle is not None:
                blocks.append(Subtitle(subtitle, markdown=source(token), only=only))
            else:
                blocks.append(Paragraph(words, markdown=source(token), only=only))
        elif kind in ("bullet_list_open", "ordered_list_open"):
            blocks.append(_list(tokens[index : end + 1], source(token), only, text))
        elif kind == "table_open":
            blocks.append(_table(tokens[index : end + 1], source(token), widths, only, text))
            widths = None
        elif kind == "blockquote_open":
            quoted = tuple(text(t) for t in tokens[index:end] if t.type == "inline")
            blocks.append(Quote(quoted, markdown=source(token), only=only))
        else:  # code, a rule, other HTML: shown in Markdown only, as before
            blocks.append(Raw(markdown=source(token), only=only if only == "word" else "markdown"))
        index = end + 1
    return _link_contents(blocks)


def _closing(tokens: list[Token], index: int) -> int:
    """The index of the token closing the block that opens at `index` (itself for a single token)."""
    if tokens[index].nesting != 1:
        return index
    depth = 0
    for position in range(index, len(tokens)):
        depth += tokens[position].nesting
        if depth == 0:
            return position
    return len(tokens) - 1


def _next_list(tokens: list[Token], index: int) -> int | None:
    """The index of a list that follows at `index`, past any directive lines."""
    while (
        index < len(tokens) and tokens[index].type == "html_block" and _DIRECTIVE.match(tokens[index].content.strip())
    ):
        index += 1
    if index < len(tokens) and tokens[index].type in ("bullet_list_open", "ordered_list_open"):
        return index
    return None


def _link_contents(blocks: list[Block]) -> list[Block]:
    """A contents block lists the bookmarked headings one level below the title that follow it."""
    result: list[Block] = []
    for position, block in enumerate(blocks):
        if isinstance(block, Contents):
            headings = tuple(
                later
                for later in blocks[position + 1 :]
                if isinstance(later, Heading) and later.level == 2 and later.bookmark and later.only != "markdown"
            )
            block = Contents(block.title, headings, markdown=block.markdown, only=block.only)
        result.append(block)
    return result


def inline_runs(children: tuple[Token, ...]) -> tuple[Run, ...]:
    """Inline tokens as runs: bold is Strong, italic Emphasis, struck-through DELETED_STYLE."""
    runs: list[Run] = []
    bold = italic = struck = False
    for child in children:
        kind = child.type
        if kind in ("strong_open", "strong_close"):
            bold = kind == "strong_open"
        elif kind in ("em_open", "em_close"):
            italic = kind == "em_open"
        elif kind in ("s_open", "s_close"):
            struck = kind == "s_open"
        elif kind in ("text", "code_inline", "html_inline") and child.content:
            style = "Strong" if bold else DELETED_STYLE if struck else "Emphasis" if italic else None
            runs.append(Run(child.content, style))
        elif kind == "softbreak":
            runs.append(Run(" "))
        elif kind == "hardbreak":
            runs.append(Run("", line_break=True))
    return tuple(runs)


def _all_strong(text: Text) -> str | None:
    """The words of a paragraph that is one bold run ('**London Borough of Eastbrook**'), else None."""
    if not text.source.startswith(("**", "__")):  # no need to parse the inline text to know
        return None
    # This one line parsed alone, so the rest of the document's text waits until Word needs it.
    tokens = _parsers()[0].parseInline(text.source)
    children = tokens[0].children or [] if tokens else []
    kinds = [c.type for c in children if c.type != "text" or c.content]
    if kinds != ["strong_open", "text", "strong_close"]:
        return None
    return "".join(c.content for c in children if c.type == "text")


def _list(tokens: list[Token], markdown: str, only: Only, text: Callable[[Token], Text]) -> ListBlock:
    items: list[ListItem] = []
    stack: list[tuple[bool, int | None]] = []  # (ordered, its number among the block's ordered lists)
    opened = 0
    for token in tokens:
        if token.type == "bullet_list_open":
            stack.append((False, None))
        elif token.type == "ordered_list_open":
            stack.append((True, opened))
            opened += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            stack.pop()
        elif token.type == "inline":
            ordered, number_list = stack[-1]
            depth = len(stack)
            items.append(ListItem(depth, ordered, number_list if depth == 1 else None, text(token)))
    return ListBlock(tuple(items), opened, markdown=markdown, only=only)


def _table(
    tokens: list[Token], markdown: str, widths: tuple[int, ...] | None, only: Only, text: Callable[[Token], Text]
) -> Table:
    rows: list[tuple[Text, ...]] = []
    row: list[Text] = []
    for token in tokens:
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            rows.append(tuple(row))
        elif token.type == "inline":
            row.append(text(token))
    return Table(rows[0], tuple(rows[1:]), widths, markdown=markdown, only=only)
