"""What a run of text looks like in Word: its colour, background and size, worked out from the styles as Word does.

Shared by the handouts (to estimate pages) and check-docx (contrast and size).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from lxml import etree


def local_name(element: etree._Element) -> str:
    return str(element.tag).rsplit("}", 1)[-1]


# --- what the text looks like: colour, background, size ------------------------------------------

# Word's highlight colours, by name.
HIGHLIGHTS = {
    "black": "000000", "blue": "0000FF", "cyan": "00FFFF", "green": "00FF00", "magenta": "FF00FF",
    "red": "FF0000", "yellow": "FFFF00", "white": "FFFFFF", "darkBlue": "000080", "darkCyan": "008080",
    "darkGreen": "008000", "darkMagenta": "800080", "darkRed": "800000", "darkYellow": "808000",
    "darkGray": "808080", "lightGray": "C0C0C0",
}  # fmt: skip
TRUE_VALUES = {None, "1", "true", "on"}


@dataclass
class RunLook:
    colour: str | None = None  # RRGGBB, or None for automatic (Word picks black or white)
    background: str | None = None
    size: float | None = None  # points
    bold: bool = False


def hex_colour(value: str | None) -> str | None:
    if not value or value.lower() in ("auto", "none"):
        return None
    return value.upper() if re.fullmatch(r"[0-9A-Fa-f]{6}", value) else None


def apply_run_properties(look: RunLook, r_pr: etree._Element | None) -> None:
    """Overlay one w:rPr (from defaults, a style or the run itself) on `look`."""
    if r_pr is None:
        return
    for child in r_pr:
        name = local_name(child)
        value = child.get(qn("w:val"))
        if name == "color":
            look.colour = hex_colour(value)
        elif name == "sz" and value and value.isdigit():
            look.size = int(value) / 2
        elif name == "b":
            look.bold = value in TRUE_VALUES
        elif name == "shd":
            fill = hex_colour(child.get(qn("w:fill")))
            if fill:
                look.background = fill
        elif name == "highlight" and value in HIGHLIGHTS:
            look.background = HIGHLIGHTS[value]


def shading(element: etree._Element | None) -> str | None:
    shd = element.find(qn("w:shd")) if element is not None else None
    return hex_colour(shd.get(qn("w:fill"))) if shd is not None else None


class Look:
    """Works out the colour, background and size of each run from the document's styles, as Word does:
    document defaults, then the table style, the paragraph style, the character style and the run's own."""

    def __init__(self, document: DocxDocument) -> None:
        styles = document.styles.element
        self.by_id = {e.get(qn("w:styleId")): e for e in styles.findall(qn("w:style"))}
        self.defaults = styles.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
        self.paragraph_defaults = styles.find(f"{qn('w:docDefaults')}/{qn('w:pPrDefault')}/{qn('w:pPr')}")
        self.default_paragraph = next(
            (
                e.get(qn("w:styleId"))
                for e in styles.findall(qn("w:style"))
                if e.get(qn("w:type")) == "paragraph" and e.get(qn("w:default")) in ("1", "true")
            ),
            None,
        )
        background = document.element.find(qn("w:background"))
        self.page = hex_colour(background.get(qn("w:color"))) if background is not None else None
        self.page = self.page or "FFFFFF"

    def chain(self, style_id: str | None) -> list[etree._Element]:
        """A style and the styles it is based on, the base first."""
        chain: list[etree._Element] = []
        seen: set[str] = set()
        while style_id and style_id not in seen and style_id in self.by_id:
            seen.add(style_id)
            element = self.by_id[style_id]
            chain.append(element)
            based = element.find(qn("w:basedOn"))
            style_id = based.get(qn("w:val")) if based is not None else None
        return chain[::-1]

    def run(
        self,
        r: etree._Element,
        paragraph: etree._Element,
        cell_shading: str | None,
        table_layers: list[etree._Element],
    ) -> RunLook:
        return self.run_in(r, self.paragraph(paragraph, cell_shading, table_layers))

    def paragraph(
        self, paragraph: etree._Element, cell_shading: str | None, table_layers: list[etree._Element]
    ) -> RunLook:
        """What a run with no properties of its own looks like in ``paragraph``: worked out once a paragraph."""
        look = RunLook(background=self.page)
        apply_run_properties(look, self.defaults)
        for layer in table_layers:  # the table style's run properties and shading (its header row's too)
            apply_run_properties(look, layer.find(qn("w:rPr")))
            fill = shading(layer.find(qn("w:tcPr")))
            if fill:
                look.background = fill
        if cell_shading:
            look.background = cell_shading
        p_pr = paragraph.find(qn("w:pPr"))
        style = p_pr.find(qn("w:pStyle")) if p_pr is not None else None
        for element in self.chain(style.get(qn("w:val")) if style is not None else self.default_paragraph):
            apply_run_properties(look, element.find(qn("w:rPr")))
            fill = shading(element.find(qn("w:pPr")))
            if fill:
                look.background = fill
        fill = shading(p_pr)
        if fill:
            look.background = fill
        return look

    def run_in(self, r: etree._Element, paragraph_look: RunLook) -> RunLook:
        """A run's look: its paragraph's (``Look.paragraph``), then its character style and its own properties."""
        look = dataclasses.replace(paragraph_look)
        r_pr = r.find(qn("w:rPr"))
        r_style = r_pr.find(qn("w:rStyle")) if r_pr is not None else None
        if r_style is not None:
            for element in self.chain(r_style.get(qn("w:val"))):
                apply_run_properties(look, element.find(qn("w:rPr")))
        apply_run_properties(look, r_pr)
        return look

    def table_layers(self, tbl: etree._Element, first_row: bool) -> list[etree._Element]:
        """The table style's whole-table formatting, then its header-row formatting for the first row."""
        tbl_pr = tbl.find(qn("w:tblPr"))
        style = tbl_pr.find(qn("w:tblStyle")) if tbl_pr is not None else None
        layers = []
        for element in self.chain(style.get(qn("w:val")) if style is not None else None):
            layers.append(element)
            if first_row:
                layers += [c for c in element.findall(qn("w:tblStylePr")) if c.get(qn("w:type")) == "firstRow"]
        # Whole-table layers apply before any header-row layer.
        return [x for x in layers if local_name(x) == "style"] + [x for x in layers if local_name(x) == "tblStylePr"]


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(foreground: str, background: str) -> float:
    """The WCAG contrast ratio of two RRGGBB colours, from 1 to 21."""
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
