"""A document's blocks kept between runs, so a build of text it has seen neither imports nor runs markdown-it.

A build renders each document's template (render/markdown.py) and parses that Markdown into blocks
(render/blocks.py): markdown-it's import (about 40 ms) and its parse of the three documents (about
60 ms with their inline text) were an eighth of a warm build. The blocks of each document are kept in
the cache folder (``blocks/``, see core/templating.cache_folder) as JSON: plain values only (never
pickle or code), keyed by a hash of the document's Markdown, the parser's code and its version, and
signed (core/signed_cache), so a file someone else wrote or changed is ignored. Every value is
checked as it is read; anything unexpected and the Markdown is parsed afresh, so a kept file can
only ever give the blocks that Markdown parses to.

Whole documents, not clauses: a document's blocks depend on its whole text (a `<!-- word -->` line
steers the blocks after it, the contents lists the headings after it, a list runs on across a blank
line), so a clause parsed alone need not give the blocks it gives in its document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from policy_builder.render.blocks import (
    Block,
    Contents,
    Heading,
    ListBlock,
    ListItem,
    Paragraph,
    Quote,
    Raw,
    Run,
    Subtitle,
    Table,
    Text,
    parse,
)

KEPT_FORMAT = "policy-builder kept blocks 2 (JSON)"
FOLDER = "blocks"
KEPT_MOST = 48  # files (three a profile, about 130 KB each); beyond twice this, the oldest go
_ONLY = (None, "word", "markdown")


class _Unexpected(ValueError):
    """A kept file holds something this code never writes: parse afresh."""


def document_blocks(markdown: str) -> list[Block]:
    """The blocks of a document's Markdown: as kept from an earlier run, else parsed (and kept)."""
    path = _kept_path(markdown)
    if path is not None:
        kept = _read(path)
        if kept is not None:
            return kept
    blocks = parse(markdown)
    if path is not None:
        _keep(path, blocks)
    return blocks


def _kept_path(markdown: str) -> Path | None:
    """Where the blocks of this Markdown are kept: named by a hash of it and of what parses it (render/blocks.py
    and markdown-it)."""
    from policy_builder.core.signed_cache import keyed_path
    from policy_builder.core.templating import cache_folder
    from policy_builder.render import blocks

    folder = cache_folder()
    if folder is None:
        return None
    return keyed_path(folder, FOLDER, KEPT_FORMAT, markdown, package="markdown_it", code=blocks.__file__)


# --- writing ----------------------------------------------------------------------------


def _text(text: Text) -> str | list[Any]:
    """A text as [Markdown, words, runs]; most are words alone, one plain run: kept as the one string."""
    source, runs = text.source, text.runs
    if text.plain == source and runs == ((Run(source),) if source else ()):
        return source
    return [source, text.plain, [[run.text, run.style, run.line_break] for run in runs]]


def _block(block: Block, position: dict[int, int]) -> list[Any]:
    head = [block.markdown, block.only]
    if isinstance(block, Heading):
        return ["heading", *head, block.level, _text(block.text), block.bookmark]
    if isinstance(block, Subtitle):
        return ["subtitle", *head, block.text]
    if isinstance(block, Paragraph):
        return ["paragraph", *head, _text(block.text)]
    if isinstance(block, ListBlock):
        items = [[i.depth, i.ordered, i.number_list, _text(i.text)] for i in block.items]
        return ["list", *head, items, block.ordered_lists]
    if isinstance(block, Table):
        widths = list(block.widths) if block.widths is not None else None
        return ["table", *head, [_text(t) for t in block.header], [[_text(t) for t in r] for r in block.rows], widths]
    if isinstance(block, Contents):
        return ["contents", *head, block.title, [position[id(h)] for h in block.headings]]
    if isinstance(block, Quote):
        return ["quote", *head, [_text(t) for t in block.paragraphs]]
    if type(block) is Raw:
        return ["raw", *head]
    raise _Unexpected(f"no kept form for {type(block).__name__}")


def _keep(path: Path, blocks: list[Block]) -> None:
    """Keep a document's blocks (best effort: a cache that cannot be written is simply not kept)."""
    from policy_builder.core import signed_cache

    position = {id(block): index for index, block in enumerate(blocks)}
    try:
        plain = [_block(block, position) for block in blocks]
        data = json.dumps(
            {"format": KEPT_FORMAT, "blocks": plain}, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8")
    except (ValueError, KeyError, UnicodeEncodeError):  # a heading the contents lists that is not a block
        return
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return
    if signed_cache.store(path.parent.parent, path, data):
        signed_cache.prune(path.parent, KEPT_MOST)


# --- reading ----------------------------------------------------------------------------


def _read(path: Path) -> list[Block] | None:
    """The blocks kept at ``path``, or None: missing, unsigned, altered, damaged or odd files are ignored."""
    from policy_builder.core import signed_cache

    raw = signed_cache.load(path.parent.parent, path)  # None unless this user's own, signed with their key
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        if type(data) is not dict or data.get("format") != KEPT_FORMAT or type(data.get("blocks")) is not list:
            return None
        listed: dict[int, tuple[int, ...]] = {}  # a contents block -> the blocks it lists, read after it
        blocks: list[Block] = []
        for value in data["blocks"]:
            blocks.append(_read_block(value, listed, len(blocks)))
        for at, indexes in listed.items():
            headings = tuple(blocks[index] if 0 <= index < len(blocks) else None for index in indexes)
            if not all(isinstance(heading, Heading) for heading in headings):
                return None
            contents = blocks[at]
            assert isinstance(contents, Contents)
            blocks[at] = Contents(
                contents.title,
                tuple(h for h in headings if isinstance(h, Heading)),
                markdown=contents.markdown,
                only=contents.only,
            )
    except (ValueError, TypeError, RecursionError):  # JSON errors and _Unexpected are ValueErrors
        return None
    return blocks


def _str(value: Any) -> str:
    if type(value) is not str:
        raise _Unexpected("not a string")
    return value


def _opt_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _int(value: Any) -> int:
    if type(value) is not int:
        raise _Unexpected("not a whole number")
    return value


def _bool(value: Any) -> bool:
    if type(value) is not bool:
        raise _Unexpected("not true or false")
    return value


def _list(value: Any, length: int | None = None) -> list[Any]:
    if type(value) is not list or (length is not None and len(value) != length):
        raise _Unexpected("not a list of the expected length")
    return value


def _read_text(value: Any) -> Text:
    if type(value) is str:  # words alone, one plain run (see _text)
        return Text(value, runs=(Run(value),) if value else (), plain=value)
    source, plain, runs = _list(value, 3)
    read = []
    for run in _list(runs):
        text, style, line_break = _list(run, 3)
        read.append(Run(_str(text), _opt_str(style), _bool(line_break)))
    return Text(_str(source), runs=tuple(read), plain=_str(plain))


def _read_block(value: Any, listed: dict[int, tuple[int, ...]], at: int) -> Block:
    fields = _list(value)
    if len(fields) < 3:
        raise _Unexpected("a block without its kind and Markdown")
    kind, markdown, only, *rest = fields
    markdown = _str(markdown)
    if only not in _ONLY:
        raise _Unexpected("not a writer")
    if kind == "heading":
        level, text, bookmark = _list(rest, 3)
        return Heading(_int(level), _read_text(text), _opt_str(bookmark), markdown=markdown, only=only)
    if kind == "subtitle":
        (text,) = _list(rest, 1)
        return Subtitle(_str(text), markdown=markdown, only=only)
    if kind == "paragraph":
        (text,) = _list(rest, 1)
        return Paragraph(_read_text(text), markdown=markdown, only=only)
    if kind == "list":
        items, ordered_lists = _list(rest, 2)
        read = []
        for item in _list(items):
            depth, ordered, number_list, text = _list(item, 4)
            number = None if number_list is None else _int(number_list)
            read.append(ListItem(_int(depth), _bool(ordered), number, _read_text(text)))
        return ListBlock(tuple(read), _int(ordered_lists), markdown=markdown, only=only)
    if kind == "table":
        header, rows, widths = _list(rest, 3)
        cells = tuple(tuple(_read_text(cell) for cell in _list(row)) for row in _list(rows))
        sizes = None if widths is None else tuple(_int(width) for width in _list(widths))
        return Table(tuple(_read_text(cell) for cell in _list(header)), cells, sizes, markdown=markdown, only=only)
    if kind == "contents":
        title, headings = _list(rest, 2)
        listed[at] = tuple(_int(index) for index in _list(headings))
        return Contents(_str(title), (), markdown=markdown, only=only)
    if kind == "quote":
        (paragraphs,) = _list(rest, 1)
        return Quote(tuple(_read_text(text) for text in _list(paragraphs)), markdown=markdown, only=only)
    if kind == "raw":
        _list(rest, 0)
        return Raw(markdown=markdown, only=only)
    raise _Unexpected("not a kind of block")
