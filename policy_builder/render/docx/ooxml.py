"""Word XML helpers: text Word can hold, bookmarks, fields, list numbering, properties, header and footer.

Written with lxml where python-docx's own path is slow or has no API (fields,
bookmarks, numbering restarts); nothing here knows what a policy is.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any, Protocol

from docx.blkcntnr import BlockItemContainer
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.numbering import CT_Numbering
from docx.oxml.parser import element_class_lookup
from docx.parts.numbering import NumberingPart
from docx.section import Section
from docx.styles.style import BaseStyle, ParagraphStyle
from docx.text.paragraph import Paragraph
from lxml import etree

from policy_builder.core.errors import PolicyBuilderError
from policy_builder.render.blocks import bookmark_name


class Styles(Protocol):
    """Finds a style by its built-in name (template.Styles; a protocol here so this low layer needs no template)."""

    def __call__(self, name: str) -> BaseStyle: ...

    def reading(self, name: str) -> BaseStyle: ...

    def paragraph(self, name: str, *, reading: bool = False) -> ParagraphStyle: ...

    def paragraph_id(self, name: str) -> str | None: ...


# Characters XML 1.0 cannot hold (Word refuses a file that contains them), and DEL, which the
# Markdown output leaves out too; the build names the answers that lost any (templating.unshowable_note).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_DIGIT_SPACE = re.compile(r"(?<=\d) (?=\d)")


def clean(text: str) -> str:
    """Text Word can hold; a phone number such as 020 8496 0000 is never split across lines."""
    return _DIGIT_SPACE.sub("\u00a0", _XML_ILLEGAL.sub("", text))


# --- body XML as text ----------------------------------------------------------------------
#
# The Word writer writes a document's paragraphs and tables as XML text, parsed by lxml in one go
# (`body_elements`): creating each paragraph, run and text element one call at a time cost about
# 0.1 s of CPU a build, most of the Word writing. The elements are the ones the writer made one by
# one before (same tags, attributes in the same order, the same text), so the file is byte-identical.

W_NAMESPACE = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_BODY_OPEN = f'<w:body xmlns:w="{W_NAMESPACE}">'
# A parser of our own (python-docx's drops whitespace-only text) making python-docx's element classes (CT_P ...).
_body_parser = etree.XMLParser(resolve_entities=False, remove_blank_text=False)
_body_parser.set_element_class_lookup(element_class_lookup)


def xml_text(text: str) -> str:
    """Text as XML element content: & < > escaped, and a carriage return kept (a parser reads it as a newline)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def xml_attribute(value: str) -> str:
    """A value for an attribute in double quotes, read back exactly (whitespace a parser would change kept)."""
    return xml_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def run_xml(text: str, style_id: str | None = None) -> str:
    """A run of text (already `clean`), in a character style or none, spaces kept."""
    properties = f'<w:rPr><w:rStyle w:val="{xml_attribute(style_id)}"/></w:rPr>' if style_id else ""
    return f'<w:r>{properties}<w:t xml:space="preserve">{xml_text(text)}</w:t></w:r>'


LINE_BREAK_XML = "<w:r><w:br/></w:r>"


def paragraph_xml(
    style_id: str, runs: str, *, num_id: int | None = None, bookmark: tuple[int, str] | None = None
) -> str:
    """A paragraph in a paragraph style: its runs' XML, counted in list ``num_id`` (use_numbering), wrapped in
    bookmark (id, name) (add_bookmark)."""
    numbering = f'<w:numPr><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>' if num_id is not None else ""
    start = end = ""
    if bookmark is not None:
        start = f'<w:bookmarkStart w:id="{bookmark[0]}" w:name="{xml_attribute(bookmark[1])}"/>'
        end = f'<w:bookmarkEnd w:id="{bookmark[0]}"/>'
    return f'<w:p><w:pPr><w:pStyle w:val="{xml_attribute(style_id)}"/>{numbering}</w:pPr>{start}{runs}{end}</w:p>'


def body_elements(xml: str) -> list[Any]:
    """The body elements (w:p, w:tbl) of XML text written with the helpers above, to add to a document."""
    return list(etree.fromstring(_BODY_OPEN + xml + "</w:body>", _body_parser))


def styles_to_read(document: DocxDocument) -> Any:
    """The document's styles XML (w:styles) to read, never to change: its template's while the document has
    made no copy of its own (template.py's _CopiedStyles, whose ``template`` says), else its own."""
    try:
        part = document.part.part_related_by(RT.STYLES)
    except KeyError:
        return document.styles.element
    template = getattr(part, "template", None)
    return template.element if template is not None else document.styles.element


def _default_language(styles: Any) -> str | None:
    """w:docDefaults/w:rPrDefault/w:rPr/w:lang's value, each the first of its name, as set_properties finds them."""
    element = styles
    for tag in ("w:docDefaults", "w:rPrDefault", "w:rPr", "w:lang"):
        element = element.find(qn(tag))
        if element is None:
            return None
    value: str | None = element.get(qn("w:val"))
    return value


# --- bookmarks ------------------------------------------------------------------------------


def clause_bookmark(clause_id: str) -> str:
    """The Word bookmark for a clause id: 'messaging.keep-in-touch-only' -> 'messaging_keep_in_touch_only'."""
    return bookmark_name(clause_id)


def section_bookmark(section_id: str) -> str:
    return bookmark_name(f"section.{section_id}")


def add_bookmark(p: Any, bookmark_id: int, name: str) -> None:
    """Wrap a paragraph's content (`p`, a w:p element) in a bookmark, so it can be linked to."""
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bookmark_id))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bookmark_id))
    p_pr = p.find(qn("w:pPr"))
    if p_pr is not None:
        p_pr.addnext(start)
    else:
        p.insert(0, start)
    p.append(end)


# --- fields ---------------------------------------------------------------------------------


def field_char(parent: Any, kind: str, dirty: bool = False) -> None:
    run = OxmlElement("w:r")
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    if dirty:
        char.set(qn("w:dirty"), "true")  # Word rebuilds a dirty field when it opens the file
    run.append(char)
    parent.append(run)


def _run_of(parent: Any, tag: str, text: str) -> None:
    """A run holding one w:t or w:instrText, spaces kept."""
    run = OxmlElement("w:r")
    element = OxmlElement(tag)
    element.set(qn("xml:space"), "preserve")
    element.text = text
    run.append(element)
    parent.append(run)


def instruction(parent: Any, text: str) -> None:
    _run_of(parent, "w:instrText", text)


def text_run(parent: Any, text: str) -> None:
    _run_of(parent, "w:t", text)


def simple_field(parent: Any, code: str, cached: str) -> None:
    field_char(parent, "begin")
    instruction(parent, f" {code} ")
    field_char(parent, "separate")
    text_run(parent, cached)
    field_char(parent, "end")


def page_x_of_y(paragraph: Paragraph) -> None:
    paragraph.add_run("Page ")
    simple_field(paragraph._p, "PAGE", "1")
    paragraph.add_run(" of ")
    simple_field(paragraph._p, "NUMPAGES", "1")


def field_codes(element: Any) -> str:
    codes = [t.text or "" for t in element.iter(qn("w:instrText"))]
    codes += [f.get(qn("w:instr"), "") for f in element.iter(qn("w:fldSimple"))]
    return " ".join(codes)


# --- the page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """A section's page size and margins, in EMU."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int

    @property
    def text_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def text_height(self) -> int:
        return self.height - self.top - self.bottom


def page(section: Section) -> Page:
    """The section's page set-up; python-docx gives None for what the file leaves out, which nothing here can
    lay text out on."""
    width, height = section.page_width, section.page_height
    left, right, top, bottom = section.left_margin, section.right_margin, section.top_margin, section.bottom_margin
    if width is None or height is None or left is None or right is None or top is None or bottom is None:
        raise PolicyBuilderError(
            "the Word template's page set-up gives no page size or margins; open it in Word, "
            "set the size and margins (Layout), and save it"
        )
    return Page(width, height, left, right, top, bottom)


# --- numbering ------------------------------------------------------------------------------


def numbering(document: DocxDocument) -> CT_Numbering:
    """The document's numbering definitions, creating the part if the template has none."""
    part = document.part
    try:
        related = part.part_related_by(RT.NUMBERING)
    except KeyError:
        element = parse_xml(f"<w:numbering {nsdecls('w')}/>")
        related = NumberingPart(PackURI("/word/numbering.xml"), CT.WML_NUMBERING, element, part.package)
        part.relate_to(related, RT.NUMBERING)
    # python-docx reads a part of the numbering type as a NumberingPart of <w:numbering>; a template whose
    # numbering relationship points at anything else cannot hold lists.
    definitions = related.element if isinstance(related, NumberingPart) else None
    if not isinstance(definitions, CT_Numbering):
        raise PolicyBuilderError(
            f"the Word template's list numbering ({related.partname}) is not a numbering part; "
            "open the template in Word and save it again"
        )
    return definitions


class ListNumbering:
    """Each numbered list restarts at 1 (python-docx shares one count by default)."""

    def __init__(self, document: DocxDocument, style: Styles) -> None:
        self.document = document
        self.style = style
        self._base: int | None | bool = False  # not looked up yet

    def restart(self) -> int | None:
        if self._base is False:
            p_pr = self.style.reading("List Number").element.pPr
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


def use_numbering(p: Any, num_id: int) -> None:
    """Make a list paragraph (`p`, a w:p element) count in the numbering instance `num_id`."""
    p_pr = p.get_or_add_pPr()
    num_pr = p_pr.get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = num_id


# --- document properties, header and footer --------------------------------------------------


# Word's core properties (title, subject, author, ...) hold at most 255 characters; python-docx
# refuses more, so a long organisation name would crash the build through the title.
PROPERTY_LIMIT = 255


def shorten_property(text: str, limit: int = PROPERTY_LIMIT) -> str:
    """``text`` cut at a word boundary with an ellipsis when it is over ``limit``; the body keeps the full text."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:  # a single very long word is cut mid-word rather than losing half the title
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def set_properties(
    document: DocxDocument, *, title: str, subject: str, author: str, category: str, date: dt.date
) -> None:
    """Title, subject and language are what screen readers and search show first."""
    props = document.core_properties
    props.title = shorten_property(clean(title))
    props.subject = shorten_property(clean(subject))
    props.author = shorten_property(clean(author))
    props.category = shorten_property(category)
    props.language = "en-GB"
    props.keywords = "social media; social work; acceptable use"
    props.comments = ""
    props.last_modified_by = "policy-builder"
    props.revision = 1
    moment = dt.datetime(date.year, date.month, date.day, 9, 0, 0)
    props.created = props.modified = moment
    # Body text language: UK English for spell checking and screen readers. Read first (the template's
    # styles while the document has no copy of its own, see template.Styles): most templates say so already.
    if _default_language(styles_to_read(document)) == "en-GB":
        return
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


def set_header_footer(
    document: DocxDocument,
    style: Styles,
    marking: str | None,
    page_numbers: bool,
    *,
    draft: bool = False,
    label: str | None = None,
) -> None:
    """Marking at the top and bottom of every page; the footer one centred line: the document and its
    version (`label`), the marking and 'Page X of Y'.

    Added to whatever the template's header and footer already hold (a logo,
    an address), in the template's Header and Footer styles.
    """
    section = document.sections[0]
    headers, footers = [section.header], [section.footer]
    if section.different_first_page_header_footer:
        headers.append(section.first_page_header)
        footers.append(section.first_page_footer)
    if document.settings.odd_and_even_pages_header_footer:
        headers.append(section.even_page_header)
        footers.append(section.even_page_footer)
    # A draft says so at the top of every page, beside the marking, so no printed page passes for the issued policy.
    top = " \u2013 ".join(part for part in ("DRAFT" if draft else None, marking) if part)
    for header in headers:
        if top:
            _line(header, style, "header").add_run(top)
    if label and not _fits(
        document, style.paragraph("footer", reading=True), f"{label} \u2013 {marking or ''} \u2013 Page 99 of 99"
    ):
        # On a template with wider margins or larger type the line would wrap: the version and marking
        # are what a printed page must show; the title is on the cover and in the header's marking.
        label = label.rpartition(", ")[2].capitalize() if ", " in label else label
    for footer in footers:
        # One line, centred whatever the template's Footer style says (the footer is not body text).
        words = " \u2013 ".join(part for part in (label, marking) if part)
        numbered = page_numbers and "PAGE" not in field_codes(footer._element)
        if not (words or numbered):
            continue
        line = _line(footer, style, "footer")
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if words:
            line.add_run(clean(words) + (" \u2013 " if numbered else ""))  # the version is typed by the employer
        if numbered:
            page_x_of_y(line)


def _fits(document: DocxDocument, style: ParagraphStyle, text: str) -> bool:
    """Whether one line of ``text`` in ``style`` fits the text width. An estimate, as Word's own measure
    needs the font: half an em a character is generous for the sans fonts templates use."""
    section = document.sections[0]
    if section.page_width is None or section.left_margin is None or section.right_margin is None:
        return True
    width = (section.page_width - section.left_margin - section.right_margin) / 12700  # EMU to points
    size: float | None = None
    current: ParagraphStyle | None = style
    while current is not None and size is None:
        size = current.font.size.pt if current.font.size is not None else None
        current = current.base_style
    return len(text) * (size or 11.0) * 0.5 <= width


def _line(part: BlockItemContainer, styles: Styles, name: str) -> Paragraph:
    """An empty paragraph of the header or footer to write in (in style ``name``), or a new one after its content."""
    # The style set as python-docx's Paragraph.style setter sets it (no id for the default paragraph style),
    # without its search of every style for the default on each call.
    style_id = styles.paragraph_id(name)
    for paragraph in part.paragraphs:
        p = paragraph._p
        if not paragraph.text and not p.findall(f".//{qn('w:drawing')}") and not p.findall(f".//{qn('w:pict')}"):
            if not p.findall(f".//{qn('w:fldChar')}") and not p.findall(f".//{qn('w:fldSimple')}"):
                p.style = style_id
                return paragraph
    paragraph = part.add_paragraph()
    paragraph._p.style = style_id
    return paragraph


# --- the package ----------------------------------------------------------------------------


# --- settings -----------------------------------------------------------------------------

_WORD_URI = "http://schemas.microsoft.com/office/word"
# Elements of w:settings that come after w:updateFields and w:compat, in the schema's order: Word refuses
# (or repairs) a settings part whose children are out of order.
_AFTER_UPDATE_FIELDS = ("hdrShapeDefaults", "footnotePr", "endnotePr", "compat")
_AFTER_COMPAT = (
    "docVars",
    "rsids",
    "mathPr",
    "attachedSchema",
    "themeFontLang",
    "clrSchemeMapping",
    "doNotIncludeSubdocsInStats",
    "doNotAutoCompressPictures",
    "forceUpgrade",
    "captions",
    "readModeInkLockDown",
    "smartTagType",
    "schemaLibrary",
    "shapeDefaults",
    "doNotEmbedSmartTags",
    "decimalSymbol",
    "listSeparator",
)


def _settings_child(settings: Any, tag: str, before: tuple[str, ...]) -> Any:
    """The settings child `tag` (w:...), created in its place in the schema's order if missing."""
    found = settings.find(qn(f"w:{tag}"))
    if found is not None:
        return found
    element = OxmlElement(f"w:{tag}")
    for child in settings:
        if child.tag.rsplit("}", 1)[-1] in before:
            child.addprevious(element)
            return element
    settings.append(element)
    return element


def set_compatibility_mode(document: DocxDocument, mode: int = 15) -> None:
    """Word 2013 and later layout, so Word does not open the file in Compatibility Mode."""
    compat = _settings_child(document.settings.element, "compat", _AFTER_COMPAT)
    for setting in compat.findall(qn("w:compatSetting")):
        if setting.get(qn("w:name")) == "compatibilityMode":
            setting.set(qn("w:val"), str(mode))
            return
    setting = OxmlElement("w:compatSetting")
    setting.set(qn("w:name"), "compatibilityMode")
    setting.set(qn("w:uri"), _WORD_URI)
    setting.set(qn("w:val"), str(mode))
    compat.append(setting)


def update_fields_on_open(document: DocxDocument) -> None:
    """Ask Word to update the fields (the contents' page numbers) when it opens the file.

    The fallback when the build could not lay the document out (no LibreOffice):
    Word fills in the page numbers itself, after asking.
    """
    _settings_child(document.settings.element, "updateFields", _AFTER_UPDATE_FIELDS + _AFTER_COMPAT).set(
        qn("w:val"), "true"
    )


def attach_manifest(document: DocxDocument, manifest: dict[str, Any]) -> None:
    """The build manifest as a custom XML part, added before saving (one zip pass, not two)."""
    from docx.opc.part import Part

    from policy_builder.render.docx_manifest import PART, manifest_xml

    part = Part(PackURI("/" + PART), "application/xml", manifest_xml(manifest), document.part.package)
    document.part.relate_to(part, RT.CUSTOM_XML)


def to_bytes(document: DocxDocument) -> bytes:
    """The .docx file: python-docx's save, with the parts still the template's not deflated again (package.py)."""
    from policy_builder.render.docx.package import save

    return save(document)


# --- the contents' page numbers, once the document is laid out -------------------------------

_DOCUMENT_PART = "word/document.xml"
_SETTINGS_PART = "word/settings.xml"


def contents_anchors(docx: bytes) -> list[str]:
    """The bookmarks the contents field's entries link to, in order; empty when there is no contents."""
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        body = etree.fromstring(package.read(_DOCUMENT_PART))
    return [link.get(qn("w:anchor")) for link in _contents_links(body)]


def fill_contents(docx: bytes, pages: dict[str, int]) -> bytes:
    """The .docx with each contents entry ending in a tab and its page number, as Word writes them.

    Each number is a PAGEREF field to the entry's bookmark, so Word keeps it
    right when the field is updated; the contents no longer asks to be updated
    on opening. An entry whose page is not in `pages` is left without one.
    """
    source = zipfile.ZipFile(io.BytesIO(docx))
    body = etree.fromstring(source.read(_DOCUMENT_PART))
    links = _contents_links(body)
    if not links:
        return docx
    for link in links:
        for run in link.findall(qn("w:r"))[1:]:  # a number from an earlier filling
            link.remove(run)
        page = pages.get(link.get(qn("w:anchor")))
        if page is None:
            continue
        tab = OxmlElement("w:r")
        tab.append(OxmlElement("w:tab"))
        link.append(tab)
        simple_field(link, f"PAGEREF {link.get(qn('w:anchor'))} \\h", str(page))
    complete = all(link.get(qn("w:anchor")) in pages for link in links)
    for char in body.iter(qn("w:fldChar")):
        if complete and char.get(qn("w:dirty")):
            del char.attrib[qn("w:dirty")]  # nothing left for Word to fill in
    settings = etree.fromstring(source.read(_SETTINGS_PART))
    if complete:
        for element in settings.findall(qn("w:updateFields")):
            settings.remove(element)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename == _DOCUMENT_PART:
                data = etree.tostring(body, xml_declaration=True, encoding="UTF-8", standalone=True)
            elif item.filename == _SETTINGS_PART:
                data = etree.tostring(settings, xml_declaration=True, encoding="UTF-8", standalone=True)
            else:
                data = source.read(item.filename)
            target.writestr(item, data)
    return out.getvalue()


def _contents_links(body: Any) -> list[Any]:
    """The hyperlinks inside the TOC field: from the paragraph that begins it to the one that ends it."""
    links: list[Any] = []
    depth = 0  # fields open inside the TOC field (its entries' PAGEREF fields)
    inside = False
    for p in body.iter(qn("w:p")):
        if not inside:
            codes = " ".join(t.text or "" for t in p.iter(qn("w:instrText")))
            if not re.match(r"\s*TOC\s", codes):
                continue
            inside = True
        links.extend(p.iter(qn("w:hyperlink")))
        for char in p.iter(qn("w:fldChar")):
            kind = char.get(qn("w:fldCharType"))
            depth += kind == "begin"
            depth -= kind == "end"
        if depth <= 0:
            break
    return [link for link in links if link.get(qn("w:anchor"))]
