"""Policy, practice guide, sources annex, staff summary, leaflet and reports as Word documents.

The only package (with render/docx_check.py) that touches Word XML:

- template.py: the reference template a document is built on (checked and parsed once a process), and its styles;
- package.py: saving a document, with the parts still its template's not deflated again;
- ooxml.py: XML helpers (bookmarks, fields, numbering, properties, header and footer);
- writer.py: the Writer, which writes blocks (render/blocks.py) as styled paragraphs and tables;
- layouts.py: the policy, the practice guide and the sources annex;
- handouts.py: the staff summary and the leaflet;
- reports.py: the summary of changes;
- redline.py: the new policy with every change from an old issue as a Word tracked change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policy_builder.render.docx.handouts import HANDOUT_CATEGORIES, handout_document, render_handout_docx
    from policy_builder.render.docx.layouts import policy_document, render_annex_docx, render_docx, render_guide_docx
    from policy_builder.render.docx.ooxml import (
        attach_manifest,
        clause_bookmark,
        clean,
        section_bookmark,
        set_header_footer,
        set_properties,
        to_bytes,
    )
    from policy_builder.render.docx.reports import render_report_docx
    from policy_builder.render.docx.template import REFERENCE_DOCX, Styles, open_template
    from policy_builder.render.docx.writer import Writer

__all__ = [
    "HANDOUT_CATEGORIES",
    "REFERENCE_DOCX",
    "Styles",
    "Writer",
    "attach_manifest",
    "clause_bookmark",
    "clean",
    "handout_document",
    "open_template",
    "policy_document",
    "render_annex_docx",
    "render_docx",
    "render_guide_docx",
    "render_handout_docx",
    "render_report_docx",
    "section_bookmark",
    "set_header_footer",
    "set_properties",
    "to_bytes",
]

# Where each name lives, imported on first use (PEP 562): a build that writes the policy, guide and annex needs
# neither the handouts (and their look checks) nor the reports, so it does not import them.
_MODULES = {
    "HANDOUT_CATEGORIES": "handouts",
    "handout_document": "handouts",
    "render_handout_docx": "handouts",
    "policy_document": "layouts",
    "render_annex_docx": "layouts",
    "render_docx": "layouts",
    "render_guide_docx": "layouts",
    "attach_manifest": "ooxml",
    "clause_bookmark": "ooxml",
    "clean": "ooxml",
    "section_bookmark": "ooxml",
    "set_header_footer": "ooxml",
    "set_properties": "ooxml",
    "to_bytes": "ooxml",
    "render_report_docx": "reports",
    "REFERENCE_DOCX": "template",
    "Styles": "template",
    "open_template": "template",
    "Writer": "writer",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # found once
    return value
