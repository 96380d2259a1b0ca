"""Answers are data: whatever an employer types comes out as typed, never as template or markup.

Every free-text answer is set to text full of template syntax, Markdown, HTML,
control characters, right-to-left text, emoji and Welsh and Gaelic letters; the
built policy must show each exactly (less the characters a document cannot hold,
which the build names), in Markdown as a CommonMark reader sees it and in Word.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from conftest import base_profile
from markdown_it import MarkdownIt

from policy_builder.build import FORMATS
from policy_builder.cli import main
from policy_builder.regen.manifest import split_markdown

NASTY = [
    "{{ 7 * 7 }} {% if true %}yes{% endif %} {# hidden #} {{ organisation.name }}",
    "*Acme* **bold** _under_ `code` [link](https://example.org) ~~gone~~ | pipe | \\ back",
    "<script>alert('x')</script> &amp; <b>bold</b> <!-- comment -->",
    "1. Not a list",
    "- Not a bullet either",
    "# Not a heading",
    "> Not a quote",
    "مجلس \u202eoverride\u202c עִבְרִית",
    "Cyngor \U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f \U0001f469\u200d\U0001f469\u200d\U0001f467 \u2705",
    "Cyngor Sir Ynys Môn: ŵ ŷ â ê î ô û",
    "Comhairle nan Eilean Siar: à è ì ò ù",
    "Bell\x07 Escape\x1b[31m red\x7f end",
]
# What a document cannot hold; the build leaves these out and says so.
UNSHOWABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TEXT_QUESTIONS = [
    "organisation__name",
    "organisation__short_name",
    "document__owner",
    "document__approved_by",
    "document__version",
    "contacts__information_governance",
    "contacts__ripa",
    "accounts__monitoring_hours",
    "messaging__record_system",
    "out_of_hours__emergency_route",
    "surveillance__process_name",
    "staff__harassment_policy_name",
    "staff__code_of_conduct",
    "comms__team",
    "data__retention",
]


def expected(value: str) -> str:
    return " ".join(UNSHOWABLE.sub("", value).split())


def markdown_text(source: str) -> list[str]:
    """Every block of the Markdown as plain text, as a CommonMark reader shows it."""
    source = split_markdown(source)[0]  # the manifest at its end is not part of the document
    blocks: list[str] = []
    for token in MarkdownIt("commonmark").enable("table").parse(source):
        assert token.type not in ("html_block", "html_inline"), token
        if token.type == "inline":
            parts = []
            for child in token.children or []:
                assert child.type not in ("html_inline", "link_open", "image"), (child.type, token.content)
                if child.type in ("text", "code_inline"):
                    parts.append(child.content)
                elif child.type == "softbreak":
                    parts.append(" ")
            blocks.append(" ".join("".join(parts).split()))
    return blocks


def docx_text(data: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(data))
    blocks = [p.text for p in document.paragraphs]
    for table in document.tables:
        blocks.extend(cell.text for row in table.rows for cell in row.cells)
    for section in document.sections:
        blocks.extend(p.text for p in section.header.paragraphs + section.footer.paragraphs)
    # Word sets typographer's quotes and dashes (render/typography.py): compare with the straight ones typed.
    return [" ".join(b.split()).translate(STRAIGHTEN) for b in blocks]


STRAIGHTEN = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2013": "-"})


def build(tmp_path: Path, write_profile, text: str, *, suffix: str = "") -> tuple[str, str, bytes, str]:
    answers = {question: f"{text} {index}{suffix}" for index, question in enumerate(TEXT_QUESTIONS)}
    answers["organisation__short_name"] = f"{text} council{suffix}"
    profile = base_profile()
    for key, value in answers.items():
        namespace, name = key.split("__")
        profile[namespace][name] = value
    profile["contacts"] = {"information_governance": answers["contacts__information_governance"], "ripa": "x"}
    path = write_profile(profile)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    markdown = next(out.glob("*-social-media-policy.md")).read_text(encoding="utf-8")
    word = next(out.glob("*-social-media-policy.docx")).read_bytes()
    gaps = next(out.glob("*-gap-report.md")).read_text(encoding="utf-8")
    return markdown, gaps, word, result.output


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_free_text_comes_out_exactly_as_typed(text, tmp_path, write_profile):
    markdown, gaps, word, output = build(tmp_path, write_profile, text)
    md_blocks = markdown_text(markdown)
    word_blocks = docx_text(word)
    md_all, word_all = "\n".join(md_blocks), "\n".join(word_blocks)
    shown = expected(text)
    # The name is on the cover and in the document control table; the short name runs through the clauses.
    assert md_blocks.count(f"{shown} 0") >= 2
    assert word_blocks.count(f"{shown} 0") >= 2
    assert md_all.count(f"{shown} council") >= 5
    assert word_all.count(f"{shown} council") >= 5
    for index, question in enumerate(TEXT_QUESTIONS[2:], start=2):
        if question in ("document__approved_by", "document__version", "document__owner"):
            # Document control rows: a cell each.
            assert f"{shown} {index}" in md_blocks, question
            assert f"{shown} {index}" in word_blocks, question
    for index in (5, 9, 12):  # information governance contact, emergency route, code of conduct
        assert f"{shown} {index}" in md_all
        assert f"{shown} {index}" in word_all
    # Template syntax in an answer is never run: no 49 where "{{ 7 * 7 }}" was typed.
    assert "49" not in md_all and "49" not in word_all
    assert "London Borough of Eastbrook" not in md_all  # {{ organisation.name }} in an answer stays as typed
    assert shown in " ".join(markdown_text(gaps))
    # The characters a document cannot hold are named, question by question.
    if UNSHOWABLE.search(text):
        assert (
            "Note: characters that documents cannot hold (U+0007, U+001B, U+007F) were left out of organisation.name,"
            " organisation.short_name, document.owner, document.approved_by"
        ) in output
    else:
        assert "cannot hold" not in output


def test_control_characters_never_reach_the_terminal(tmp_path, write_profile):
    _, _, _, output = build(tmp_path, write_profile, "Bell\x07 Escape\x1b[31m red \u202e")
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f\u202e]", output), repr(output)
    assert "for Bell\\x07 Escape\\x1b[31m red \\u202e council" in output


def test_a_character_that_is_not_text_is_an_error(tmp_path, write_profile):
    path = write_profile('schema: 1\norganisation:\n  name: "Broken \\ud800 half"\n')
    result = CliRunner().invoke(main, ["build", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.startswith(
        f"Error: {path}:3: organisation.name: U+D800 is half of a character pair, not text; delete it"
    )
    assert not (tmp_path / "out").exists()


def test_yaml_python_tags_never_run(tmp_path, write_profile):
    marker = tmp_path / "pwned"
    path = write_profile(f"schema: 1\norganisation:\n  name: !!python/object/apply:os.system ['touch {marker}']\n")
    result = CliRunner().invoke(main, ["build", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "is not allowed (only plain YAML values are)" in result.output
    assert not marker.exists()


def test_a_build_opens_no_network_connection(tmp_path, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("policy-builder tried to open a network connection")

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    example = Path(__file__).resolve().parent.parent / "profiles" / "example-council.yaml"
    formats = ",".join(FORMATS)  # every format the build can write
    result = CliRunner().invoke(main, ["build", str(example), "--out", str(tmp_path), "--format", formats])
    assert result.exit_code == 0, result.output
    assert list(tmp_path.glob("*.docx")) and list(tmp_path.glob("*.md"))


@pytest.mark.parametrize(
    ("short_name", "slug"),
    [("../../../tmp/evil", "tmp-evil"), ("/etc/passwd", "etc-passwd"), ("\U0001f3f4\u202e", "policy"), ("CON", "con")],
)
def test_output_names_come_from_a_slug_and_stay_in_out(short_name, slug, tmp_path, write_profile):
    profile = base_profile()
    profile["organisation"]["short_name"] = short_name
    out = tmp_path / "deep" / "out"
    result = CliRunner().invoke(main, ["build", str(write_profile(profile)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".yaml"]
    assert written and all(p.parent == out and p.name.startswith(f"{slug}-") for p in written), written
