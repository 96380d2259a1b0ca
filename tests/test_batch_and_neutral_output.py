"""Batches that would overwrite themselves, local ids, and output neutralised for its medium (issue 18)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import docx
import pytest
from conftest import PROFILES, one_error, run
from markdown_it import MarkdownIt

from policy_builder.regen.manifest import split_markdown

EXAMPLE = (PROFILES / "example-council.yaml").read_text(encoding="utf-8")
# What must never reach a terminal from a file: C0 controls but newline, DEL, C1 controls (0x9b is CSI).
TERMINAL_CODES = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
RAW_TAG = re.compile(r"(?<!\\)<(?:script|img|b)\b")  # a tag a Markdown viewer would pass on; "\<b" is text


def profile(tmp_path: Path, name: str, local: str = "", *, short_name: str | None = None) -> Path:
    text = EXAMPLE
    if short_name is not None:
        old = next(line for line in text.splitlines() if line.strip().startswith("short_name:"))
        text = text.replace(old, old[: old.index("short_name:")] + f"short_name: {short_name}", 1)
    path = tmp_path / name
    path.write_text(text.rstrip("\n") + "\n" + local, encoding="utf-8")
    return path


# --- batches ------------------------------------------------------------------------------


def test_two_profiles_with_one_short_name_are_refused_before_anything_is_written(library, tmp_path):
    first = profile(tmp_path, "a.yaml")
    second = profile(tmp_path, "b.yaml")
    other = profile(tmp_path, "c.yaml", short_name="Westbrook Council")
    out = tmp_path / "out"
    for jobs in ("1", "2"):
        message = one_error(run("build", other, first, second, "--out", out, "--jobs", jobs, library=library))
        assert message.startswith(f"Error: {second}: has the same short name as {first}, so both would write "), message
        assert "eastbrook-council-social-media-policy.md and the rest" in message and "nothing was written" in message
        assert not out.exists()
    message = one_error(run("build", other, other, "--out", out, library=library))
    assert f"{other}: is given twice" in message and not out.exists()


def test_profiles_with_their_own_short_names_still_build_together(library, tmp_path):
    out = tmp_path / "out"
    paths = [profile(tmp_path, "a.yaml"), profile(tmp_path, "b.yaml", short_name="Westbrook Council")]
    result = run("build", *paths, "--out", out, "--format", "md", library=library)
    assert result.exit_code in (0, 1), result.output
    assert {p.name.split("-")[0] for p in out.glob("*-manifest.json")} == {"eastbrook", "westbrook"}


def test_build_many_builds_each_profile_in_order_and_a_failure_does_not_stop_the_rest(library, tmp_path):
    from policy_builder.build import build_many
    from policy_builder.core.errors import PolicyBuilderError

    good = [profile(tmp_path, "a.yaml"), profile(tmp_path, "b.yaml", short_name="Westbrook Council")]
    bad = tmp_path / "bad.yaml"
    bad.write_text("organisation: [\n", encoding="utf-8")
    given = [good[0], bad, good[1]]
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        items = list(build_many(library, given, out, ["md"], jobs=jobs))
        assert [item.profile for item in items] == given
        assert items[1].result is None and items[1].error is not None and str(bad.name) in items[1].error
        for item, slug in ((items[0], "eastbrook"), (items[2], "westbrook")):
            assert item.error is None and item.result is not None
            assert item.result.policy.slug.startswith(slug)
            assert all(path.exists() and path.parent == out for path in item.result.written)
        assert {p.name.split("-")[0] for p in out.glob("*-manifest.json")} == {"eastbrook", "westbrook"}
    # Refused as it is called, before any profile is built: a batch that would overwrite itself.
    with pytest.raises(PolicyBuilderError, match="has the same short name as"):
        build_many(library, [good[0], profile(tmp_path, "c.yaml")], tmp_path / "never", ["md"])
    assert not (tmp_path / "never").exists()


# --- local clause ids ---------------------------------------------------------------------


def local_entry(**fields: str) -> str:
    entry = {"add_to": "messaging", "title": "Our rule", "text": "Staff ask first.", **fields}
    return "local:\n  - " + "\n    ".join(f"{k}: {json.dumps(v)}" for k, v in entry.items()) + "\n"


def line_of(path: Path, text: str) -> int:
    return next(i for i, row in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in row)


def test_a_local_clause_with_a_library_id_is_refused_at_its_line(library, tmp_path):
    clause_id = library.clauses[0].id
    for taken in (clause_id, "messaging"):
        path = profile(tmp_path, "p.yaml", local_entry(id=taken))
        message = one_error(run("build", path, "--out", tmp_path / "out", library=library))
        assert message == (
            f"Error: {path}:{line_of(path, 'id: ')}: local: id '{taken}' is the id of a library clause or section; "
            f"give your clause its own id, such as local.{taken}"
        )
    assert not (tmp_path / "out").exists()


def test_two_local_entries_with_one_id_are_refused(library, tmp_path):
    two = local_entry(id="local.ours") + "  - " + local_entry(id="local.ours").split("  - ", 1)[1]
    path = profile(tmp_path, "p.yaml", two)
    message = one_error(run("build", path, "--out", tmp_path / "out", library=library))
    first = line_of(path, "id: ")
    assert f"p.yaml:{first + 4}: local: id 'local.ours' is used by another local entry (line {first})" in message


def test_a_local_id_that_could_break_out_of_a_comment_is_refused(library, tmp_path):
    for bad in ("local.x --><script>alert(1)</script>", "local x", "1local", "local.\u202eevil"):
        path = profile(tmp_path, "p.yaml", local_entry(id=bad))
        message = one_error(run("build", path, "--out", tmp_path / "out", library=library))
        assert f"p.yaml:{line_of(path, 'id: ')}: local: id " in message, message
        assert "use letters, digits, '.', '-' and '_' only" in message, message


# --- raw HTML in local wording ------------------------------------------------------------

HOSTILE = (
    "Staff ask first. <script>alert(1)</script> <img src=x onerror=alert(2)> <!-- hidden --> See <https://example.org>."
)


def test_raw_html_in_local_wording_is_text_in_markdown_and_word(library, tmp_path):
    path = profile(tmp_path, "p.yaml", local_entry(id="local.ours", text=HOSTILE))
    out = tmp_path / "out"
    result = run("build", path, "--out", out, library=library)
    assert result.exit_code in (0, 1), result.output
    # The policy as readers see it: the manifest comment at its end is data, checked by its own test.
    markdown = split_markdown(next(out.glob("*-social-media-policy.md")).read_text(encoding="utf-8"))[0]
    assert "<script>" not in markdown and "<img" not in markdown and "<!-- hidden" not in markdown
    tokens = MarkdownIt("commonmark").parse(markdown)
    shown = "".join(
        child.content for token in tokens if token.children for child in token.children if child.type == "text"
    )
    assert "<script>alert(1)</script>" in shown and "<img src=x onerror=alert(2)>" in shown  # shown as typed
    html = [t for t in tokens if t.type == "html_block"] + [
        c for t in tokens if t.children for c in t.children if c.type == "html_inline"
    ]
    assert all(t.content.startswith("<!-- bookmark: ") for t in html), [t.content for t in html]
    links = [c.attrs.get("href") for t in tokens if t.children for c in t.children if c.type == "link_open"]
    assert "https://example.org" in links  # an autolink keeps working
    document = docx.Document(io.BytesIO(next(out.glob("*-social-media-policy.docx")).read_bytes()))
    body = "\n".join(p.text for p in document.paragraphs)
    assert "<script>alert(1)</script>" in body and "&lt;" not in body


def test_the_gap_report_escapes_a_local_note(library, tmp_path):
    entry = local_entry(id="local.ours", title="Our <b>rule</b>", after="messaging.no-such-clause")
    path = profile(tmp_path, "p.yaml", entry)
    out = tmp_path / "out"
    result = run("build", path, "--out", out, "--format", "md", library=library)
    assert result.exit_code in (0, 1), result.output
    report = next(out.glob("*-gap-report.md")).read_text(encoding="utf-8")
    assert "**local.ours**" in report and "<b>" not in report


# --- the terminal ----------------------------------------------------------------------------


def test_terminal_codes_in_a_local_title_never_reach_the_terminal(library, tmp_path):
    entry = local_entry(id="local.ours", title="Rule \x1b]0;owned\x07 \x9b31m red", after="messaging.nothing")
    path = profile(tmp_path, "p.yaml", entry.replace("\\u001b", "\\e").replace("\\u0007", "\\a"))
    result = run("build", path, "--out", tmp_path / "out", "--format", "md", library=library)
    assert result.exit_code in (0, 1), result.output
    assert "Local wording: your local clause 'Rule \\x1b]0;owned\\x07 \\x9b31m red'" in result.output
    assert not TERMINAL_CODES.search(result.output), repr(result.output)


def test_changes_and_check_show_a_manifests_terminal_codes_as_escapes(library, tmp_path):
    out = tmp_path / "issued"
    assert run("build", profile(tmp_path, "p.yaml"), "--out", out, "--format", "md", library=library).exit_code in (
        0,
        1,
    )
    good = next(out.glob("*-manifest.json"))
    data = json.loads(good.read_text(encoding="utf-8"))
    data["organisation"] = "Evil\x1b]8;;https://evil.example\x07 Council\x9b2J"
    data["clauses"][0]["title"] = "Title \x1b[31m red \u202e"
    data["clauses"][0]["sha256"] = "0" * 64
    data["gaps"].append({"id": "x", "severity": "high", "message": "bell\x07 \x1bc reset"})
    bad = tmp_path / "bad-manifest.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    for args in (("changes", good, bad), ("changes", good, bad, "--json"), ("check", bad)):
        result = run(*args, library=library)
        assert result.exit_code in (0, 1), result.output
        assert not TERMINAL_CODES.search(result.output), (args[0], repr(result.output[:500]))
        assert "\u202e" not in result.output
    shown = run("changes", good, bad, library=library).output
    assert "Evil\\x1b]8;;https://evil.example\\x07 Council\\x9b2J" in shown
    parsed = json.loads(run("changes", good, bad, "--json", library=library).output)
    assert parsed["new"]["organisation"] == data["organisation"]  # still the same data, escaped as JSON


def test_a_word_summary_of_changes_holds_no_raw_html_from_a_title(library, tmp_path):
    out = tmp_path / "issued"
    assert run("build", profile(tmp_path, "p.yaml"), "--out", out, "--format", "md", library=library).exit_code in (
        0,
        1,
    )
    good = next(out.glob("*-manifest.json"))
    data = json.loads(good.read_text(encoding="utf-8"))
    data["clauses"][0]["title"] = "<script>x</script>"
    data["clauses"][0]["id"] = "new.id"
    bad = tmp_path / "bad-manifest.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    summary = tmp_path / "summary.md"
    result = run("changes", good, bad, "--output", summary, library=library)
    assert result.exit_code == 0, result.output
    text = summary.read_text(encoding="utf-8")
    assert "<script>" not in text
    word = tmp_path / "summary.docx"
    assert run("changes", good, bad, "--output", word, library=library).exit_code == 0
    with zipfile.ZipFile(word) as z:
        assert "&lt;script&gt;x&lt;/script&gt;" in z.read("word/document.xml").decode("utf-8")


def test_a_previous_issue_cannot_put_raw_html_into_the_new_policy(library, tmp_path):
    out = tmp_path / "issued"
    path = profile(tmp_path, "p.yaml")
    assert run("build", path, "--out", out, "--format", "md", library=library).exit_code in (0, 1)
    data = json.loads(next(out.glob("*-manifest.json")).read_text(encoding="utf-8"))
    data["clauses"].append(dict(data["clauses"][0], id="gone", title="<script>alert(1)</script>", number="<b>9.9</b>"))
    data["answers"]["organisation.type"] = "<img src=x onerror=alert(2)>"
    previous = tmp_path / "previous-manifest.json"
    previous.write_text(json.dumps(data), encoding="utf-8")
    new = tmp_path / "new"
    result = run("build", path, "--out", new, "--format", "md", "--previous", previous, library=library)
    assert result.exit_code in (0, 1), result.output
    policy = next(new.glob("*-social-media-policy.md")).read_text(encoding="utf-8")
    assert 'Removed the clause "\\<script\\>alert(1)\\</script\\>"' in policy
    assert not RAW_TAG.search(policy), RAW_TAG.search(policy)
    summary = tmp_path / "summary.md"
    assert (
        run("changes", previous, next(new.glob("*-manifest.json")), "--output", summary, library=library).exit_code == 0
    )
    text = summary.read_text(encoding="utf-8")
    assert not RAW_TAG.search(text), RAW_TAG.search(text)
