import io

from conftest import base_profile, with_answers
from docx import Document

from policy_builder.assemble import build_policy
from policy_builder.render.docx import render_docx


def reopen(library, answers_for, **answers):
    policy = build_policy(library, answers_for(with_answers(base_profile(), **answers)))
    return policy, Document(io.BytesIO(render_docx(policy)))


def test_docx_reopens_with_title_headings_and_numbered_clauses(library, answers_for):
    policy, document = reopen(library, answers_for)
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    assert styles[0] == ("Title", "Social Media and Digital Contact Policy")
    headings1 = [t for s, t in styles if s == "Heading 1"]
    assert headings1[0] == "Document control"
    assert headings1[1] == "1. Purpose and scope"
    assert headings1[-1] == f"{len(policy.sections) + 1}. Sources"
    headings2 = [t for s, t in styles if s == "Heading 2"]
    assert headings2[0].startswith("1.1 ")
    assert len([h for h in headings2 if h[0].isdigit()]) == len(policy.clauses)


def test_docx_document_control_table_and_marking(library, answers_for):
    _, document = reopen(library, answers_for)
    table = document.tables[0]
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["Item", "Detail"]
    assert ["Owner", "Principal Social Worker"] in rows
    assert ["Next review", "1 December 2027"] in rows
    section = document.sections[0]
    assert section.header.paragraphs[0].text == "OFFICIAL"
    assert section.footer.paragraphs[0].text == "OFFICIAL"
    assert document.core_properties.title == "Social Media and Digital Contact Policy"
    assert document.core_properties.language == "en-GB"


def test_docx_keeps_answers_literal_and_drops_characters_word_cannot_hold(library, answers_for):
    name = "Cyngor *Sir* {{ x }}\x07 👍"
    _, document = reopen(library, answers_for, organisation__name=name, organisation__short_name=name)
    body = "\n".join(p.text for p in document.paragraphs)
    assert "Cyngor *Sir* {{ x }} 👍" in body
    assert "\x07" not in body


def test_docx_lists_become_word_list_paragraphs(library, answers_for):
    _, document = reopen(library, answers_for)
    assert any(p.style.name == "List Bullet" for p in document.paragraphs)
