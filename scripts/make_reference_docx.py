"""Writes templates/reference.docx: the bundled Word house style (`python scripts/make_reference_docx.py`).

The policy, staff summary and leaflet are built on this file (or on an
employer's own template), so every look lives here as a Word style and the
renderer writes no direct formatting. Arial 12pt body text on A4, a clear
heading hierarchy in one dark colour, list and table styles, and the
table-of-contents, header and footer styles the policy uses.

Run it again after changing a style below, open the result in Word or
LibreOffice to look at it, and commit templates/reference.docx.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "templates" / "reference.docx"

FONT = "Arial"
TEXT = "0B0C0C"  # near black: body text
ACCENT = "1D3C6E"  # dark blue: title and headings (contrast 11:1 on white; never the only cue)
RULE = "B1B4B6"  # grey: table borders
HEADER_FILL = "E8EEF6"  # pale blue: table header rows, which are also bold and repeat

# name: (size pt, bold, colour, space before pt, space after pt, keep with next)
PARAGRAPH_STYLES = {
    "Normal": (12, False, TEXT, 0, 6, False),  # its spacing is the document default, set in main()
    "Title": (28, True, ACCENT, 0, 12, True),
    "Subtitle": (16, False, TEXT, 0, 12, True),
    "Heading 1": (18, True, ACCENT, 14, 6, True),
    "Heading 2": (14, True, ACCENT, 10, 3, True),
    "Heading 3": (12, True, TEXT, 12, 4, True),
    "TOC Heading": (18, True, ACCENT, 14, 6, True),
    "Header": (11, False, TEXT, 0, 0, False),
    "Footer": (11, False, TEXT, 0, 0, False),
    "List Bullet": (12, False, TEXT, 0, 4, False),
    "List Bullet 2": (12, False, TEXT, 0, 4, False),
    "List Bullet 3": (12, False, TEXT, 0, 4, False),
    "List Number": (12, False, TEXT, 0, 4, False),
    "List Number 2": (12, False, TEXT, 0, 4, False),
    "List Number 3": (12, False, TEXT, 0, 4, False),
}


def child(parent, tag: str, **attrs: str):  # type: ignore[no-untyped-def]
    """The first child `tag` of parent (created if missing), with attributes set."""
    element = parent.find(qn(tag))
    if element is None:
        element = OxmlElement(tag)
        parent.append(element)
    for key, value in attrs.items():
        element.set(qn(f"w:{key}"), value)
    return element


def set_font(font, size: float, bold: bool, colour: str) -> None:  # type: ignore[no-untyped-def]
    """Plain Arial at a size, in a colour; python-docx keeps the XML in schema order."""
    font.name = FONT
    rfonts = font.element.rPr.rFonts
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        rfonts.attrib.pop(qn(f"w:{attr}"), None)  # theme fonts would override Arial
    rfonts.set(qn("w:cs"), FONT)
    rfonts.set(qn("w:eastAsia"), FONT)
    font.size = Pt(size)
    font.bold = bold or None
    font.italic = None
    font.color.rgb = RGBColor.from_string(colour)
    rpr = font.element.rPr
    for tag in ("w:spacing", "w:kern", "w:bCs"):
        old = rpr.find(qn(tag))
        if old is not None:
            rpr.remove(old)
    color = rpr.find(qn("w:color"))
    for attr in ("themeColor", "themeShade", "themeTint"):
        color.attrib.pop(qn(f"w:{attr}"), None)


def style_paragraph(document, name: str, spec: tuple) -> None:  # type: ignore[no-untyped-def,type-arg]
    size, bold, colour, before, after, keep = spec
    style = document.styles[name]
    set_font(style.font, size, bold, colour)
    ppr = style.element.get_or_add_pPr()
    border = ppr.find(qn("w:pBdr"))
    if border is not None:
        ppr.remove(border)  # the base Title has a coloured rule under it
    fmt = style.paragraph_format
    if name == "Normal":
        return  # its spacing is the document default (below), so table styles can tighten it in tables
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    # Line spacing 1.2 for text: easier to read (GOV.UK guidance on accessible documents).
    fmt.line_spacing = 1.0 if name in ("Header", "Footer") else 1.2
    fmt.keep_with_next = keep or None


def main() -> None:
    document = Document()
    styles = document.styles

    # Defaults for anything not styled: Arial 12pt, UK English.
    defaults = styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), FONT)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-GB")
    lang.set(qn("w:eastAsia"), "en-GB")
    for tag in ("w:sz", "w:szCs"):
        rpr.find(qn(tag)).set(qn("w:val"), "24")
    # Space after each paragraph (6 pt) and line spacing 1.2 (GOV.UK guidance on accessible documents).
    defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing")).attrib.update(
        {qn("w:before"): "0", qn("w:after"): "120", qn("w:line"): "288", qn("w:lineRule"): "auto"}
    )

    for name, spec in PARAGRAPH_STYLES.items():
        style_paragraph(document, name, spec)
    # The title and "Contents" are headings to a screen reader: outline level 1 makes a tagged PDF tag
    # them so (H1). The contents field lists Heading 1 only, so neither joins the contents.
    for name in ("Title", "TOC Heading"):
        p_pr = styles[name].element.get_or_add_pPr()
        level = p_pr.find(qn("w:outlineLvl"))
        if level is None:
            level = OxmlElement("w:outlineLvl")
            p_pr.append(level)
        level.set(qn("w:val"), "0")
    # The contents follow the document control on the first page (no page break): a policy staff read
    # in one sitting fits in 16 pages, and the cover is not left half empty.
    styles["TOC Heading"].paragraph_format.page_break_before = False
    for name in ("Header", "Footer"):
        styles[name].paragraph_format.alignment = 1  # centred, as protective markings are

    # Contents entries (Word's built-in "toc 1"), with a dotted tab to the page number.
    toc = styles.add_style("TOC 1", WD_STYLE_TYPE.PARAGRAPH)
    toc.element.find(qn("w:name")).set(qn("w:val"), "toc 1")
    toc.base_style = styles["Normal"]
    toc.next_paragraph_style = styles["Normal"]
    toc.paragraph_format.tab_stops.add_tab_stop(Cm(17), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
    toc.paragraph_format.space_before = Pt(0)
    toc.paragraph_format.space_after = Pt(4)
    set_font(toc.font, 12, False, TEXT)
    toc.priority = 39

    # Links: underlined and blue; the underline, not the colour alone, shows a link.
    link = styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
    link.element.find(qn("w:name")).set(qn("w:val"), "Hyperlink")
    link.base_style = styles["Default Paragraph Font"]
    link.font.underline = True
    link.font.color.rgb = RGBColor.from_string("1D70B8")

    # Tables: thin grey rules; the header row is bold on a pale fill.
    grid = styles["Table Grid"]
    borders = grid.element.find(qn("w:tblPr")).find(qn("w:tblBorders"))
    for edge in borders:
        edge.set(qn("w:color"), RULE)
    margins = grid.element.find(qn("w:tblPr")).find(qn("w:tblCellMar"))
    for side in margins:
        if side.tag in (qn("w:top"), qn("w:bottom")):
            side.set(qn("w:w"), "60")
    header_row = OxmlElement("w:tblStylePr")
    header_row.set(qn("w:type"), "firstRow")
    header_rpr = OxmlElement("w:rPr")
    child(header_rpr, "w:b")
    child(header_rpr, "w:bCs")
    header_row.append(header_rpr)
    header_tc = OxmlElement("w:tcPr")
    child(header_tc, "w:shd", val="clear", color="auto", fill=HEADER_FILL)
    header_row.append(header_tc)
    grid.element.append(header_row)

    # A4, the UK paper size, with 2 cm margins.
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    section.header_distance = section.footer_distance = Cm(1)

    props = document.core_properties
    props.title = "policy-builder reference template"
    props.author = "policy-builder"
    props.comments = "Styles for the policy, staff summary and leaflet. Regenerate with scripts/make_reference_docx.py."
    props.language = "en-GB"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(OUT))
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
