"""The policy, the practice guide and the sources annex as Word documents.

Each is its template's blocks (render/markdown.py) written on the Word
template, with the document's properties, header and footer: no words here.
Building and saving are separate (`policy_document` then `to_bytes`) so a
later step can add to the document, such as the manifest, before saving.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docx.document import Document as DocxDocument

from policy_builder.content.models import Policy
from policy_builder.render.blocks import Block
from policy_builder.render.docx.ooxml import attach_manifest, set_header_footer, set_properties, to_bytes
from policy_builder.render.docx.template import open_template
from policy_builder.render.docx.writer import Writer
from policy_builder.render.markdown import annex_blocks, guide_blocks, policy_blocks

POLICY_CATEGORY = "Policy"
GUIDE_CATEGORY = "Practice guide"
ANNEX_CATEGORY = "Sources annex"


def policy_document(policy: Policy, reference_docx: Path | None = None) -> DocxDocument:
    """The policy as a python-docx Document, not yet saved."""
    return _document(policy, policy_blocks(policy), POLICY_CATEGORY, policy.title, reference_docx)


def render_docx(policy: Policy, reference_docx: Path | None = None, manifest: dict[str, Any] | None = None) -> bytes:
    document = policy_document(policy, reference_docx)
    if manifest is not None:
        attach_manifest(document, manifest)
    return to_bytes(document)


def render_guide_docx(policy: Policy, reference_docx: Path | None = None) -> bytes:
    """The practice guide in Word: the same template, cover style, header and footer as the policy."""
    title = f"{GUIDE_CATEGORY}: {policy.title}"
    return to_bytes(_document(policy, guide_blocks(policy), GUIDE_CATEGORY, title, reference_docx))


def render_annex_docx(policy: Policy, reference_docx: Path | None = None) -> bytes:
    title = f"{ANNEX_CATEGORY}: {policy.title}"
    return to_bytes(_document(policy, annex_blocks(policy), ANNEX_CATEGORY, title, reference_docx))


def _document(
    policy: Policy, blocks: list[Block], category: str, title: str, reference_docx: Path | None
) -> DocxDocument:
    document = open_template(reference_docx)
    writer = Writer(document)
    set_properties(
        document,
        title=title,
        subject=f"{title} for {policy.organisation}",
        author=policy.organisation,
        category=category,
        date=policy.answers.build_date,
    )
    version = policy.answers.values.get("document.version") or "1.0"
    label = f"{policy.title if category == POLICY_CATEGORY else category}, version {version}"
    set_header_footer(
        document, writer.style, policy.marking, page_numbers=True, draft=policy.draft.is_draft, label=label
    )
    writer.write(blocks)
    return document
