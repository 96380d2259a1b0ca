"""Policy, staff summary and leaflet as Word documents, built with python-docx.

The only module (with docx_check.py) that touches Word XML. Each document is
built on a reference template: the bundled templates/reference.docx (made by
scripts/make_reference_docx.py) or the employer's own, via --reference-docx or
`document.reference_docx`. The template's body is cleared and its styles,
page set-up, headers and logo are kept. Text gets only styles (Title,
Heading 1-3, List Bullet, List Number, Strong, Table Grid ...), never direct
formatting, so the employer's template decides how everything looks. A style
the employer's template lacks is copied in from the bundled one.

Building and saving are separate (`policy_document` then `to_bytes`) so a
later step can add to the document, such as custom properties, before saving.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.exceptions import PackageNotFoundError
from docx.opc.packuri import PackURI
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.parts.numbering import NumberingPart
from docx.styles.style import BaseStyle, StyleFactory
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml.etree import SubElement
from markdown_it import MarkdownIt

from ..errors import PolicyBuilderError, display_path
from ..library import PACKAGE_ROOT
from ..models import Policy
from .markdown import parts, render_annex, render_guide
from .summary import Handout

REFERENCE_DOCX = PACKAGE_ROOT / "templates" / "reference.docx"

_md = MarkdownIt("commonmark")
_W_R, _W_RPR, _W_RSTYLE, _W_T, _W_VAL, _W_PPR, _W_PSTYLE = (
    qn(tag) for tag in ("w:r", "w:rPr", "w:rStyle", "w:t", "w:val", "w:pPr", "w:pStyle")
)
_XML_SPACE = qn("xml:space")
# Characters XML 1.0 cannot hold (Word refuses a file that contains them), and DEL, which the
# Markdown output leaves out too; the build names the answers that lost any (templating.unshowable_note).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_TEMPLATE_TYPE = b"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
_DOCUMENT_TYPE = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"

UPDATE_FIELDS_NOTE = (
    "The contents list is a Word field. If it is out of date or shows no page numbers, "
    "right-click it and choose Update Field (or press F9) before you publish this policy."
)


_DIGIT_SPACE = re.compile(r"(?<=\d) (?=\d)")


def clean(text: str) -> str:
    """Text Word can hold; a phone number such as 020 8496 0000 is never split across lines."""
    return _DIGIT_SPACE.sub("\u00a0", _XML_ILLEGAL.sub("", text))


def clause_bookmark(clause_id: str) -> str:
    """The Word bookmark for a clause id: 'messaging.keep-in-touch-only' -> 'messaging_keep_in_touch_only'.

    Word bookmark names start with a letter, hold only letters, digits and
    underscores, and have at most 40 characters; a longer id keeps its start
    and gains a short hash so it stays unique and stable.
    """
    name = re.sub(r"[^A-Za-z0-9]", "_", clause_id)
    if not name[:1].isalpha():
        name = "c_" + name
    if len(name) > 40:
        name = name[:31] + "_" + hashlib.sha1(clause_id.encode()).hexdigest()[:8]
    return name


def section_bookmark(section_id: str) -> str:
    return clause_bookmark(f"section.{section_id}")


# --- the template ---------------------------------------------------------------------------


def open_template(reference_docx: Path | None = None) -> DocxDocument:
    """The employer's (or the bundled) template, body cleared, styles and headers kept."""
    path = Path(reference_docx) if reference_docx else REFERENCE_DOCX
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PolicyBuilderError(f"{display_path(path)}: Word template not found") from None
    except OSError as exc:
        raise PolicyBuilderError(f"{display_path(path)}: cannot read the Word template ({exc.strerror})") from None
    try:
        document = Document(io.BytesIO(_as_document(data, path)))
    except PolicyBuilderError:
        raise
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, SyntaxError) as exc:
        # lxml's XMLSyntaxError is a SyntaxError; python-docx raises ValueError for other file types.
        raise PolicyBuilderError(
            f"{display_path(path)}: not a Word document or template that can be read ({_short_reason(exc)}); "
            "open it in Word and save it as a Word Document (.docx) or Word Template (.dotx)"
        ) from None
    body = document.element.body
    for element in list(body):
        if element.tag != qn("w:sectPr"):  # keep the page set-up, headers and footers
            body.remove(element)
    return document


def _short_reason(exc: Exception) -> str:
    text = str(exc).split("\n")[0]
    if isinstance(exc, zipfile.BadZipFile):
        return "it is not a .docx file"
    if "content type is" in text:
        return "it is not a Word document"
    return text[:80] or type(exc).__name__


def _as_document(data: bytes, path: Path) -> bytes:
    """A .dotx template is a .docx with another content type: rewrite it so python-docx opens it."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        types = archive.read("[Content_Types].xml")
        if b"macroEnabled" in types:
            raise PolicyBuilderError(
                f"{display_path(path)}: a macro-enabled Word file cannot be used as a template; "
                "save it as a Word Document (.docx) or Word Template (.dotx)"
            )
        if _TEMPLATE_TYPE not in types:
            return data
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in archive.infolist():
                content = archive.read(info.filename)
                if info.filename == "[Content_Types].xml":
                    content = content.replace(_TEMPLATE_TYPE, _DOCUMENT_TYPE)
                target.writestr(info, content)
        return out.getvalue()


@cache
def _bundled_reference() -> DocxDocument:
    return Document(str(REFERENCE_DOCX))


class Styles:
    """The styles the documents use, found by their built-in name; missing ones are copied from the bundle."""

    def __init__(self, document: DocxDocument) -> None:
        self.document = document
        self._found: dict[str, BaseStyle] = {}

    def __call__(self, name: str) -> BaseStyle:
        key = name.lower()
        if key not in self._found:
            element = _style_element(self.document.styles.element, name)
            if element is None:
                element = self._copy_from_bundle(name)
            self._found[key] = StyleFactory(element)
        return self._found[key]

    def id(self, name: str) -> str:
        return self(name).style_id

    def _copy_from_bundle(self, name: str):  # type: ignore[no-untyped-def]
        source = _style_element(_bundled_reference().styles.element, name)
        if source is None:  # pragma: no cover - the bundled template has every style the renderer names
            raise PolicyBuilderError(
                f"templates/reference.docx has no '{name}' style; run scripts/make_reference_docx.py"
            )
        target_styles = self.document.styles.element
        element = copy.deepcopy(source)
        based = element.find(qn("w:basedOn"))
        if based is not None:
            base_name = _style_name(_style_by_id(_bundled_reference().styles.element, based.get(qn("w:val"))))
            based.set(qn("w:val"), self(base_name).style_id if base_name else "Normal")
        for tag in ("w:link", "w:next"):
            extra = element.find(qn(tag))
            if extra is not None:
                element.remove(extra)
        if element.get(qn("w:default")):
            del element.attrib[qn("w:default")]
        run_properties = element.find(qn("w:rPr"))
        if run_properties is not None:
            # Keep bold or italic, but take the font, size and colour from the employer's own styles.
            for tag in ("w:rFonts", "w:color", "w:sz", "w:szCs", "w:lang"):
                found = run_properties.find(qn(tag))
                if found is not None:
                    run_properties.remove(found)
        num_id = element.find(f"{qn('w:pPr')}/{qn('w:numPr')}/{qn('w:numId')}")
        if num_id is not None:
            num_id.set(qn("w:val"), str(self._copy_numbering(int(num_id.get(qn("w:val"))))))
        style_id = element.get(qn("w:styleId"))
        while _style_by_id(target_styles, style_id) is not None:
            style_id += "1"
        element.set(qn("w:styleId"), style_id)
        target_styles.append(element)
        return element

    def _copy_numbering(self, num_id: int) -> int:
        """Copy a list definition from the bundled template; the new numId."""
        source = _bundled_reference().part.numbering_part.element
        num = source.num_having_numId(num_id)
        abstract_id = num.abstractNumId.val
        abstract = next(
            a for a in source.findall(qn("w:abstractNum")) if a.get(qn("w:abstractNumId")) == str(abstract_id)
        )
        target = numbering(self.document)
        ids = [int(a.get(qn("w:abstractNumId"))) for a in target.findall(qn("w:abstractNum"))]
        new_abstract = copy.deepcopy(abstract)
        new_abstract.set(qn("w:abstractNumId"), str(max(ids, default=-1) + 1))
        first_num = target.find(qn("w:num"))
        if first_num is not None:
            first_num.addprevious(new_abstract)  # all abstractNum elements come before the num elements
        else:
            target.append(new_abstract)
        return int(target.add_num(int(new_abstract.get(qn("w:abstractNumId")))).numId)


def numbering(document: DocxDocument):  # type: ignore[no-untyped-def]
    """The document's numbering definitions, creating the part if the template has none."""
    part = document.part
    try:
        return part.part_related_by(RT.NUMBERING).element
    except KeyError:
        element = parse_xml(f"<w:numbering {nsdecls('w')}/>")
        numbering_part = NumberingPart(PackURI("/word/numbering.xml"), CT.WML_NUMBERING, element, part.package)
        part.relate_to(numbering_part, RT.NUMBERING)
        return numbering_part.element


def _style_name(element) -> str | None:  # type: ignore[no-untyped-def]
    if element is None:
        return None
    name = element.find(qn("w:name"))
    return name.get(qn("w:val")) if name is not None else None


def _style_element(styles, name: str):  # type: ignore[no-untyped-def]
    """A style by its built-in name, ignoring case ('heading 1' is 'Heading 1' in Word's UI)."""
    wanted = name.lower()
    for element in styles.findall(qn("w:style")):
        if (_style_name(element) or "").lower() == wanted:
            return element
    return None


def _style_by_id(styles, style_id: str | None):  # type: ignore[no-untyped-def]
    for element in styles.findall(qn("w:style")):
        if element.get(qn("w:styleId")) == style_id:
            return element
    return None


# --- writing ----------------------------------------------------------------------------


class Writer:
    """Adds styled blocks to a document; keeps the bookmark and list counters."""

    def __init__(self, document: DocxDocument) -> None:
        self.document = document
        self.style = Styles(document)
        self._bookmark_id = 0
        self._lists = _ListNumbering(document, self.style)

    # paragraphs
    def paragraph(self, text: str = "", style: str = "Normal") -> Paragraph:
        # Built with lxml and placed before the body's section properties, as add_paragraph would;
        # python-docx's own path re-reads the styles and the body's children for every paragraph.
        p = OxmlElement("w:p")
        SubElement(SubElement(p, _W_PPR), _W_PSTYLE).set(_W_VAL, self.style.id(style))
        body = self.document.element.body
        section_properties = body.sectPr
        if section_properties is not None:
            section_properties.addprevious(p)
        else:
            body.append(p)
        paragraph = Paragraph(p, self.document._body)
        if text:
            self.run(paragraph, text)
        return paragraph

    def heading(self, text: str, level: int, bookmark: str | None = None) -> Paragraph:
        paragraph = self.paragraph(text, "Title" if level == 0 else f"heading {level}")
        if bookmark:
            self.bookmark(paragraph, bookmark)
        return paragraph

    def bookmark(self, paragraph: Paragraph, name: str) -> None:
        """Wrap the paragraph's content in a bookmark, so it can be linked to."""
        self._bookmark_id += 1
        start = OxmlElement("w:bookmarkStart")
        start.set(qn("w:id"), str(self._bookmark_id))
        start.set(qn("w:name"), name)
        end = OxmlElement("w:bookmarkEnd")
        end.set(qn("w:id"), str(self._bookmark_id))
        p = paragraph._p
        p_pr = p.find(qn("w:pPr"))
        if p_pr is not None:
            p_pr.addnext(start)
        else:
            p.insert(0, start)
        p.append(end)

    def run(self, paragraph: Paragraph, text: str, style: str | None = None) -> None:
        # Built with lxml directly: python-docx's Run.text setter costs a third of a policy's render time.
        r = SubElement(paragraph._p, _W_R)
        if style:
            SubElement(SubElement(r, _W_RPR), _W_RSTYLE).set(_W_VAL, self.style.id(style))
        t = SubElement(r, _W_T)
        t.set(_XML_SPACE, "preserve")
        t.text = clean(text)

    def table(self, header: list[str], rows: Iterable[Iterable[str]], widths: list[int] | None = None) -> Table:
        """A table whose first row is a real header row; `widths` are percentages of the text width.

        Built with lxml, as python-docx would build it: its add_row and cell.text
        cost half the render time of the sources annex's clause table.
        """
        section = self.document.sections[-1]
        text_width = section.page_width - section.left_margin - section.right_margin
        percents = widths or [100 / len(header)] * len(header)
        twips = [str(int(text_width * percent / 100) // 635) for percent in percents]  # EMU -> twentieths of a point
        tbl = OxmlElement("w:tbl")
        tbl_pr = SubElement(tbl, qn("w:tblPr"))
        SubElement(tbl_pr, qn("w:tblStyle")).set(_W_VAL, self.style.id("Table Grid"))
        tbl_w = SubElement(tbl_pr, qn("w:tblW"))
        tbl_w.set(qn("w:type"), "auto")
        tbl_w.set(qn("w:w"), "0")
        look = SubElement(tbl_pr, qn("w:tblLook"))
        for name, value in (("firstColumn", "1"), ("firstRow", "1"), ("lastColumn", "0"), ("lastRow", "0")):
            look.set(qn(f"w:{name}"), value)
        look.set(qn("w:noHBand"), "0")
        look.set(qn("w:noVBand"), "1")
        look.set(_W_VAL, "04A0")
        grid = SubElement(tbl, qn("w:tblGrid"))
        for width in twips:
            SubElement(grid, qn("w:gridCol")).set(qn("w:w"), width)
        for index, cells in enumerate([header, *rows]):
            tr = SubElement(tbl, qn("w:tr"))
            if widths or index == 0:
                tr_pr = SubElement(tr, qn("w:trPr"))
                if widths:
                    SubElement(tr_pr, qn("w:cantSplit"))  # a row is never split across two pages
                if index == 0:
                    # The header row: screen readers announce it and it repeats on each page.
                    SubElement(tr_pr, qn("w:tblHeader")).set(_W_VAL, "true")
            texts = list(cells)
            if len(texts) != len(twips):
                raise ValueError(f"a table row has {len(texts)} cells, the header {len(twips)}")
            for text, width in zip(texts, twips, strict=True):
                tc = SubElement(tr, qn("w:tc"))
                tc_w = SubElement(SubElement(tc, qn("w:tcPr")), qn("w:tcW"))
                tc_w.set(qn("w:type"), "dxa")
                tc_w.set(qn("w:w"), width)
                run = SubElement(SubElement(SubElement(tc, qn("w:p")), _W_R), _W_T)
                run.set(_XML_SPACE, "preserve")
                run.text = clean(text)
        body = self.document.element.body
        section_properties = body.sectPr
        if section_properties is not None:
            section_properties.addprevious(tbl)
        else:
            body.append(tbl)
        return Table(tbl, self.document._body)

    def markdown(self, text: str) -> None:
        """Markdown paragraphs and lists -> Word paragraphs with list styles and Strong/Emphasis runs."""
        list_stack: list[tuple[str, int | None]] = []
        for token in _md.parse(text):
            if token.type == "bullet_list_open":
                list_stack.append(("bullet", None))
            elif token.type == "ordered_list_open":
                list_stack.append(("number", self._lists.restart()))
            elif token.type in ("bullet_list_close", "ordered_list_close"):
                list_stack.pop()
            elif token.type == "inline":
                if list_stack:
                    kind, num_id = list_stack[-1]
                    depth = len(list_stack)
                    base = "List Bullet" if kind == "bullet" else "List Number"
                    paragraph = self.paragraph(style=base if depth == 1 else f"{base} {min(depth, 3)}")
                    if num_id is not None and depth == 1:
                        _use_numbering(paragraph, num_id)
                else:
                    paragraph = self.paragraph()
                self.inline(paragraph, token.children or [])

    def inline(self, paragraph: Paragraph, children) -> None:  # type: ignore[no-untyped-def]
        bold = italic = False
        for child in children:
            kind = child.type
            if kind == "strong_open":
                bold = True
            elif kind == "strong_close":
                bold = False
            elif kind == "em_open":
                italic = True
            elif kind == "em_close":
                italic = False
            elif kind in ("text", "code_inline", "html_inline") and child.content:
                self.run(paragraph, child.content, "Strong" if bold else "Emphasis" if italic else None)
            elif kind == "softbreak":
                paragraph.add_run(" ")
            elif kind == "hardbreak":
                paragraph.add_run().add_break()

    # fields
    def contents(self, entries: list[tuple[str, str]]) -> None:
        """A real TOC field (Word rebuilds it, with page numbers), pre-filled with links to the sections.

        The pre-filled entries carry no page numbers: they are not known until
        the document is laid out, and a wrong number is worse than none.
        """
        for index, (text, bookmark) in enumerate(entries):
            p = self.paragraph(style="toc 1")._p
            if index == 0:
                _field_char(p, "begin", dirty=True)
                _instruction(p, ' TOC \\o "1-1" \\h \\z \\u ')
                _field_char(p, "separate")
            link = OxmlElement("w:hyperlink")
            link.set(qn("w:anchor"), bookmark)
            link.set(qn("w:history"), "1")
            _text_run(link, clean(text))
            p.append(link)
            if index == len(entries) - 1:
                _field_char(p, "end")

    def page_x_of_y(self, paragraph: Paragraph) -> None:
        paragraph.add_run("Page ")
        _simple_field(paragraph._p, "PAGE", "1")
        paragraph.add_run(" of ")
        _simple_field(paragraph._p, "NUMPAGES", "1")


def _field_char(parent, kind: str, dirty: bool = False) -> None:  # type: ignore[no-untyped-def]
    run = OxmlElement("w:r")
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    if dirty:
        char.set(qn("w:dirty"), "true")  # Word rebuilds a dirty field when it opens the file
    run.append(char)
    parent.append(run)


def _instruction(parent, text: str) -> None:  # type: ignore[no-untyped-def]
    run = OxmlElement("w:r")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = text
    run.append(instr)
    parent.append(run)


def _text_run(parent, text: str) -> None:  # type: ignore[no-untyped-def]
    run = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.set(qn("xml:space"), "preserve")
    t.text = text
    run.append(t)
    parent.append(run)


def _simple_field(parent, instruction: str, cached: str) -> None:  # type: ignore[no-untyped-def]
    _field_char(parent, "begin")
    _instruction(parent, f" {instruction} ")
    _field_char(parent, "separate")
    _text_run(parent, cached)
    _field_char(parent, "end")


class _ListNumbering:
    """Each numbered list restarts at 1 (python-docx shares one count by default)."""

    def __init__(self, document: DocxDocument, style: Styles) -> None:
        self.document = document
        self.style = style
        self._base: int | None | bool = False  # not looked up yet

    def restart(self) -> int | None:
        if self._base is False:
            p_pr = self.style("List Number").element.pPr
            num_pr = p_pr.numPr if p_pr is not None else None
            self._base = num_pr.numId.val if num_pr is not None and num_pr.numId is not None else None
        if self._base is None:
            return None
        definitions = numbering(self.document)
        base = definitions.num_having_numId(self._base)
        num = definitions.add_num(base.abstractNumId.val)
        override = num.add_lvlOverride(ilvl=0)
        override.add_startOverride(1)
        return int(num.numId)


def _use_numbering(paragraph: Paragraph, num_id: int) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    num_pr = p_pr.get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = num_id


# --- document properties, header and footer --------------------------------------------------


def set_properties(
    document: DocxDocument, *, title: str, subject: str, author: str, category: str, date: dt.date
) -> None:
    """Title, subject and language are what screen readers and search show first."""
    props = document.core_properties
    props.title = clean(title)
    props.subject = clean(subject)
    props.author = clean(author)
    props.category = category
    props.language = "en-GB"
    props.keywords = "social media; social work; acceptable use"
    props.comments = ""
    props.last_modified_by = "policy-builder"
    props.revision = 1
    moment = dt.datetime(date.year, date.month, date.day, 9, 0, 0)
    props.created = props.modified = moment
    # Body text language: UK English for spell checking and screen readers.
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        document.styles.element.insert(0, defaults)
    rpr_default = defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        rpr_default = OxmlElement("w:rPrDefault")
        defaults.insert(0, rpr_default)
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        rpr_default.append(rpr)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-GB")


def set_header_footer(writer: Writer, marking: str | None, page_numbers: bool, *, draft: bool = False) -> None:
    """Marking centred at the top and bottom of every page, 'Page X of Y' in the footer.

    Added to whatever the template's header and footer already hold (a logo,
    an address), in the template's Header and Footer styles.
    """
    document = writer.document
    section = document.sections[0]
    headers, footers = [section.header], [section.footer]
    if section.different_first_page_header_footer:
        headers.append(section.first_page_header)
        footers.append(section.first_page_footer)
    if document.settings.odd_and_even_pages_header_footer:
        headers.append(section.even_page_header)
        footers.append(section.even_page_footer)
    # A draft says so at the top of every page, beside the marking, so no printed page passes for the issued policy.
    top = " - ".join(part for part in ("DRAFT" if draft else None, marking) if part)
    for header in headers:
        if top:
            _line(header, writer.style("header")).add_run(top)
    for footer in footers:
        if marking:
            _line(footer, writer.style("footer")).add_run(marking)
        if page_numbers and "PAGE" not in _field_codes(footer._element):
            writer.page_x_of_y(_line(footer, writer.style("footer")))


def _line(part, style: BaseStyle) -> Paragraph:  # type: ignore[no-untyped-def]
    """An empty paragraph of the header or footer to write in, or a new one after its content."""
    for paragraph in part.paragraphs:
        p = paragraph._p
        if not paragraph.text and not p.findall(f".//{qn('w:drawing')}") and not p.findall(f".//{qn('w:pict')}"):
            if not p.findall(f".//{qn('w:fldChar')}") and not p.findall(f".//{qn('w:fldSimple')}"):
                paragraph.style = style
                return paragraph
    return part.add_paragraph(style=style)


def _field_codes(element) -> str:  # type: ignore[no-untyped-def]
    codes = [t.text or "" for t in element.iter(qn("w:instrText"))]
    codes += [f.get(qn("w:instr"), "") for f in element.iter(qn("w:fldSimple"))]
    return " ".join(codes)


def to_bytes(document: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- the policy -----------------------------------------------------------------------------


def policy_document(policy: Policy, reference_docx: Path | None = None) -> DocxDocument:
    """The policy as a python-docx Document, not yet saved."""
    document = open_template(reference_docx)
    writer = Writer(document)
    set_properties(
        document,
        title=policy.title,
        subject=f"{policy.title} for {policy.organisation}",
        author=policy.organisation,
        category="Policy",
        date=policy.answers.build_date,
    )
    set_header_footer(writer, policy.marking, page_numbers=True, draft=policy.draft.is_draft)
    _cover(writer, policy)

    shared = parts()  # the sentences the Markdown policy uses too (templates/_parts.md.j2)
    documents_number = len(policy.sections) + 1
    documents_heading = f"{documents_number}. {shared.documents_heading}"
    entries = [(f"{s.number}. {s.title}", section_bookmark(s.id)) for s in policy.sections]
    entries.append((documents_heading, section_bookmark("documents")))
    writer.paragraph("Contents", "TOC Heading")  # the template starts it on a new page
    writer.contents(entries)
    writer.paragraph(UPDATE_FIELDS_NOTE)
    if policy.draft.open_questions:
        writer.run(writer.paragraph(), "Questions still to decide before this policy can be issued", "Strong")
        for question in policy.draft.open_questions:
            writer.paragraph(question.prompt, "List Bullet")

    for section in policy.sections:
        writer.heading(f"{section.number}. {section.title}", 1, bookmark=section_bookmark(section.id))
        if section.intro:
            writer.markdown(section.intro)
        for clause in section.clauses:
            writer.heading(f"{clause.number} {clause.title}", 2, bookmark=clause_bookmark(clause.id))
            writer.markdown(clause.text)
            if clause.guide_ref:
                writer.markdown(str(shared.guide_pointer(clause.guide_ref)))
            if clause.local:
                # The employer's own wording is marked as theirs, as in the Markdown policy.
                how = "added" if clause.local == "added" else "replacing the standard clause"
                reason = f": {clause.local_reason}" if clause.local_reason else ""
                writer.run(writer.paragraph(), f"Local wording {how} by {policy.short_name}{reason}.", "Emphasis")

    writer.heading(documents_heading, 1, bookmark=section_bookmark("documents"))
    writer.markdown(str(shared.documents_intro(policy)))
    writer.markdown(str(shared.documents_list(policy.sources)))
    return document


def _cover(writer: Writer, policy: Policy) -> None:
    """Title, employer, what the policy is and how to get it in another format; the document control table."""
    writer.heading(policy.title, 0)
    writer.paragraph(policy.organisation, "Subtitle")
    if policy.draft.is_draft:
        writer.run(writer.paragraph(), "DRAFT: not for issue.", "Strong")
        count = len(policy.draft.open_questions)
        if count:
            # Listed after the contents, so a long list never pushes the document control off the cover.
            writer.paragraph(
                f"{count} question{'s are' if count != 1 else ' is'} still to decide before it can be issued: "
                "see the list after the contents."
            )
        if policy.draft.unapproved:
            writer.paragraph("No approver is recorded: it is not yet approved.")
    writer.paragraph("Acceptable use of social media, messaging and video by social work and social care staff.")
    formats = next((c for c in policy.clauses if c.id == "review.accessible-formats"), None)
    where = f", as clause {formats.number} says" if formats else ""
    owner = dict(policy.document_control).get("Owner")
    writer.paragraph(
        "This policy is available in other formats, such as large print, easy read, audio or another "
        f"language. To ask for one, contact the policy owner{f' ({owner})' if owner else ''}{where}."
    )
    writer.heading("Document control", 1, bookmark="document_control")
    writer.table(["Item", "Detail"], policy.document_control, widths=[30, 70])
    if policy.history:
        writer.heading("Version history", 2)
        writer.table(
            ["Version", "Date", "Summary"],
            [(entry.version, entry.date, entry.summary) for entry in policy.history],
            widths=[15, 25, 60],
        )
    if policy.changes_since:
        writer.heading("Summary of changes", 2)
        writer.markdown(policy.changes_since)


def render_docx(policy: Policy, reference_docx: Path | None = None, manifest: dict[str, Any] | None = None) -> bytes:
    document = policy_document(policy, reference_docx)
    if manifest is not None:
        attach_manifest(document, manifest)
    return to_bytes(document)


def attach_manifest(document: DocxDocument, manifest: dict[str, Any]) -> None:
    """The build manifest as a custom XML part, added before saving (one zip pass, not two)."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    from .docx_manifest import PART, manifest_xml

    part = Part(PackURI("/" + PART), "application/xml", manifest_xml(manifest), document.part.package)
    document.part.relate_to(part, RELATIONSHIP_TYPE.CUSTOM_XML)


# --- the practice guide and the sources annex -------------------------------------------------

_GUIDE_TITLE = "Practice guide"
_ANNEX_TITLE = "Sources annex"
_TABLE_WIDTHS = {2: [30, 70], 3: [12, 48, 40]}
_NUMBERED_HEADING = re.compile(r"^(G?\d+[A-Z]?(?:\.\d+)?)\.? ")


def render_guide_docx(policy: Policy, reference_docx: Path | None = None) -> bytes:
    """The practice guide in Word: the same template, cover style, header and footer as the policy."""
    markdown = render_guide(policy, word=True)
    return to_bytes(companion_document(policy, markdown, _GUIDE_TITLE, reference_docx))


def render_annex_docx(policy: Policy, reference_docx: Path | None = None) -> bytes:
    markdown = render_annex(policy, word=True)
    return to_bytes(companion_document(policy, markdown, _ANNEX_TITLE, reference_docx))


def companion_document(policy: Policy, markdown: str, category: str, reference_docx: Path | None) -> DocxDocument:
    """A document written out from its template's Markdown: '#' is the Title, '##' Heading 1, '###' Heading 2.

    All its words come from the template (templates/practice-guide.md.j2,
    templates/sources-annex.md.j2); this only maps blocks to Word styles. A
    "Contents" heading becomes a contents field over the numbered sections.
    """
    document = open_template(reference_docx)
    writer = Writer(document)
    title = f"{category}: {policy.title}"
    set_properties(
        document,
        title=title,
        subject=f"{title} for {policy.organisation}",
        author=policy.organisation,
        category=category,
        date=policy.answers.build_date,
    )
    set_header_footer(writer, policy.marking, page_numbers=True, draft=policy.draft.is_draft)
    tokens = _report_md.parse(markdown)
    headings = [
        (int(token.tag[1]), tokens[index + 1].content)
        for index, token in enumerate(tokens)
        if token.type == "heading_open"
    ]
    level: int | None = None
    lists: list[str] = []
    skip_list = False  # the Markdown contents list, replaced by the field
    in_title = False  # the title was the last block written: a bold line after it is the subtitle
    header: list[str] = []
    rows: list[list[str]] = []
    row: list[str] = []
    in_table = False
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            level = int(token.tag[1])
            skip_list = False
        elif kind == "heading_close":
            level = None
        elif kind in ("bullet_list_open", "ordered_list_open"):
            lists.append("List Bullet" if kind == "bullet_list_open" else "List Number")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "table_open":
            in_table, header, rows = True, [], []
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close":
            if not header:
                header = row
            else:
                rows.append(row)
        elif kind == "table_close":
            in_table = False
            writer.table(header, rows, widths=_TABLE_WIDTHS.get(len(header)))
        elif kind != "inline":
            continue
        elif in_table:
            row.append("".join(c.content for c in token.children or [] if c.type in ("text", "code_inline")))
        elif level is not None:
            text = token.content.replace("\\", "")
            if level == 2 and text == "Contents":
                writer.paragraph("Contents", "TOC Heading")
                after = headings[headings.index((2, token.content)) + 1 :]
                writer.contents([(t, _heading_bookmark(t)) for lv, t in after if lv == 2 and _heading_bookmark(t)])
                writer.paragraph(UPDATE_FIELDS_NOTE)
                skip_list = True
                continue
            in_title = level == 1
            paragraph = writer.paragraph(style="Title" if level == 1 else f"heading {level - 1}")
            writer.inline(paragraph, token.children or [])
            name = _heading_bookmark(paragraph.text) if level > 1 else None
            if name:
                writer.bookmark(paragraph, name)
        elif skip_list and lists:
            continue
        elif in_title and not lists and _all_strong(token.children or []):
            # The bold line under the title names the employer: the Subtitle, as on the policy's cover.
            writer.paragraph("".join(c.content for c in token.children or [] if c.type == "text"), "Subtitle")
            in_title = False
        else:
            in_title = False
            depth = len(lists)
            style = "Normal" if not depth else lists[-1] if depth == 1 else f"{lists[-1]} {min(depth, 3)}"
            writer.inline(writer.paragraph(style=style), token.children or [])
    return document


def _all_strong(children) -> bool:  # type: ignore[no-untyped-def]
    """A paragraph that is one bold run ('**London Borough of Eastbrook**')."""
    kinds = [c.type for c in children if c.type != "text" or c.content]
    return kinds == ["strong_open", "text", "strong_close"]


def _heading_bookmark(text: str) -> str | None:
    """'4. Personal use' -> a bookmark for guide section 4; 'G4.1 ...' -> one for guide clause G4.1."""
    match = _NUMBERED_HEADING.match(text)
    return clause_bookmark(f"part.{match.group(1)}") if match else None


# --- the staff summary and the leaflet ------------------------------------------------------

HANDOUT_CATEGORIES = {"staff-summary": "Staff summary", "leaflet": "Leaflet"}


def handout_document(handout: Handout, reference_docx: Path | None = None) -> DocxDocument:
    """A staff summary or leaflet on the same template as the policy."""
    document = open_template(reference_docx)
    writer = Writer(document)
    set_properties(
        document,
        title=handout.title,
        subject=handout.subject,
        author=handout.organisation,
        category=HANDOUT_CATEGORIES[handout.kind],
        date=handout.date,
    )
    # The one-page leaflet needs no page numbers; the staff card may run to two pages.
    set_header_footer(writer, handout.marking, page_numbers=handout.kind != "leaflet", draft=handout.draft)
    writer.heading(handout.title, 0)
    writer.paragraph(handout.organisation, "Subtitle")
    if handout.draft and handout.kind != "leaflet":  # the one-page leaflet says DRAFT in its header
        from .summary import draft_note

        writer.run(writer.paragraph(), draft_note(handout), "Strong")
    for kind, text in handout.blocks:
        if kind == "heading":
            writer.heading(text, 1)
        elif kind == "bullet":
            writer.markdown(f"- {text}")
        else:
            writer.markdown(text)
    return document


def render_handout_docx(handout: Handout, reference_docx: Path | None = None) -> bytes:
    return to_bytes(handout_document(handout, reference_docx))


_report_md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
DELETED_STYLE = "Deleted Text"


def render_report_docx(markdown: str, title: str, author: str) -> bytes:
    """A Markdown report (the summary of changes for a board) on the policy's template.

    Removed words use a "Deleted Text" character style (struck through), added
    words the Strong style: styles, so an employer template can restyle them.
    """
    document = open_template(None)
    writer = Writer(document)
    set_properties(
        document, title=title, subject=title, author=author, category="Summary of changes", date=dt.date.today()
    )
    _ensure_deleted_style(document)
    tokens = _report_md.parse(markdown)
    heading_level: int | None = None
    in_list = False
    header: list[str] = []
    rows: list[list[str]] = []
    row: list[str] = []
    in_table = False
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            heading_level = int(token.tag[1]) - 1
        elif kind == "heading_close":
            heading_level = None
        elif kind == "bullet_list_open":
            in_list = True
        elif kind == "bullet_list_close":
            in_list = False
        elif kind == "table_open":
            in_table, header, rows = True, [], []
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close":
            if not header:
                header = row
            else:
                rows.append(row)
        elif kind == "table_close":
            in_table = False
            writer.table(header, rows)
        elif kind == "inline":
            if in_table:
                row.append(token.content.replace("\\|", "|").replace("`", ""))
            elif heading_level is not None:
                writer.heading(token.content, heading_level)
            else:
                paragraph = writer.paragraph(style="List Bullet" if in_list else "Normal")
                _report_inline(writer, paragraph, token.children or [])
    return to_bytes(document)


def _ensure_deleted_style(document: DocxDocument) -> None:
    from docx.enum.style import WD_STYLE_TYPE

    if DELETED_STYLE not in [s.name for s in document.styles]:
        style = document.styles.add_style(DELETED_STYLE, WD_STYLE_TYPE.CHARACTER)
        style.font.strike = True


def _report_inline(writer: Writer, paragraph: Paragraph, children) -> None:  # type: ignore[no-untyped-def]
    style: str | None = None
    for child in children:
        if child.type == "strong_open":
            style = "Strong"
        elif child.type == "s_open":
            style = DELETED_STYLE
        elif child.type in ("strong_close", "s_close"):
            style = None
        elif child.type in ("text", "code_inline") and child.content:
            run = paragraph.add_run(clean(child.content))
            if style == DELETED_STYLE:
                run.style = writer.document.styles[DELETED_STYLE]
            elif style:
                run._r.style = writer.style.id(style)
        elif child.type == "softbreak":
            paragraph.add_run(" ")
