"""A Word redline: the new policy with its differences from the old one as tracked changes.

`changes OLD.docx NEW.docx --redline FILE` writes it for legal review. It is made
from the two issued Word files themselves, not from the clause library, so it
works for any two issues, however old, as long as both .docx files survive:

- the body is the new policy's, on the new policy's package (styles, numbering,
  header and footer); paragraphs and tables are lined up with the old body's;
- a paragraph that only one issue has is inserted or deleted whole, paragraph
  mark included (w:pPr/w:rPr/w:ins or w:del), as Word marks it;
- a paragraph changed between the issues is shown word by word: unchanged words
  as they are, removed words in w:del (w:delText), added words in w:ins;
- table rows come and go as tracked rows (w:trPr/w:ins or w:del), and a row in
  both issues is compared cell by cell.

Every revision carries w:author (the clause library release, "Clause library
2.0.0") and w:date, so accepting all changes gives exactly the new policy's
text and rejecting all gives the old one's. Bookmarks are the new policy's
(links into it keep working); the old issue's are dropped. The new policy's
build manifest is left out, so a redline is never mistaken for an issued policy
by `check` or `changes`.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from lxml import etree

from policy_builder.render.docx_manifest import PART as MANIFEST_PART
from policy_builder.render.docx_manifest import RELS

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOCUMENT = "word/document.xml"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# Two paragraphs are shown as one changed paragraph (word by word) when at least this share of
# their words line up; below it, the old one is deleted and the new one inserted whole, which
# reads better than a diff where nothing survives.
SIMILAR = 0.5
# Lining up the paragraphs of a long changed stretch compares every old paragraph with every
# new one; beyond this many pairs, each old paragraph is compared with the next few new ones only.
FULL_PAIRING_LIMIT = 250_000
WINDOW = 12


def w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


class RedlineError(ValueError):
    """A file that is not a Word document this module can read."""


def render_redline_docx(old_docx: bytes, new_docx: bytes, author: str, date: str) -> bytes:
    """The new document with every difference from the old one as a tracked change.

    ``author`` and ``date`` (ISO 8601, "2026-12-02T00:00:00Z") go on every revision.
    """
    old_body = _body(old_docx)
    new_package = zipfile.ZipFile(io.BytesIO(new_docx))
    root = etree.fromstring(new_package.read(DOCUMENT))
    new_body = root.find(w("body"))
    if new_body is None:
        raise RedlineError("the new document has no body")
    revisions = _Revisions(author, date, first_id=_max_id(root) + 1)
    section = new_body.find(w("sectPr"))
    merged = _merge_blocks(_blocks(old_body), _blocks(new_body), revisions)
    _keep_last_mark(merged)
    for child in list(new_body):
        new_body.remove(child)
    new_body.extend(merged)
    if section is not None:
        new_body.append(section)
    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return _repackage(new_package, document)


def count_revisions(docx: bytes) -> dict[str, int]:
    """How many insertions and deletions a document holds (w:ins / w:del elements)."""
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(docx)).read(DOCUMENT))
    return {"insertions": len(root.findall(f".//{w('ins')}")), "deletions": len(root.findall(f".//{w('del')}"))}


# --- reading ------------------------------------------------------------------------------------


def _body(docx: bytes) -> etree._Element:
    try:
        root = etree.fromstring(zipfile.ZipFile(io.BytesIO(docx)).read(DOCUMENT))
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise RedlineError(f"not a Word document ({exc})") from None
    body = root.find(w("body"))
    if body is None:
        raise RedlineError("the document has no body")
    return body


def _blocks(container: etree._Element) -> list[etree._Element]:
    """The paragraphs and tables of a body or table cell, in order."""
    return [child for child in container if child.tag in (w("p"), w("tbl"))]


def _max_id(root: etree._Element) -> int:
    found = root.xpath("//@w:id", namespaces={"w": W_NS})
    values = found if isinstance(found, list) else []  # an attribute path gives a list of strings
    ids = [int(v) for v in values if isinstance(v, str) and v.lstrip("-").isdigit()]
    return max(ids, default=0)


def paragraph_text(p: etree._Element) -> str:
    """The text a paragraph shows, deleted text left out."""
    parts = []
    for node in p.iter(w("t"), w("tab"), w("del")):
        if node.tag == w("t") and not _inside(node, w("del"), p):
            parts.append(node.text or "")
        elif node.tag == w("tab") and _parent_tag(node) == w("r") and not _inside(node, w("del"), p):
            parts.append("\t")
    return "".join(parts)


def _parent_tag(node: etree._Element) -> str | None:
    parent = node.getparent()
    return str(parent.tag) if parent is not None else None


def _attributes(element: etree._Element) -> dict[str, str]:
    """An element's attributes by name (lxml gives str; its stubs allow bytes too)."""
    return {str(name): str(value) for name, value in element.attrib.items()}


def _inside(node: etree._Element, tag: str, stop: etree._Element) -> bool:
    parent = node.getparent()
    while parent is not None and parent is not stop:
        if parent.tag == tag:
            return True
        parent = parent.getparent()
    return False


def _style(p: etree._Element) -> str:
    style = p.find(f"{w('pPr')}/{w('pStyle')}")
    return style.get(w("val"), "") if style is not None else ""


def _block_key(block: etree._Element) -> tuple:
    if block.tag == w("p"):
        return ("p", _style(block), paragraph_text(block))
    return ("tbl", tuple(_row_key(row) for row in block.iter(w("tr"))))


def _row_key(row: etree._Element) -> tuple:
    return tuple("\n".join(paragraph_text(p) for p in cell.iter(w("p"))) for cell in row.findall(w("tc")))


def _bookmarks(block: etree._Element) -> set[str]:
    """The names of the bookmarks a paragraph carries (a clause heading's is named after the clause)."""
    if block.tag != w("p"):
        return set()
    return {b.get(w("name"), "") for b in block.iter(w("bookmarkStart"))} - {"", "_GoBack"}


def _block_words(block: etree._Element) -> list[str]:
    if block.tag == w("p"):
        return paragraph_text(block).split()
    return [word for p in block.iter(w("p")) for word in paragraph_text(p).split()]


# --- revisions ----------------------------------------------------------------------------------


@dataclass
class _Revisions:
    author: str
    date: str
    first_id: int
    _next: int = field(init=False)

    def __post_init__(self) -> None:
        self._next = self.first_id

    def mark(self, kind: str) -> etree._Element:
        """A w:ins or w:del element with its id, author and date."""
        element = etree.Element(w(kind))
        element.set(w("id"), str(self._next))
        element.set(w("author"), self.author)
        element.set(w("date"), self.date)
        self._next += 1
        return element


# --- lining up blocks ---------------------------------------------------------------------------


def _merge_blocks(old: list[etree._Element], new: list[etree._Element], revisions: _Revisions) -> list[etree._Element]:
    old_keys, new_keys = [_block_key(b) for b in old], [_block_key(b) for b in new]
    out: list[etree._Element] = []
    matcher = difflib.SequenceMatcher(a=old_keys, b=new_keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(copy.deepcopy(block) for block in new[j1:j2])
        else:
            out.extend(_merge_changed(old[i1:i2], new[j1:j2], revisions))
    return out


def _merge_changed(
    old: list[etree._Element], new: list[etree._Element], revisions: _Revisions
) -> Iterator[etree._Element]:
    """A stretch where the issues differ: pairs of similar blocks compared, the rest deleted or inserted."""
    i = j = 0
    for oi, nj in _pairs(old, new):
        yield from (_deleted_block(b, revisions) for b in old[i:oi])
        yield from (_inserted_block(b, revisions) for b in new[j:nj])
        if old[oi].tag == w("p"):
            yield _changed_paragraph(old[oi], new[nj], revisions)
        else:
            yield _changed_table(old[oi], new[nj], revisions)
        i, j = oi + 1, nj + 1
    yield from (_deleted_block(b, revisions) for b in old[i:])
    yield from (_inserted_block(b, revisions) for b in new[j:])


def _similarity(a: list[str], b: list[str], a_set: set[str], b_set: set[str], bound: bool = True) -> float:
    if not a or not b:
        return 0.0
    # A cheap bound first: most pairs share too few words to be worth the real comparison.
    if bound and 2 * len(a_set & b_set) / (len(a_set) + len(b_set)) < SIMILAR:
        return 0.0
    return difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio()


def _pairs(old: list[etree._Element], new: list[etree._Element]) -> list[tuple[int, int]]:
    """Pairs (old index, new index), in order, of blocks of one kind similar enough to compare word by word:
    the pairing with the most similarity in all (a weighted longest common subsequence)."""
    old_words, new_words = [_block_words(b) for b in old], [_block_words(b) for b in new]
    old_sets, new_sets = [set(x) for x in old_words], [set(x) for x in new_words]
    old_marks, new_marks = [_bookmarks(b) for b in old], [_bookmarks(b) for b in new]

    def score(i: int, j: int) -> float:
        if old[i].tag != new[j].tag:
            return 0.0
        if old[i].tag == w("tbl"):
            return 1.0  # tables in the same place are the same table, changed
        if old_marks[i] or new_marks[j]:
            # Clause and section headings carry a bookmark named after the clause: the same name is the
            # same clause (renumbered or retitled); different names, or none, are different paragraphs,
            # however alike ("No messaging apps" is not "No messaging apps on computers", and a
            # heading is not the guide pointer that repeats its title).
            if not old_marks[i] & new_marks[j]:
                return 0.0
            return max(SIMILAR, _similarity(old_words[i], new_words[j], old_sets[i], new_sets[j], bound=False))
        s = _similarity(old_words[i], new_words[j], old_sets[i], new_sets[j])
        return s if s >= SIMILAR else 0.0

    n, m = len(old), len(new)
    if n == 0 or m == 0:
        return []
    if n * m > FULL_PAIRING_LIMIT:
        return _greedy_pairs(n, m, score)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = best[i], best[i + 1]
        for j in range(m - 1, -1, -1):
            s = score(i, j)
            row[j] = max(below[j], row[j + 1], below[j + 1] + s if s else 0.0)
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        s = score(i, j)
        if s and best[i][j] == best[i + 1][j + 1] + s:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def _greedy_pairs(n: int, m: int, score: Callable[[int, int], float]) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    j = 0
    for i in range(n):
        candidates = [(score(i, k), k) for k in range(j, min(m, j + WINDOW))]
        s, k = max(candidates, default=(0.0, -1))
        if s:
            pairs.append((i, k))
            j = k + 1
    return pairs


# --- whole blocks -------------------------------------------------------------------------------


def _deleted_block(block: etree._Element, revisions: _Revisions) -> etree._Element:
    if block.tag == w("tbl"):
        return _whole_table(block, "del", revisions)
    return _whole_paragraph(block, "del", revisions)


def _inserted_block(block: etree._Element, revisions: _Revisions) -> etree._Element:
    if block.tag == w("tbl"):
        return _whole_table(block, "ins", revisions)
    return _whole_paragraph(block, "ins", revisions)


def _whole_paragraph(p: etree._Element, kind: str, revisions: _Revisions, mark: bool = True) -> etree._Element:
    op = "+" if kind == "ins" else "-"
    tokens, starts, ends = _tokens(p)
    out = _new_paragraph(p, keep_section=kind == "ins")
    if kind == "ins":
        out.extend(copy.deepcopy(b) for b in starts)
    out.extend(_emit([(op, t) for t in tokens], revisions))
    if kind == "ins":
        out.extend(copy.deepcopy(b) for b in ends)
    if mark:
        _mark_paragraph(out, kind, revisions)
    return out


def _whole_table(table: etree._Element, kind: str, revisions: _Revisions) -> etree._Element:
    out = copy.deepcopy(table)
    for row in out.findall(w("tr")):
        _whole_row(row, kind, revisions)
    return out


def _whole_row(row: etree._Element, kind: str, revisions: _Revisions) -> None:
    """Mark a row (already a copy) inserted or deleted, with every paragraph's words in it."""
    _mark_row(row, kind, revisions)
    for cell in row.findall(w("tc")):
        for child in _blocks(cell):
            # The row's own mark takes its paragraphs with it; a cell's paragraph marks are left alone.
            if child.tag == w("p"):
                cell.replace(child, _whole_paragraph(child, kind, revisions, mark=False))
            else:
                cell.replace(child, _whole_table(child, kind, revisions))


_TR_PR_AFTER = (w("ins"), w("del"), w("trPrChange"))


def _mark_row(row: etree._Element, kind: str, revisions: _Revisions) -> None:
    tr_pr = row.find(w("trPr"))
    if tr_pr is None:
        tr_pr = etree.Element(w("trPr"))
        at = 1 if row.find(w("tblPrEx")) is not None else 0
        row.insert(at, tr_pr)
    # w:ins / w:del follow the row's own properties and come before w:trPrChange.
    change = tr_pr.find(w("trPrChange"))
    marker = revisions.mark(kind)
    if change is not None:
        change.addprevious(marker)
    else:
        tr_pr.append(marker)


# --- changed blocks -----------------------------------------------------------------------------


def _changed_table(old: etree._Element, new: etree._Element, revisions: _Revisions) -> etree._Element:
    out = copy.deepcopy(new)
    for row in out.findall(w("tr")):
        out.remove(row)
    old_rows, new_rows = old.findall(w("tr")), new.findall(w("tr"))
    matcher = difflib.SequenceMatcher(
        a=[_row_key(r) for r in old_rows], b=[_row_key(r) for r in new_rows], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(copy.deepcopy(r) for r in new_rows[j1:j2])
            continue
        olds, news = old_rows[i1:i2], new_rows[j1:j2]
        # Rows with the same number of cells, in order, are the same row changed: compared cell by cell.
        paired = min(len(olds), len(news))
        for k in range(paired):
            if len(olds[k].findall(w("tc"))) != len(news[k].findall(w("tc"))):
                paired = k
                break
        for k in range(paired):
            out.append(_changed_row(olds[k], news[k], revisions))
        for row in olds[paired:]:
            deleted = copy.deepcopy(row)
            _whole_row(deleted, "del", revisions)
            out.append(deleted)
        for row in news[paired:]:
            inserted = copy.deepcopy(row)
            _whole_row(inserted, "ins", revisions)
            out.append(inserted)
    return out


def _changed_row(old: etree._Element, new: etree._Element, revisions: _Revisions) -> etree._Element:
    out = copy.deepcopy(new)
    for old_cell, cell in zip(old.findall(w("tc")), out.findall(w("tc")), strict=True):
        old_blocks, new_blocks = _blocks(old_cell), _blocks(cell)
        if [b.tag for b in old_blocks] == [b.tag for b in new_blocks] == [w("p")]:
            # One paragraph each ("1.0" and "1.1"): changed in place, as a cell cannot lose its last paragraph.
            if _block_key(old_blocks[0]) != _block_key(new_blocks[0]):
                cell.replace(new_blocks[0], _changed_paragraph(old_blocks[0], new_blocks[0], revisions))
            continue
        merged = _merge_blocks(old_blocks, new_blocks, revisions)
        _keep_last_mark(merged)
        for child in _blocks(cell):
            cell.remove(child)
        cell.extend(merged)
    return out


def _changed_paragraph(old: etree._Element, new: etree._Element, revisions: _Revisions) -> etree._Element:
    old_tokens, _, _ = _tokens(old)
    new_tokens, starts, ends = _tokens(new)
    out = _new_paragraph(new, keep_section=True)
    if _style(old) != _style(new):
        _record_style_change(out, old, revisions)
    out.extend(copy.deepcopy(b) for b in starts)
    ops: list[tuple[str, Token]] = []
    matcher = difflib.SequenceMatcher(a=[t.key for t in old_tokens], b=[t.key for t in new_tokens], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for old_token, new_token in zip(old_tokens[i1:i2], new_tokens[j1:j2], strict=True):
                ops.extend(_same_word(old_token, new_token))
            continue
        ops.extend(("-", t) for t in old_tokens[i1:i2])
        ops.extend(("+", t) for t in new_tokens[j1:j2])
    out.extend(_emit(ops, revisions))
    out.extend(copy.deepcopy(b) for b in ends)
    return out


def _same_word(old: Token, new: Token) -> list[tuple[str, Token]]:
    """A word in both issues; only the space after it may differ ("use" ending a title that went on
    before), and then just that space is tracked, so rejecting gives back the old text exactly."""
    if old.text == new.text or old.text is None or new.text is None:
        return [("=", new)]
    word = new.text.rstrip()
    ops = [("=", dataclasses.replace(new, text=word))]
    if old.text[len(word) :]:
        ops.append(("-", dataclasses.replace(old, text=old.text[len(word) :])))
    if new.text[len(word) :]:
        ops.append(("+", dataclasses.replace(new, text=new.text[len(word) :])))
    return ops


def _record_style_change(p: etree._Element, old: etree._Element, revisions: _Revisions) -> None:
    """w:pPrChange: the paragraph's old style, so rejecting the change restores it."""
    p_pr = p.find(w("pPr"))
    assert p_pr is not None  # _new_paragraph always gives one
    found = old.find(w("pPr"))
    old_pr = copy.deepcopy(found) if found is not None else etree.Element(w("pPr"))
    for child in old_pr.findall(w("rPr")) + old_pr.findall(w("sectPr")) + old_pr.findall(w("pPrChange")):
        old_pr.remove(child)
    change = revisions.mark("pPrChange")
    change.append(old_pr)
    p_pr.append(change)


def _new_paragraph(p: etree._Element, keep_section: bool) -> etree._Element:
    """An empty paragraph with p's properties (a deleted paragraph's section break is not carried over)."""
    out = etree.Element(w("p"))
    p_pr = p.find(w("pPr"))
    p_pr = copy.deepcopy(p_pr) if p_pr is not None else etree.Element(w("pPr"))
    for child in p_pr.findall(w("pPrChange")):
        p_pr.remove(child)
    if not keep_section:
        for child in p_pr.findall(w("sectPr")):
            p_pr.remove(child)
    out.append(p_pr)
    return out


def _mark_paragraph(p: etree._Element, kind: str, revisions: _Revisions) -> None:
    """Mark the paragraph mark itself inserted or deleted (w:pPr/w:rPr/w:ins or w:del), as Word does
    for a whole paragraph: accepting a deleted one, or rejecting an inserted one, removes it."""
    p_pr = p.find(w("pPr"))
    assert p_pr is not None
    r_pr = p_pr.find(w("rPr"))
    if r_pr is None:
        r_pr = etree.Element(w("rPr"))
        # w:rPr comes after the other paragraph properties and before w:sectPr and w:pPrChange.
        later = [c for c in p_pr if c.tag in (w("sectPr"), w("pPrChange"))]
        if later:
            later[0].addprevious(r_pr)
        else:
            p_pr.append(r_pr)
    r_pr.insert(0, revisions.mark(kind))


def _keep_last_mark(blocks: list[etree._Element]) -> None:
    """The last paragraph of a body or cell keeps its mark: Word can neither delete it nor, on rejecting an
    inserted last paragraph, join it to a paragraph after it (there is none). Its words are still tracked."""
    if blocks and blocks[-1].tag == w("p"):
        for kind in ("del", "ins"):
            r_pr = blocks[-1].find(f"{w('pPr')}/{w('rPr')}")
            mark = r_pr.find(w(kind)) if r_pr is not None else None
            if r_pr is not None and mark is not None:
                r_pr.remove(mark)


# --- words --------------------------------------------------------------------------------------


@dataclass
class Token:
    """A word with the space after it, or a piece of a run that is not text (a field character, a break)."""

    text: str | None
    run_props: etree._Element | None
    link: etree._Element | None  # the w:hyperlink it sits in, if any
    element: etree._Element | None = None
    key: tuple = ()
    loose: bool = False  # paragraph content outside any run (a simple field, a content control)


_WORDS = re.compile(r"\s+|\S+\s*")


def _props_key(r_pr: etree._Element | None) -> bytes:
    return etree.tostring(r_pr, method="c14n") if r_pr is not None else b""


def _link_key(link: etree._Element | None) -> tuple:
    if link is None:
        return ()
    # A link's relationship id differs between files; its anchor (a bookmark) is what it points at.
    return tuple(sorted((k, v) for k, v in _attributes(link).items() if not k.endswith("}id")))


def _tokens(p: etree._Element) -> tuple[list[Token], list[etree._Element], list[etree._Element]]:
    """The paragraph's words and other run content, with its bookmark starts and ends set aside."""
    pieces: list[tuple[str | etree._Element, etree._Element | None, etree._Element | None]] = []
    loose: set[int] = set()  # ids of pieces outside any run
    starts: list[etree._Element] = []
    ends: list[etree._Element] = []

    def runs(container: Iterable[etree._Element], link: etree._Element | None) -> None:
        for child in container:
            if child.tag == w("r"):
                r_pr = child.find(w("rPr"))
                for part in child:
                    if part.tag == w("rPr"):
                        continue
                    if part.tag == w("t"):
                        pieces.append((part.text or "", r_pr, link))
                    elif part.tag == w("tab"):
                        pieces.append(("\t", r_pr, link))
                    else:
                        pieces.append((part, r_pr, link))
            elif child.tag == w("bookmarkStart"):
                starts.append(child)
            elif child.tag == w("bookmarkEnd"):
                ends.append(child)
            elif child.tag == w("hyperlink"):
                shell = etree.Element(child.tag, attrib=_attributes(child))
                runs(child, shell)
            elif child.tag == w("ins"):
                runs(child, link)  # a file that already holds revisions: its insertions count as text
            elif child.tag in (w("del"), w("pPr"), w("proofErr")):
                continue
            else:
                loose.add(id(child))
                pieces.append((child, None, link))

    runs(p, None)
    # Adjacent text in the same formatting is one string before it is cut into words, so a
    # paragraph written as one run compares equal to the same words written as several runs.
    merged: list[tuple[str | etree._Element, etree._Element | None, etree._Element | None]] = []
    for piece in pieces:
        if (
            merged
            and isinstance(piece[0], str)
            and isinstance(merged[-1][0], str)
            and merged[-1][2] is piece[2]
            and _props_key(merged[-1][1]) == _props_key(piece[1])
        ):
            merged[-1] = (merged[-1][0] + piece[0], merged[-1][1], merged[-1][2])
        else:
            merged.append(piece)
    tokens: list[Token] = []
    for content, r_pr, link in merged:
        props, where = _props_key(r_pr), _link_key(link)
        if isinstance(content, str):
            for word in _WORDS.findall(content):
                # Compared without the space after it: "use" ends one issue's title and goes on in the other's.
                tokens.append(Token(word, r_pr, link, key=("t", word.rstrip() or word, props, where)))
        else:
            xml = etree.tostring(content, method="c14n")
            tokens.append(
                Token(None, r_pr, link, element=content, key=("x", xml, props, where), loose=id(content) in loose)
            )
    return tokens, starts, ends


def _emit(ops: list[tuple[str, Token]], revisions: _Revisions) -> list[etree._Element]:
    """Runs for the words: unchanged as plain runs, added inside w:ins, removed inside w:del;
    words in a hyperlink stay inside one (revisions go inside the link)."""
    out: list[etree._Element] = []
    open_link: tuple[etree._Element | None, etree._Element | None] = (None, None)  # (source shell, written link)
    open_change: tuple[str, etree._Element | None, etree._Element | None] = ("", None, None)
    open_run: tuple[etree._Element | None, bytes, etree._Element | None] = (None, b"", None)

    for op, token in ops:
        link = token.link
        if op == "-" and link is not None and any(k.endswith("}id") for k in _attributes(link)):
            link = None  # removed words need no link, and the old file's relationship ids mean nothing here
        # One link in both issues stays one w:hyperlink, whichever issue's words are inside it.
        if (link is None) != (open_link[0] is None) or _link_key(link) != _link_key(open_link[0]):
            written = None
            if link is not None:
                written = etree.Element(link.tag, attrib=_attributes(link))
                out.append(written)
            open_link = (link, written)
            open_change, open_run = ("", None, None), (None, b"", None)
        parent = open_link[1] if open_link[1] is not None else None
        if op != open_change[0] or open_change[1] is not parent:
            change = revisions.mark("ins" if op == "+" else "del") if op != "=" else None
            if change is not None:
                (parent if parent is not None else _Appender(out)).append(change)
            open_change = (op, parent, change)
            open_run = (None, b"", None)
        holder = open_change[2] if open_change[2] is not None else parent
        props = _props_key(token.run_props)
        if token.loose:
            # Paragraph-level content that is not a run (a field, a content control): copied as it is
            # when kept or added; removed ones are left out, as there is no run to mark deleted.
            assert token.element is not None  # _tokens gives every loose piece its element
            if op != "-":
                (holder if holder is not None else _Appender(out)).append(copy.deepcopy(token.element))
            open_run = (None, b"", None)
            continue
        if open_run[0] is None or open_run[1] != props or open_run[2] is not holder:
            run = etree.Element(w("r"))
            if token.run_props is not None:
                run.append(copy.deepcopy(token.run_props))
            (holder if holder is not None else _Appender(out)).append(run)
            open_run = (run, props, holder)
        current = open_run[0]
        assert current is not None  # set just above when there was none
        if token.text is not None:
            _append_text(current, token.text, deleted=op == "-")
        else:
            assert token.element is not None
            element = copy.deepcopy(token.element)
            if op == "-" and element.tag == w("instrText"):
                element.tag = w("delInstrText")
            current.append(element)
    return out


class _Appender:
    """Appends to the paragraph's list of children when there is no enclosing element."""

    def __init__(self, items: list[etree._Element]) -> None:
        self.items = items

    def append(self, element: etree._Element) -> None:
        self.items.append(element)


def _append_text(run: etree._Element, text: str, deleted: bool) -> None:
    tag = w("delText") if deleted else w("t")
    for k, part in enumerate(text.split("\t")):
        if k:
            run.append(etree.Element(w("tab")))
        if not part:
            continue
        last = run[-1] if len(run) else None
        if last is not None and last.tag == tag:
            last.text = (last.text or "") + part
        else:
            node = etree.SubElement(run, tag)
            node.text = part
            node.set(XML_SPACE, "preserve")


# --- the package --------------------------------------------------------------------------------

SETTINGS = "word/settings.xml"
# The settings that come before w:trackRevisions in Word's schema (CT_Settings is a sequence).
_BEFORE_TRACKING = {
    w(name)
    for name in (
        "writeProtection view zoom removePersonalInformation removeDateAndTime doNotDisplayPageBoundaries "
        "displayBackgroundShape printPostScriptOverText printFractionalCharacterWidth printFormsData "
        "embedTrueTypeFonts embedSystemFonts saveSubsetFonts saveFormsData mirrorMargins alignBordersAndEdges "
        "bordersDoNotSurroundHeader bordersDoNotSurroundFooter gutterAtTop hideSpellingErrors "
        "hideGrammaticalErrors activeWritingStyle proofState formsDesign attachedTemplate linkStyles "
        "stylePaneFormatFilter stylePaneSortMethod documentType mailMerge revisionView"
    ).split()
}


def _track_revisions(settings: bytes) -> bytes:
    """Switch on Track Changes, so a reviewer's own edits to the redline are tracked too."""
    root = etree.fromstring(settings)
    if root.find(w("trackRevisions")) is not None:
        return settings
    at = 0
    for index, child in enumerate(root):
        if child.tag in _BEFORE_TRACKING:
            at = index + 1
    root.insert(at, etree.Element(w("trackRevisions")))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _repackage(new_package: zipfile.ZipFile, document: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in new_package.infolist():
            if item.filename == MANIFEST_PART:
                continue
            data = new_package.read(item.filename)
            if item.filename == DOCUMENT:
                data = document
            elif item.filename == SETTINGS:
                data = _track_revisions(data)
            elif item.filename == RELS:
                data = re.sub(
                    rb"<Relationship [^>]*Target=\"\.\./" + re.escape(MANIFEST_PART.encode()) + rb"\"/>", b"", data
                )
            target.writestr(item, data)
    return out.getvalue()
