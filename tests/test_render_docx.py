import dataclasses
import io
import re
import zipfile

import pytest
import yaml
from click.testing import CliRunner
from conftest import BUILD_DATE, ROOT, base_profile, tiny_png, with_answers
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from policy_builder.cli import main
from policy_builder.content.models import HistoryEntry
from policy_builder.core.errors import PolicyBuilderError
from policy_builder.pipeline.assemble import build_policy
from policy_builder.pipeline.profile import load_profile
from policy_builder.render.blocks import parse, to_markdown
from policy_builder.render.docx import Writer, clause_bookmark, open_template, render_docx
from policy_builder.render.markdown import render_policy
from policy_builder.render.typography import smarten


def reopen(library, answers_for, reference_docx=None, **answers):
    policy = build_policy(library, answers_for(with_answers(base_profile(), **answers)))
    return policy, Document(io.BytesIO(render_docx(policy, reference_docx)))


@pytest.fixture(scope="module")
def example(library, tmp_path_factory):
    """The example council's policy and its Word document, built once for the tests that only read them."""
    path = tmp_path_factory.mktemp("example") / "profile.yaml"
    path.write_text(yaml.safe_dump(base_profile()), encoding="utf-8")
    policy = build_policy(library, load_profile(path, library.questionnaire, library.nations, build_date=BUILD_DATE))
    return policy, Document(io.BytesIO(render_docx(policy)))


def field_codes(element) -> str:
    return " ".join(t.text or "" for t in element.iter(qn("w:instrText")))


def employer_template(tmp_path, *, drop_styles=(), no_numbering=False, name="house.docx"):
    """A house template as an employer might have: Verdana text, a logo and address in the header."""
    document = Document()
    document.styles["Normal"].font.name = "Verdana"
    header = document.sections[0].header
    header.paragraphs[0].add_run().add_picture(io.BytesIO(tiny_png()))
    header.add_paragraph("Eastbrook Council, Town Hall, Eastbrook")
    document.add_paragraph("Template body text that must not appear in the policy.")
    styles = document.styles.element
    for wanted in drop_styles:
        for style in styles.findall(qn("w:style")):
            if style.find(qn("w:name")).get(qn("w:val")).lower() == wanted.lower():
                styles.remove(style)
    path = tmp_path / name
    document.save(str(path))
    if no_numbering:
        _drop_part(path, "word/numbering.xml")
    return path


def _drop_part(path, part):
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == part:
                continue
            if item.filename == "word/_rels/document.xml.rels":
                data = re.sub(rb"<Relationship [^>]*numbering\.xml\"/>", b"", data)
            target.writestr(item, data)
    path.write_bytes(out.getvalue())


def test_docx_reopens_with_title_headings_and_numbered_clauses(example):
    policy, document = example
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    assert styles[0] == ("Title", "Social Media and Digital Contact Policy")
    assert styles[1] == ("Subtitle", "London Borough of Eastbrook")
    headings1 = [t for s, t in styles if s == "Heading 1"]
    assert headings1[0] == "Document control"
    assert headings1[1] == "1. Purpose and scope"
    assert "2. Definitions" in headings1
    assert headings1[-1] == f"{len(policy.sections) + 1}. Documents this policy rests on"
    headings2 = [t for s, t in styles if s == "Heading 2"]
    assert headings2[0].startswith("1.1 ")
    assert len([h for h in headings2 if h[0].isdigit()]) == len(policy.clauses)


def test_docx_cover_says_how_to_get_another_format(example):
    policy, document = example
    cover = [p.text for p in document.paragraphs[:6]]
    statement = next(t for t in cover if "other formats" in t)
    assert "large print, easy read, audio or another language" in statement
    assert statement.endswith("contact the policy owner (Principal Social Worker).")
    # One sentence from the template (templates/_parts.md.j2), the same on the Markdown policy's cover.
    markdown = render_policy(policy)
    assert statement in markdown[: markdown.index("## Document control")]


def test_docx_document_control_table_and_marking(example):
    _, document = example
    table = document.tables[0]
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["Item", "Detail"]
    assert ["Owner", "Principal Social Worker"] in rows
    assert ["Next review", "1 December 2027"] in rows
    assert table.rows[0]._tr.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None
    section = document.sections[0]
    assert section.header.paragraphs[0].text == "OFFICIAL"
    # One centred line: the title and version, the marking, and the cached results of the PAGE and NUMPAGES fields.
    footer = section.footer.paragraphs[0]
    assert footer.text == "Social Media and Digital Contact Policy, version 1.0 \u2013 OFFICIAL \u2013 Page 1 of 1"
    assert footer.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert [p.text for p in section.footer.paragraphs if p.text] == [footer.text]
    assert field_codes(section.footer._element).split() == ["PAGE", "NUMPAGES"]
    props = document.core_properties
    assert props.title == "Social Media and Digital Contact Policy"
    assert props.subject == "Social Media and Digital Contact Policy for London Borough of Eastbrook"
    assert props.language == "en-GB"
    assert props.category == "Policy"


def test_no_marking_leaves_the_header_empty_but_keeps_page_numbers(library, answers_for):
    _, document = reopen(library, answers_for, document__protective_marking="none")
    section = document.sections[0]
    assert "OFFICIAL" not in " ".join(p.text for p in section.header.paragraphs + section.footer.paragraphs)
    assert [p.text for p in section.footer.paragraphs] == [
        "Social Media and Digital Contact Policy, version 1.0 \u2013 Page 1 of 1"
    ]


def test_contents_is_a_toc_field_word_updates_with_links_and_no_note(example):
    policy, document = example
    body = document.element.body
    begin = body.find(f".//{qn('w:fldChar')}")
    assert begin.get(qn("w:fldCharType")) == "begin" and begin.get(qn("w:dirty")) == "true"
    # Heading 1 only: no \u switch, which would list the Title and "Contents" (outline level 1 for the tagged PDF).
    assert field_codes(body).split() == ["TOC", "\\o", '"1-1"', "\\h", "\\z"]
    entries = [p for p in document.paragraphs if p.style.name == "toc 1"]
    assert [p._p.find(qn("w:hyperlink")).get(qn("w:anchor")) for p in entries][:2] == [
        "section_purpose",
        "section_definitions",
    ]
    bookmarks = {b.get(qn("w:name")) for b in body.iter(qn("w:bookmarkStart"))}
    assert {p._p.find(qn("w:hyperlink")).get(qn("w:anchor")) for p in entries} <= bookmarks
    texts = [p.text for p in document.paragraphs]
    assert texts[texts.index("Contents") + 1] == "1. Purpose and scope"
    # Nothing tells the reader to update a field: built without LibreOffice, Word is asked to fill in the
    # page numbers when it opens the file (render/pdf.py fills them in when LibreOffice is installed).
    assert not any("Update Field" in t or "F9" in t for t in texts)
    assert document.settings.element.find(qn("w:updateFields")).get(qn("w:val")) == "true"


def test_word_opens_it_in_its_current_mode_and_title_and_contents_are_outline_headings(example):
    """compatibilityMode 15 (no "Compatibility Mode" in Word); Title and TOC Heading at outline level 1,
    so LibreOffice's tagged PDF tags them as headings."""
    policy, document = example
    settings = document.settings.element
    modes = [
        s.get(qn("w:val")) for s in settings.iter(qn("w:compatSetting")) if s.get(qn("w:name")) == "compatibilityMode"
    ]
    assert modes == ["15"]
    for name in ("Title", "TOC Heading"):
        level = document.styles[name].element.pPr.find(qn("w:outlineLvl"))
        assert level is not None and level.get(qn("w:val")) == "0", name
    # The settings part keeps the schema's order: updateFields before compat, compat before rsids.
    order = [child.tag.rsplit("}", 1)[1] for child in settings]
    assert order.index("updateFields") < order.index("compat") < order.index("rsids")


def test_every_clause_heading_has_a_bookmark_named_after_its_id(library, example):
    policy, document = example
    marks = {}
    for paragraph in document.paragraphs:
        start = paragraph._p.find(qn("w:bookmarkStart"))
        if start is not None:
            marks[start.get(qn("w:name"))] = paragraph.text
    for clause in policy.clauses:
        assert marks[clause_bookmark(clause.id)] == smarten(f"{clause.number} {clause.title}")
    assert marks["messaging_keep_in_touch_only"].endswith("Messaging apps for keeping in touch only")
    names = [clause_bookmark(c.id) for c in library.clauses]
    assert len(set(names)) == len(names) and max(map(len, names)) <= 40


def test_long_clause_ids_get_a_short_stable_bookmark():
    long_id = "safeguarding-online.fostering-adoption-contact"
    name = clause_bookmark(long_id)
    assert len(name) == 40 and name.startswith("safeguarding_online_fostering_a")
    assert name == clause_bookmark(long_id) != clause_bookmark(long_id + "s")


def test_docx_keeps_answers_literal_and_drops_characters_word_cannot_hold(library, answers_for):
    name = "Cyngor *Sir* {{ x }}\x07 👍"
    _, document = reopen(library, answers_for, organisation__name=name, organisation__short_name=name)
    body = "\n".join(p.text for p in document.paragraphs)
    assert "Cyngor *Sir* {{ x }} 👍" in body
    assert "\x07" not in body


def test_docx_lists_and_bold_use_styles_not_direct_formatting(example):
    _, document = example
    assert any(p.style.name == "List Bullet" for p in document.paragraphs)
    definition = next(p for p in document.paragraphs if p.text.startswith("Social media means"))
    assert definition.runs[0].text == "Social media" and definition.runs[0].style.name == "Strong"
    assert all(r.bold is None and r.font.color.rgb is None for p in document.paragraphs for r in p.runs)
    assert not [p for p in document.paragraphs if not p.text.strip()]  # no empty paragraphs for spacing


def test_numbered_lists_restart_at_one_in_each_list():
    writer = Writer(open_template())
    writer.markdown("1. first\n2. second\n")
    writer.markdown("Then:\n\n1. again first\n")
    document = writer.document
    numbered = [p for p in document.paragraphs if p.style.name == "List Number"]
    assert [p.text for p in numbered] == ["first", "second", "again first"]
    ids = [p._p.pPr.numPr.numId.val for p in numbered]
    assert ids[0] == ids[1] != ids[2]  # each list its own numbering instance, starting at 1
    numbering = document.part.numbering_part.element
    for num_id in set(ids):
        assert numbering.num_having_numId(num_id).find(f".//{qn('w:startOverride')}").get(qn("w:val")) == "1"


def test_bundled_template_gives_arial_12pt_on_a4(example):
    _, document = example
    defaults = document.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    assert defaults.find(qn("w:rFonts")).get(qn("w:ascii")) == "Arial"
    assert defaults.find(qn("w:sz")).get(qn("w:val")) == "24"
    assert document.styles["Heading 1"].font.name == "Arial"
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)


def test_version_history_and_summary_of_changes_when_available(library, answers_for):
    policy = build_policy(library, answers_for(base_profile()))
    policy = dataclasses.replace(
        policy,
        history=(HistoryEntry("1.0", "2025-12-01", "First issue."), HistoryEntry("1.1", "2026-12-01", "Reworded 8.1.")),
        changes_since="Changes since version 1.0:\n\n- 8.1 reworded",
    )
    document = Document(io.BytesIO(render_docx(policy)))
    texts = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Heading 2", "Version history") in texts and ("Heading 2", "Summary of changes") in texts
    history = document.tables[1]
    assert [c.text for c in history.rows[0].cells] == ["Version", "Date", "Summary"]
    assert [c.text for c in history.rows[2].cells] == ["1.1", "1 December 2026", "Reworded 8.1."]  # dates in words
    assert history.rows[0]._tr.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None


def test_employer_template_keeps_its_styles_header_and_logo_and_drops_its_body(library, answers_for, tmp_path):
    template = employer_template(tmp_path)
    _, document = reopen(library, answers_for, reference_docx=template)
    assert document.styles["Normal"].font.name == "Verdana"
    header = document.sections[0].header
    assert header._element.find(f".//{qn('w:drawing')}") is not None  # the logo
    assert [p.text for p in header.paragraphs][1:] == ["Eastbrook Council, Town Hall, Eastbrook", "OFFICIAL"]
    body = "\n".join(p.text for p in document.paragraphs)
    assert "Template body text" not in body
    assert document.paragraphs[0].text == "Social Media and Digital Contact Policy"


def test_styles_missing_from_the_employer_template_are_copied_in(library, answers_for, tmp_path):
    template = employer_template(
        tmp_path, drop_styles=["List Bullet", "List Number", "Table Grid", "TOC Heading", "Strong"], no_numbering=True
    )
    _, document = reopen(library, answers_for, reference_docx=template)
    bullets = [p for p in document.paragraphs if p.style.name == "List Bullet"]
    assert bullets
    num_id = document.styles["List Bullet"].element.pPr.numPr.numId.val
    numbering = document.part.numbering_part.element
    abstract_id = numbering.num_having_numId(num_id).abstractNumId.val
    level = numbering.find(f"{qn('w:abstractNum')}[@{qn('w:abstractNumId')}='{abstract_id}']/{qn('w:lvl')}")
    assert level.find(qn("w:numFmt")).get(qn("w:val")) == "bullet"
    assert document.tables[0].style.name == "Table Grid"
    assert any(p.style.name == "TOC Heading" for p in document.paragraphs)


def test_a_dotx_template_is_accepted(library, answers_for, tmp_path):
    template = employer_template(tmp_path, name="house.dotx")
    data = template.read_bytes()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                content = content.replace(b"document.main+xml", b"template.main+xml")
            target.writestr(item, content)
    template.write_bytes(out.getvalue())
    _, document = reopen(library, answers_for, reference_docx=template)
    assert document.styles["Normal"].font.name == "Verdana"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a zip at all", "not a Word document or template that can be read (it is not a .docx file)"),
        (None, "Word template not found"),
    ],
)
def test_a_bad_template_is_a_clear_error(library, answers_for, tmp_path, content, message):
    path = tmp_path / "house.docx"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(PolicyBuilderError) as caught:
        reopen(library, answers_for, reference_docx=path)
    assert message in str(caught.value)
    assert "house.docx" in str(caught.value)


def test_build_uses_the_profile_template_relative_to_the_profile(tmp_path):
    template = employer_template(tmp_path)
    profile = base_profile()
    profile["document"]["reference_docx"] = template.name
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(tmp_path / "p.yaml"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    document = Document(str(tmp_path / "out" / "eastbrook-council-social-media-policy.docx"))
    assert document.styles["Normal"].font.name == "Verdana"


def test_reference_docx_option_wins_and_a_missing_one_is_an_error(tmp_path):
    template = employer_template(tmp_path)
    profile = ROOT / "profiles" / "example-council.yaml"
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(profile), "--out", str(out), "--reference-docx", str(template)])
    assert result.exit_code == 0, result.output
    assert Document(str(out / "eastbrook-council-social-media-policy.docx")).styles["Normal"].font.name == "Verdana"
    result = CliRunner().invoke(main, ["build", str(profile), "--out", str(out), "--reference-docx", "nope.docx"])
    assert result.exit_code == 2
    assert "Error: --reference-docx: nope.docx not found" in result.output


def test_a_missing_profile_template_names_the_profile_line(tmp_path):
    profile = base_profile()
    profile["document"]["reference_docx"] = "templates/house.docx"
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(profile, sort_keys=False), encoding="utf-8")
    line = path.read_text(encoding="utf-8").splitlines().index("  reference_docx: templates/house.docx") + 1
    result = CliRunner().invoke(main, ["build", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert f"p.yaml:{line}: document.reference_docx: 'templates/house.docx' not found" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(main, ["build", str(path), "--out", str(tmp_path / "out"), "--format", "md"])
    assert result.exit_code == 0, result.output  # no Word file asked for: the template is not needed


def test_section_pointer_to_the_guide_sits_under_the_section_heading(example):
    policy, document = example
    paragraphs = document.paragraphs
    assert any(s.guide_refs for s in policy.sections)
    for section in policy.sections:
        index = next(
            i
            for i, p in enumerate(paragraphs)
            if p.style.name == "Heading 1" and p.text == smarten(f"{section.number}. {section.title}")
        )
        after = paragraphs[index + 1]
        if section.guide_refs:
            assert after.text.startswith("Practice guide: ")
            assert all(smarten(f"{ref.number} {ref.title}") in after.text for ref in section.guide_refs)
            assert {run.style.name for run in after.runs} == {"Emphasis"}
        else:
            assert paragraphs[index + 1].style.name == "Heading 2" or not after.text.startswith("Practice guide")
    assert not any("Why and how" in p.text for p in paragraphs)


def test_blocks_marked_for_one_format_reach_only_its_writer():
    blocks = parse(
        "<!-- markdown -->\n**OFFICIAL**\n\n<!-- end -->\n# Title\n\n**Org**\n\n"
        "<!-- word -->\nOnly in *Word*.\n\n<!-- end -->\n"
        "<!-- bookmark: section.one -->\n## 1. One\n\n"
        "<!-- widths: 25 75 -->\n| A | B |\n| --- | --- |\n| x | y |\n"
    )
    assert (
        to_markdown(blocks)
        == "**OFFICIAL**\n\n# Title\n\n**Org**\n\n## 1. One\n\n| A | B |\n| --- | --- |\n| x | y |\n"
    )
    writer = Writer(open_template())
    writer.write(blocks)
    document = writer.document
    assert [(p.style.name, p.text) for p in document.paragraphs] == [
        ("Title", "Title"),
        ("Subtitle", "Org"),
        ("Normal", "Only in Word."),
        ("Heading 1", "1. One"),
    ]
    assert document.paragraphs[2].runs[1].style.name == "Emphasis"
    heading = document.paragraphs[3]._p
    assert heading.find(qn("w:bookmarkStart")).get(qn("w:name")) == clause_bookmark("section.one") == "section_one"
    widths = [int(c.get(qn("w:w"))) for c in document.tables[0]._tbl.iter(qn("w:gridCol"))]
    assert round(widths[1] / widths[0]) == 3
    assert [c.text for c in document.tables[0].rows[1].cells] == ["x", "y"]


@pytest.mark.parametrize(
    "line",
    [
        "Plain words: a list - of #tags, 50% off, a+b=c, {braces}, ^caret, @name, $5 and 'quotes'.",
        "An entity &amp; a &copy; sign",
        "Escaped \\*stars\\* and \\_underscores\\_",
        "Some **bold**, some *italic*, some ~~struck~~, some `code`",
        "A [link](https://example.org) and <https://example.org> and an ![image](x.png)",
        "A line ending in a hard break  \nand the next line",
        "Inline <b>HTML</b> is kept as text",
    ],
)
def test_text_runs_are_markdown_its_whether_or_not_the_text_has_markup(line):
    # Text with no markup character skips markdown-it's inline parse; every text must read as markdown-it
    # reads it, each on its own and beside text that is parsed.
    from markdown_it import MarkdownIt

    from policy_builder.render.blocks import inline_runs

    markdown_it = MarkdownIt("commonmark").enable("table").enable("strikethrough")  # as render/blocks.py's
    expected = inline_runs(tuple(markdown_it.parseInline(line)[0].children or []))
    for document in (line, f"{line}\n\nPlain words beside it.", f"Some **bold** first.\n\n{line}"):
        paragraphs = [block for block in parse(document) if type(block).__name__ == "Paragraph"]
        runs = {p.text.source: p.text.runs for p in paragraphs}
        assert runs[line] == expected


def test_a_style_added_after_the_first_lookup_is_found_in_the_document_not_copied_from_the_bundle():
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    from policy_builder.render.docx import Styles

    document = open_template()
    styles = Styles(document)
    assert styles.id("Normal") == "Normal"  # the first lookup reads the document's styles
    document.styles.element.append(
        parse_xml(f'<w:style {nsdecls("w")} w:type="paragraph" w:styleId="MyBox"><w:name w:val="My Box"/></w:style>')
    )
    assert styles.id("my box") == "MyBox"
    with pytest.raises(PolicyBuilderError, match="no 'Not A Style' style"):
        styles("Not A Style")  # in neither the document nor the bundled template


def test_every_name_render_docx_offers_is_found_on_first_use():
    import policy_builder.render.docx as package

    assert sorted(package.__all__) == sorted(package._MODULES)  # a name added to one must be added to the other
    for name in package.__all__:
        assert getattr(package, name) is not None
    with pytest.raises(AttributeError):
        package.no_such_name  # noqa: B018


# --- saving: the template's own parts deflated once (issue 20) ---------------------------------------


def zip_parts(data: bytes) -> list[tuple[str, bytes]]:
    """Each member of a zip, in order, with its bytes; the zip's CRCs checked."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def test_a_word_file_holds_what_python_docx_saves_and_the_template_parts_are_not_deflated_again(monkeypatch):
    from policy_builder.render.docx import package, to_bytes

    document = open_template()
    Writer(document).write(parse("# A heading\n\nSome *words*.\n\n- one\n- two\n"))
    deflated: list[bytes] = []
    real = package.deflate
    monkeypatch.setattr(package, "deflate", lambda data: deflated.append(data) or real(data))
    ours = to_bytes(document)
    theirs = io.BytesIO()
    document.save(theirs)  # python-docx's own save of the same document
    assert zip_parts(ours) == zip_parts(theirs.getvalue())
    again = {name for name, blob in package.members(document.part.package) if blob in deflated}
    assert "word/document.xml" in again  # the body written
    # The bundled template's styles (350 KB), styles with effects (440 KB), theme and fonts: deflated once before.
    assert not again & {"word/styles.xml", "word/stylesWithEffects.xml", "word/theme/theme1.xml", "word/fontTable.xml"}
    with zipfile.ZipFile(io.BytesIO(ours)) as archive:
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in archive.infolist())


def test_each_document_gets_its_own_copy_of_the_template(tmp_path):
    from policy_builder.render.docx import to_bytes

    template = employer_template(tmp_path)
    first, second = open_template(template), open_template(template)
    Writer(first).write(parse("# Only in the first\n\nWords.\n"))
    first.sections[0].header.add_paragraph("First header only")
    first.styles["Normal"].font.name = "Arial"
    saved = dict(zip_parts(to_bytes(second)))
    everything = b"".join(saved.values())
    assert b"Only in the first" not in everything and b"First header only" not in everything
    assert b"Verdana" in saved["word/styles.xml"] and b"Arial" not in saved["word/styles.xml"]
    third = dict(zip_parts(to_bytes(open_template(template))))
    assert third == saved  # the prepared template itself is untouched by what the first document did


def test_a_template_is_checked_once_and_what_was_found_is_kept_signed_between_runs(tmp_path, monkeypatch, cache):
    from policy_builder.render.docx import template as template_module
    from policy_builder.render.docx import to_bytes

    template = employer_template(tmp_path)
    checked: list[str] = []
    real = template_module.sanitise
    monkeypatch.setattr(template_module, "sanitise", lambda data, name: checked.append(name) or real(data, name))
    template_module._prepared.cache_clear()  # as a new process
    first = zip_parts(to_bytes(open_template(template)))
    assert zip_parts(to_bytes(open_template(template))) == first and len(checked) == 1  # once a process
    template_module._prepared.cache_clear()
    assert zip_parts(to_bytes(open_template(template))) == first
    assert len(checked) == 1, "the next run read what the first found"
    (kept,) = (cache / "docx").glob("*.bin")
    kept.write_bytes(kept.read_bytes().replace(b'"members"', b'"Members"'))  # altered: its signature fails
    template_module._prepared.cache_clear()
    assert zip_parts(to_bytes(open_template(template))) == first
    assert len(checked) == 2, "an altered file is ignored, and the template checked again"
    template.write_bytes(template.read_bytes() + b"\0")  # other bytes, another key: checked again
    template_module._prepared.cache_clear()
    open_template(template)
    assert len(checked) == 3 and len(list((cache / "docx").glob("*.bin"))) == 2


def test_a_paragraph_names_its_style_as_python_docx_would_and_the_default_style_not_at_all(tmp_path):
    from docx.enum.style import WD_STYLE_TYPE

    from policy_builder.render.docx import Styles

    plain = employer_template(tmp_path)
    marked = Document(str(plain))
    header = marked.styles["Header"].element
    header.set(qn("w:default"), "1")  # the last style marked default is the default, as Word reads it
    marked.save(str(tmp_path / "header-default.docx"))
    for template in (None, plain, tmp_path / "header-default.docx"):
        document = open_template(template)
        styles = Styles(document)
        for name in ("Normal", "Header", "Footer", "heading 1"):
            expected = document.part.get_style_id(styles.paragraph(name), WD_STYLE_TYPE.PARAGRAPH)
            assert styles.paragraph_id(name) == expected, (template, name)
    assert styles.paragraph_id("Header") is None and styles.paragraph_id("Normal") == "Normal"
