"""Read an employer's own policy (.docx, .md, .txt, .pdf) into passages an audit can quote and cite.

A passage is one paragraph, list item or table row, in plain text, with the nearest heading above it
(numbering kept, so a finding cites "section 4.2, paragraph 3" as a reader would). Every file goes
through the read-back limits first (a regular file, at most 20 MB), so a bad file is one line, never
a traceback or a hang.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policy_builder.core.errors import SourceError
from policy_builder.regen.readback import ReadBackError, decode, read_bytes, read_word_package

MB = 1024 * 1024
# A 100-page policy is well under 2 MB as Word or PDF; 20 MB leaves room for logos and scans of signatures.
MAX_DOCUMENT_BYTES = 20 * MB
SUFFIXES = (".docx", ".md", ".markdown", ".txt", ".pdf")


class DocumentError(SourceError):
    """A policy to audit that cannot be read; one line naming the file and what to do."""


class NoTextLayerError(DocumentError):
    """A PDF whose pages hold no text (a scan): there is nothing to audit until it is exported as text."""


@dataclass(frozen=True)
class Passage:
    text: str  # one paragraph or list item, plain text, whitespace normalised
    heading: str  # nearest heading with its numbering, e.g. "4.2 Messaging apps" ("" if none)
    where: str  # as a reader cites it: "section 4.2, paragraph 3" or "'Messaging', paragraph 2"
    index: int  # position in the document, from 0
    column: str = ""  # a cell of a table whose columns say how to read them ("Do", "Don't"): its column heading


# Whether a table column's heading says how to read its cells ("Do", "Don't", "Not allowed"); given by the
# audit's rules (clauses/audit.yaml), so the reader knows which tables to read cell by cell.
ModalColumn = Callable[[str], bool]


def read_passages(path: Path, modal_column: ModalColumn | None = None) -> list[Passage]:
    """The passages of the document at ``path``, in order; DocumentError (one line) if it cannot be read.

    With ``modal_column``, a table whose every column heading it accepts ("Do" | "Don't") is read cell by
    cell, each cell a passage that keeps its column heading; other tables are read a row at a time."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        shown = suffix or "no suffix"
        raise DocumentError(
            path, None, f"cannot audit a {shown} file; give a Word (.docx), Markdown (.md), text (.txt) or PDF file"
        )
    try:
        raw = read_bytes(path, MAX_DOCUMENT_BYTES, "a policy to audit")
        if suffix == ".docx":
            read_word_package(path)  # refuses a zip bomb or a flood of parts before python-docx inflates them
            blocks = _docx_blocks(path, raw, modal_column)
        elif suffix == ".pdf":
            blocks = _pdf_blocks(path, raw, modal_column)
        elif suffix == ".txt":
            blocks = _text_blocks(_decode(path, raw))
        else:
            blocks = _markdown_blocks(_decode(path, raw), modal_column)
    except ReadBackError as exc:
        raise DocumentError(exc.path, exc.line, exc.message) from None
    passages = _passages(blocks)
    if not passages:
        raise DocumentError(path, None, "holds no text to audit")
    return passages


# --- blocks: ("heading", text), ("text", text), ("item", text) or a table cell, in document order ----------

Block = tuple[str, str]
_CELL = "cell\x1f"  # a cell's kind: "cell", its row and its column heading, apart by \x1f


def _cell(row: int, column: str) -> str:
    return f"{_CELL}{row}\x1f{column}"


def _table_blocks(rows: list[list[str]], modal_column: ModalColumn | None) -> list[Block]:
    """A table's rows: one passage a row ("cell | cell"), or, where every heading of the first row says how
    to read its column ("Do" | "Don't"), one passage a cell that keeps its column's heading."""
    rows = [row for row in rows if any(row)]
    header = rows[0] if rows else []
    if modal_column is not None and len(header) >= 2 and all(cell and modal_column(cell) for cell in header):
        return [
            (_cell(number, header[column]), cell)
            for number, row in enumerate(rows[1:], start=1)
            for column, cell in enumerate(row[: len(header)])
            if cell
        ]
    return [("text", " | ".join(cell for cell in row if cell)) for row in rows]


_SPACE = re.compile(r"\s+")


# Word, LibreOffice and PDF exports write "Don’t" with a curly apostrophe, dashes as – or — and spaces that do
# not break; the matching rules are written with the plain forms, so every text is read in those (one
# character for one, so places found in a sentence stay where they were).
TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u201b": "'",  # ‛
        "\u2032": "'",  # ′
        "\u02bc": "'",  # ʼ modifier letter apostrophe
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u201e": '"',  # „
        "\u2033": '"',  # ″
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # – en dash
        "\u2014": "-",  # — em dash
        "\u2015": "-",  # horizontal bar
        "\u2212": "-",  # minus sign
        "\u00a0": " ",  # non-breaking space
        "\u202f": " ",  # narrow non-breaking space
        "\u2007": " ",  # figure space
        "\u2009": " ",  # thin space
    }
)
# Characters that are not there for a reader: soft hyphens, zero-width spaces and joiners, a byte-order mark
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


def plain(text: str) -> str:
    """``text`` with typographic quotes, dashes and spaces in their plain forms, one character for one."""
    return text.translate(TYPOGRAPHY)


def normalise(text: str) -> str:
    """One line of plain text: typography made plain, invisible characters dropped, and every run of
    whitespace (non-breaking spaces, tabs, line breaks) one space."""
    text = _INVISIBLE.sub("", plain(text))
    return _SPACE.sub(" ", text).strip()


def _decode(path: Path, raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return decode(path, raw)
    except ReadBackError:
        # Text saved by Word on Windows is often cp1252; it decodes whole or the file is not text.
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            raise DocumentError(path, None, "is not text (neither UTF-8 nor Windows text); save it as UTF-8") from None


def _markdown_blocks(text: str, modal_column: ModalColumn | None = None) -> list[Block]:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    blocks: list[Block] = []
    kind = "text"
    row: list[str] | None = None
    table: list[list[str]] = []
    items = 0  # depth of list items open: their paragraphs are items, as a reader counts them
    for token in tokens:
        if token.type == "list_item_open":
            items += 1
        elif token.type == "list_item_close":
            items -= 1
        elif token.type == "heading_open":
            kind = "heading"
        elif token.type == "heading_close":
            kind = "text"
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            table.append(row)
            row = None
        elif token.type == "table_close":
            blocks.extend(_table_blocks(table, modal_column))
            table = []
        elif token.type == "inline":
            words = normalise(_inline_text(token.children or []))
            if row is not None:
                row.append(words)
            elif words:
                blocks.append(("item" if kind == "text" and items else kind, words))
        elif token.type in ("code_block", "fence", "html_block"):
            words = normalise(re.sub(r"<[^>]+>", " ", token.content))
            if words:
                blocks.append(("text", words))
    return blocks


def _inline_text(children: Iterable[Any]) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


_NUMBERED = re.compile(r"^(?:section\s+|part\s+)?(\d+(?:\.\d+)*)\.?\s+\S", re.I)
_EMPHASIS = re.compile(r"\*\*|__|(?<=\s)[✓✗✔✘]\s|^[✓✗✔✘]\s")
# a list's mark: a bullet, "1." "(a)" "b)" "iv." (one letter, a number or a Roman numeral), never a short word that
# ends a sentence at the start of a PDF line ("... a document to print at / home. When ...")
_LIST_MARK = re.compile(r"^\s*(?:[-*•·▪◦–✓✗✔✘]|\(?(?:\d{1,4}|[a-z]|[ivx]{1,4})[.)])\s+", re.I)
_SENTENCE_END = re.compile(r"[.;:,?!…]['\"”’)]?$")


_RULE_WORD = re.compile(r"\b(?:must|should|never|do not|don't|not permitted|are required)\b", re.I)
_RUN_IN_HEADING = re.compile(r"^([A-Z][A-Za-z]*(?: [A-Za-z]+){0,2}):\s+(\S.*)$")
_MODAL_WORD = re.compile(r"\b(?:must|should|may|never|not|note|example|e\.g)\b", re.I)


def _is_title_line(line: str, *, alone: bool) -> bool:
    """A line that reads as a heading: numbered and short, ALL CAPS, or a short title standing alone."""
    words = line.split()
    if not words or _RULE_WORD.search(line):
        return False  # "Never accept friend requests from people you support" on its own line is a rule
    if alone and line.endswith(":") and len(words) <= 4 and line[0].isupper():
        return True  # "Definition:" on a line of its own
    if len(words) > 12 or _SENTENCE_END.search(line):
        return False
    if _NUMBERED.match(line):
        return len(words) <= 10 and alone
    letters = [c for c in line if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) >= 3:
        return True
    return alone and len(words) <= 10 and line[0].isupper() and not _LIST_MARK.match(line)


# A line whose sentence goes on: it ends on a word that needs more ("in", "the", "and") or an open bracket or comma
_ENDS_MID_SENTENCE = re.compile(
    r"(?:[(,\-–]|\b(?:a|an|the|and|or|but|of|in|on|at|to|for|by|with|from|as|that|which|who|is|are|be|can|may|"
    r"will|their|our|your|its|this|these|any|all|such|than|into|about|if|when|where|not))$",
    re.I,
)


def _continues(line: str, following: str) -> bool:
    """The next line carries on the sentence ``line`` began (a wrapped line of a PDF or a plain-text file): it
    opens in lower case, or ``line`` breaks off mid-phrase. "4.3 Information received by message (a change in" /
    "circumstances ...) should be noted" is a numbered paragraph, not a heading and its text."""
    # the next line is prose (long, or ending a sentence): "health teams" after "9. Social workers seconded to
    # community mental" finishes a heading wrapped in two
    prose = len(following.split()) > 6 or _SENTENCE_END.search(following) is not None
    return prose and (following[:1].islower() or _ENDS_MID_SENTENCE.search(line) is not None)


def _text_blocks(text: str) -> list[Block]:
    """Plain text: blank lines part paragraphs; a list marker starts an item; title lines are headings."""
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [normalise(_EMPHASIS.sub("", line)) for line in chunk.split("\n")]
        lines = [line for line in lines if line]
        current: list[str] = []

        label = _RUN_IN_HEADING.match(lines[0]) if lines else None
        if label and not _MODAL_WORD.search(label.group(1)):
            # "Purpose: The purpose of this protocol is ..." - a run-in heading, as older protocols write them
            blocks.append(("heading", label.group(1)))
            lines[0] = label.group(2)
        for position, line in enumerate(lines):
            # A numbered title heads a chunk that goes on in prose ("4.2 Messaging" then its text); inside a
            # run of numbered lines ("8. Switch off Bluetooth") it is a list item.
            heads_chunk = (
                position == 0
                and len(lines) > 1
                and _NUMBERED.match(line) is not None
                and not _LIST_MARK.match(lines[1])
                and _is_title_line(line, alone=True)
                and not _continues(line, lines[1])
            )
            if _is_title_line(line, alone=len(lines) == 1) or heads_chunk:
                _flush(current, blocks)
                blocks.append(("heading", line))
            elif _LIST_MARK.match(line) or (current and _is_underline(line)):
                _flush(current, blocks)
                if not _is_underline(line):
                    current.append(line)
            else:
                current.append(line)
        _flush(current, blocks)
    return [(kind, words) for kind, words in blocks if words]


def _flush(current: list[str], blocks: list[Block]) -> None:
    """The lines gathered so far, as one paragraph or list item."""
    if current:
        text = " ".join(current)
        blocks.append(("item" if _LIST_MARK.match(text) else "text", _strip_list_mark(text)))
        current.clear()


def _is_underline(line: str) -> bool:
    return bool(re.fullmatch(r"[=\-_~*]{3,}", line))


def _strip_list_mark(text: str) -> str:
    return _LIST_MARK.sub("", text, count=1).strip() if re.match(r"^\s*[-*•·▪◦–]\s", text) else text


def _docx_blocks(path: Path, raw: bytes, modal_column: ModalColumn | None = None) -> list[Block]:
    import docx
    from docx.oxml.ns import qn

    try:
        document = docx.Document(io.BytesIO(raw))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DocumentError(path, None, f"is not a Word document (.docx) that can be opened ({exc})") from None
    except Exception as exc:  # lxml and python-docx raise their own kinds on a damaged part
        raise DocumentError(path, None, f"is a damaged Word document ({type(exc).__name__})") from None

    outline_of_style: dict[str, int] = {}
    for style in document.styles:
        element = style.element
        level = element.find(f"{qn('w:pPr')}/{qn('w:outlineLvl')}")
        name = (style.name or "").lower()
        if level is not None:
            outline_of_style[style.style_id] = int(level.get(qn("w:val"), "9"))
        elif name.startswith("heading") or name == "title":
            outline_of_style[style.style_id] = 0

    # "List Bullet", "List Number", "List Paragraph": a reader counts these as the items of a list
    list_styles = {style.style_id for style in document.styles if (style.name or "").lower().startswith("list")}
    blocks: list[Block] = []
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            words = normalise(_paragraph_text(child, qn))
            if not words:
                continue
            if _docx_is_heading(child, qn, outline_of_style):
                blocks.append(("heading", words))
            else:
                blocks.append(("item" if _docx_is_list_item(child, qn, list_styles) else "text", words))
        elif child.tag == qn("w:tbl"):
            rows: list[list[str]] = []
            for row in child.iter(qn("w:tr")):
                cells: list[str] = []
                for cell in row.iter(qn("w:tc")):
                    words = normalise(" ".join(_paragraph_text(p, qn) for p in cell.iter(qn("w:p"))))
                    if words and (not cells or cells[-1] != words):  # a merged cell repeats its text
                        cells.append(words)
                if cells:
                    rows.append(cells)
            blocks.extend(_table_blocks(rows, modal_column))
    return blocks


def _docx_is_list_item(paragraph: Any, qn: Callable[[str], str], list_styles: set[str]) -> bool:
    properties = paragraph.find(qn("w:pPr"))
    if properties is None:
        return False
    if properties.find(qn("w:numPr")) is not None:
        return True
    style = properties.find(qn("w:pStyle"))
    return style is not None and style.get(qn("w:val"), "") in list_styles


def _paragraph_text(paragraph: Any, qn: Callable[[str], str]) -> str:
    parts = []
    for node in paragraph.iter(qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")):
        parts.append(node.text or "" if node.tag == qn("w:t") else " ")
    return "".join(parts)


def _docx_is_heading(paragraph: Any, qn: Callable[[str], str], outline_of_style: dict[str, int]) -> bool:
    properties = paragraph.find(qn("w:pPr"))
    if properties is not None:
        level = properties.find(qn("w:outlineLvl"))
        if level is not None:
            return int(level.get(qn("w:val"), "9")) < 9
        style = properties.find(qn("w:pStyle"))
        if style is not None:
            return outline_of_style.get(style.get(qn("w:val"), ""), 9) < 9
    return False


def _pdf_blocks(path: Path, raw: bytes, modal_column: ModalColumn | None = None) -> list[Block]:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError:  # pragma: no cover - pypdf is a dependency
        raise DocumentError(path, None, "cannot read PDF files here: the pypdf package is missing") from None
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:
                raise DocumentError(path, None, "is a password-protected PDF; save an unprotected copy") from None
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(path, None, f"is not a PDF that can be read ({type(exc).__name__})") from None
    if not any(page.strip() for page in pages):
        raise NoTextLayerError(path, None, "has no text layer (a scanned document?); export it as text or Word first")
    lines = _pdf_lines(pages)
    width = sorted(len(line) for line in lines)[int(len(lines) * 0.9)] if lines else 0
    blocks: list[Block] = []
    start = 0
    for first, end, cells in _pdf_tables(lines, modal_column):
        blocks += _text_blocks(_reflow(lines[start:first], width))
        blocks += cells
        start = end
    return blocks + _text_blocks(_reflow(lines[start:], width))


def _pdf_tables(lines: list[str], modal_column: ModalColumn | None) -> Iterator[tuple[int, int, list[Block]]]:
    """(first line, line after, cells) of each table headed by a line of column headings ("Do Don't").

    A PDF keeps no table: its text gives the cells row by row, left to right, each wrapped over lines. The
    cells are taken back only where that is safe: every cell ends a sentence and the count fills the rows;
    else the lines are read as text."""
    if modal_column is None:
        return
    at = 0
    while at < len(lines):
        header = _column_headings(lines[at], modal_column)
        if not header:
            at += 1
            continue
        cells: list[str] = []
        current: list[str] = []
        end = at + 1
        while end < len(lines) and not _OWN_NUMBER.match(lines[end]) and not _HEADING_NUMBER.match(lines[end]):
            current.append(lines[end])
            end += 1
            if _SENTENCE_END.search(current[-1]):
                cells.append(" ".join(current))
                current = []
        if current or not cells or len(cells) % len(header):
            at += 1
            continue
        blocks = [
            (_cell(number // len(header) + 1, header[number % len(header)]), cell) for number, cell in enumerate(cells)
        ]
        yield at, end, blocks
        at = end


def _column_headings(line: str, modal_column: ModalColumn) -> list[str]:
    """The column headings a line of two or three short headings makes ("Do Don't" -> Do, Don't), or []."""
    words = line.split()
    if not 2 <= len(words) <= 6:
        return []
    for cut in range(1, len(words)):
        left, right = " ".join(words[:cut]), " ".join(words[cut:])
        if modal_column(left) and modal_column(right):
            return [left, right]
    return []


def _pdf_lines(pages: list[str]) -> list[str]:
    """The lines of a PDF's text: running headers, footers and page numbers dropped."""
    page_lines = [[line.rstrip() for line in page.splitlines() if line.strip()] for page in pages]
    repeated: dict[str, int] = {}
    for lines in page_lines:
        for line in set(lines[:2] + lines[-2:]):
            key = re.sub(r"\d+", "#", normalise(line))
            repeated[key] = repeated.get(key, 0) + 1
    furniture = {key for key, count in repeated.items() if len(pages) >= 3 and count >= max(3, len(pages) // 2)}
    return [
        normalise(line)
        for page in page_lines
        for line in page
        if re.sub(r"\d+", "#", normalise(line)) not in furniture
        and not re.fullmatch(r"(?:page\s+)?\d+(?:\s+of\s+\d+)?", normalise(line), re.I)
    ]


def _reflow(lines: list[str], width: int) -> str:
    """PDF lines as plain text with blank lines between paragraphs, wrapped lines joined. A line ends its
    paragraph when it ends a sentence well short of the text's width (``width``), or when the next line is
    a heading, a list item or a numbered paragraph ("9.4 Don't ...")."""
    out: list[str] = []
    for position, line in enumerate(lines):
        following = lines[position + 1] if position + 1 < len(lines) else ""
        out.append(line)
        heading = _is_title_line(line, alone=True) and len(line) < 0.7 * width and not _continues(line, following)
        ends = (
            heading
            or not following
            or _is_title_line(following, alone=True)
            and not following[:1].islower()
            and (_SENTENCE_END.search(line) is not None or len(line) < 0.7 * width)
            or _LIST_MARK.match(following) is not None
            or (_SENTENCE_END.search(line) is not None and _OWN_NUMBER.match(following) is not None)
            or (_SENTENCE_END.search(line) is not None and len(line) < 0.8 * width)
        )
        if (
            not ends
            and _SENTENCE_END.search(line)
            and following.startswith('"')
            and following.count('"') == 1
            and not _open_quote(out)
        ):
            # a quoted question starts after a finished sentence: "... (see below). / "Someone has told me ..."
            ends = True
        if ends and _open_quote(out) and following.endswith('"') and len(following.split()) <= 12:
            # "Someone has told me something worrying. / What now?": a quoted question goes on to its close
            ends = False
        if ends:
            out.append("")
    return "\n".join(out)


def _open_quote(out: list[str]) -> bool:
    """Whether the paragraph being built (the lines since the last blank one) has a quotation mark still open."""
    since = len(out) - 1 - out[::-1].index("") if "" in out else 0
    return " ".join(out[since:]).count('"') % 2 == 1


# --- passages ------------------------------------------------------------------------------------------------

_HEADING_NUMBER = re.compile(r"^(?:section\s+|part\s+)?(\d+(?:\.\d+)*)\.?(?=\s|$)", re.I)


# A question on its own: at most 25 words, ending "?" (its quotation marks around it or not), one paragraph
_QUESTION = re.compile(r"[\"'“‘]?[A-Z][^\n]{0,200}\?[\"'”’]?")
_OWN_NUMBER = re.compile(r"^(\d{1,3}(?:\.\d{1,3}){0,3})\.?\s+(?=[A-Z(“\"])")


def _passages(blocks: Iterable[Block]) -> list[Passage]:
    """Passages with where a reader finds them: paragraphs counted apart from list items, and a list's
    items counted from 1 after the paragraph that introduces it ("section 9.4, paragraph 1, item 2")."""
    passages: list[Passage] = []
    heading = ""
    paragraph = item = 0
    blocks = list(blocks)
    for position, (kind, words) in enumerate(blocks):
        following = blocks[position + 1][0] if position + 1 < len(blocks) else None
        question = kind == "text" and following == "text" and len(words.split()) <= 25
        if kind == "heading" or (question and _QUESTION.fullmatch(words.strip())):
            # a question standing alone before its answer ("Can I take a photo during a visit?") is how a
            # reader finds things in a questions-and-answers chapter: it heads the answer, as a title does
            heading = words
            paragraph = item = 0
            continue
        if kind.startswith(_CELL):
            row, column = kind[len(_CELL) :].split("\x1f", 1)
            where = f"{cite(heading, 0, item=None) if heading else 'table'}, row {row}, column '{column}'"
            where = where.replace(", paragraph 0", "")
            passages.append(Passage(words, heading, where, len(passages), column))
            continue
        if kind == "item":
            item += 1
        else:
            paragraph += 1
            item = 0
        own = _OWN_NUMBER.match(words)
        if own and "." in own.group(1):
            where = f"section {own.group(1)}"  # "4.2.1 Staff must ...": a numbered paragraph cites its number
        elif kind == "item":
            where = cite(heading, paragraph, item=int(own.group(1)) if own else item)
        else:
            where = cite(heading, int(own.group(1)) if own else paragraph)
        passages.append(Passage(words, heading, where, len(passages)))
    return passages


def cite(heading: str, paragraph: int, *, item: int | None = None) -> str:
    """Where a passage is, as a reader cites it: by the heading's number, else its words, else its paragraph;
    a list item by its place in the list, after the paragraph it follows (if any)."""
    parts = [f"paragraph {paragraph}"] if paragraph or item is None else []
    if item is not None:
        parts.append(f"item {item}")
    number = _HEADING_NUMBER.match(heading)
    if number:
        return ", ".join([f"section {number.group(1)}", *parts])
    if heading:
        title = heading if len(heading) <= 60 else heading[:57].rstrip() + "..."
        return ", ".join([f"'{title}'", *parts])
    return ", ".join(parts)


def iter_sentences(text: str) -> Iterator[str]:
    """The sentences of a passage: split after . ! ? (not inside e.g., i.e. or a number like 4.2)."""
    text = plain(text)  # a Passage made elsewhere (a test, another reader) is read as the reader reads one
    start = 0
    for match in re.finditer(r"(?<!\b[eE]\.g)(?<!\b[iI]\.e)(?<!\bc\.f)(?<!\d)[.!?]['\"”’)]?\s+(?=[A-Z(\"“‘'])", text):
        sentence = text[start : match.end()].strip()
        if sentence:
            yield sentence
        start = match.end()
    rest = text[start:].strip()
    if rest:
        yield rest
