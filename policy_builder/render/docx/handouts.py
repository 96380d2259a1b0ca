"""The staff summary and the leaflet as Word documents: their blocks (render/summary.py) on the policy's template."""

from __future__ import annotations

from pathlib import Path

from docx.document import Document as DocxDocument

from ..summary import Handout, handout_blocks
from .ooxml import set_header_footer, set_properties, to_bytes
from .template import open_template
from .writer import Writer

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
    set_header_footer(
        document, writer.style, handout.marking, page_numbers=handout.kind != "leaflet", draft=handout.draft
    )
    writer.write(handout_blocks(handout))
    return document


def render_handout_docx(handout: Handout, reference_docx: Path | None = None) -> bytes:
    return to_bytes(handout_document(handout, reference_docx))
