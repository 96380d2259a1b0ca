"""What is kept between runs: the library snapshot, compiled templates and names.json.

Behaviour only (no timings): a second load uses the snapshot, any edit to the
library's files is seen, a damaged snapshot is ignored, a broken library is
reported every time and never kept, and everything stays inside the cache folder.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BUILD_DATE, PROFILES, ROOT, marked_library, once_per_run
from conftest import CACHE_MARKER as MARKER
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import FileSystemBytecodeCache

from policy_builder.content import library as library_module
from policy_builder.content.library import load_library
from policy_builder.core import signed_cache, templating
from policy_builder.core.errors import LibraryError
from policy_builder.pipeline.assemble import build_policy
from policy_builder.pipeline.profile import load_profile


@pytest.fixture
def small_clauses(tmp_path: Path) -> Path:
    """A marked library of one section (01-purpose.yaml) and every other file: for a test that reads a library
    afresh several times to see what is kept of it, at a fifth of the whole library's cost each time. The
    whole library's second load, field by field, is test_second_load_comes_from_the_snapshot_...'s."""
    return marked_library(tmp_path / "clauses", "01-purpose.yaml")


def snapshots(cache: Path) -> list[Path]:
    return sorted((cache / "library").glob("*" + library_module.SNAPSHOT_SUFFIX))


def policy_text(library: library_module.Library) -> str:
    answers = load_profile(
        PROFILES / "example-council.yaml", library.questionnaire, library.nations, build_date=BUILD_DATE
    )
    policy = build_policy(library, answers)
    return "\n".join(f"{c.id}: {c.text}" for c in policy.clauses)


def test_second_load_comes_from_the_snapshot_and_builds_the_same_policy(cache, clauses, yaml_reads):
    first = load_library(clauses)
    assert any(p.name == "01-purpose.yaml" for p in yaml_reads)
    assert len(snapshots(cache)) == 1
    yaml_reads.clear()
    second = load_library(clauses)
    assert yaml_reads == []  # no YAML parsed: the snapshot was used
    assert second.sections == first.sections
    assert second.questionnaire == first.questionnaire
    assert second.items == first.items and second.gap_rules == first.gap_rules
    assert second.actions == first.actions and second.version == first.version
    assert set(second.templates) == set(first.templates)
    text = policy_text(second)
    assert MARKER in text
    assert text == policy_text(first)


def test_a_changed_clause_text_is_seen_even_with_the_same_size_and_time(cache, small_clauses, yaml_reads):
    assert MARKER in policy_text(load_library(small_clauses))
    path = small_clauses / "01-purpose.yaml"
    before = path.stat()
    changed = MARKER.replace("one", "two")
    path.write_text(path.read_text(encoding="utf-8").replace(MARKER, changed), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    yaml_reads.clear()
    library = load_library(small_clauses)
    assert yaml_reads  # read afresh
    text = policy_text(library)
    assert changed in text and MARKER not in text
    assert len(snapshots(cache)) == 1  # the new snapshot replaced the old one


def test_a_new_section_file_is_seen(cache, clauses):
    before = load_library(clauses)
    source = (clauses / "18-review.yaml").read_text(encoding="utf-8")
    extra = source.replace("id: review", "id: review-extra", 1).replace("- id: review.", "- id: review-extra.")
    (clauses / "19-extra.yaml").write_text(extra, encoding="utf-8")
    after = load_library(clauses)
    assert [s.id for s in after.sections] == [*(s.id for s in before.sections), "review-extra"]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "bad payload", "empty"])
def test_a_damaged_snapshot_is_ignored_and_rebuilt(cache, snapshotted, yaml_reads, damage):
    load_library(snapshotted)
    [path] = snapshots(cache)
    raw = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(os.urandom(4096))
    elif damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # signed with this user's key, but not a library: a pickle, as the old snapshots were
        payload = b"\x80\x05not a pickle at all"
        path.write_bytes(signed_cache.seal(cache, "library/" + path.name, payload))
    yaml_reads.clear()
    library = load_library(snapshotted)
    assert yaml_reads  # read afresh, no crash
    assert MARKER in policy_text(library)
    again = signed_cache.load(cache, path)  # written again, signed
    assert again is not None and json.loads(again)["format"] == library_module.SNAPSHOT_FORMAT
    yaml_reads.clear()
    load_library(snapshotted)
    assert yaml_reads == []


def test_an_unreadable_cache_folder_only_means_no_snapshot(tmp_path, monkeypatch, small_clauses):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be", encoding="utf-8")
    monkeypatch.setenv(templating.CACHE_ENV, str(blocker))
    monkeypatch.setattr(templating, "_folder", False)
    monkeypatch.setattr(templating, "_cache", False)
    assert MARKER in policy_text(load_library(small_clauses))
    assert MARKER in policy_text(load_library(small_clauses))


def test_a_broken_library_is_reported_every_time_and_never_kept(cache, small_clauses):
    load_library(small_clauses)  # a good snapshot of this folder exists
    path = small_clauses / "01-purpose.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("sources: [BASW-PURPOSE,", "sources: [NO-SUCH-SOURCE,", 1),
        encoding="utf-8",
    )
    messages = []
    for _ in range(2):
        with pytest.raises(LibraryError) as caught:
            load_library(small_clauses)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert "01-purpose.yaml:" in messages[0] and "unknown source id(s) NO-SUCH-SOURCE" in messages[0]


def test_a_library_with_an_unknown_name_is_not_kept(cache, small_clauses, yaml_reads):
    path = small_clauses / "01-purpose.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(MARKER, "{{ organisation.nmae }}"), encoding="utf-8")
    first = load_library(small_clauses)
    assert first.problems and "organisation.nmae" in str(first.problems[0])
    assert snapshots(cache) == []
    yaml_reads.clear()
    second = load_library(small_clauses)
    assert yaml_reads  # read afresh
    assert [str(p) for p in second.problems] == [str(p) for p in first.problems]
    with pytest.raises(LibraryError, match="organisation.nmae"):
        second.require_sound()


@pytest.fixture(scope="session")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], list[str]]:
    """(cache folder, out folders, stderr): `policy-builder build` of the example council twice, each in a
    process of its own (-X importtime), into a new cache folder inside a folder of its own: a cold build,
    then a warm one. Made once a run for the tests of what the two runs leave, which only read it."""

    def build() -> tuple[Path, list[Path], list[str]]:
        work = tmp_path_factory.mktemp("two-builds")
        cache = work / "outer" / "cache"
        env = {**os.environ, templating.CACHE_ENV: str(cache), "POLICY_BUILDER_PAGE_NUMBERS": "0"}
        outs, stderr = [], []
        for run in range(2):
            out = work / f"out{run}"
            command = ["-X", "importtime", "-m", "policy_builder", "build", str(PROFILES / "example-council.yaml")]
            result = subprocess.run(
                [sys.executable, *command, "--out", str(out)], env=env, check=True, capture_output=True, text=True
            )
            outs.append(out)
            stderr.append(result.stderr)
        return cache, outs, stderr

    return once_per_run(tmp_path_factory, "two-builds", build)


def test_build_keeps_everything_inside_the_cache_folder(two_builds):
    """names.json, the snapshot and the compiled output templates all go inside $POLICY_BUILDER_CACHE."""
    cache, outs, _ = two_builds
    outputs = [sorted(out.glob("*.md")) for out in outs]
    assert sorted(p.name for p in cache.parent.iterdir()) == ["cache"]  # nothing beside the folder
    assert (cache / "names.json").is_file()
    assert len(snapshots(cache)) == 1
    bytecode = FileSystemBytecodeCache(str(cache / "jinja"))
    templates = ROOT / "templates"
    for name in ("policy.md.j2", "practice-guide.md.j2", "sources-annex.md.j2"):
        key = bytecode.get_cache_key(name, str(templates / name))
        assert (cache / "jinja" / f"__jinja2_{key}.cache").is_file(), name
    # The second run (snapshot, cached templates) wrote the same documents as the first, bar the manifest's date.
    first, second = outputs
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_text(encoding="utf-8") == b.read_text(encoding="utf-8"), a.name


def every_file(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if not path.is_dir()}


def test_nothing_is_written_outside_the_cache_folder_but_what_was_asked_for(tmp_path):
    """Every file any command creates is listed: each is in $POLICY_BUILDER_CACHE or the --out folder asked for.

    Home, the XDG cache, the temporary folder and the working folder are all inside tmp_path, so a file
    written to the cache folder's parent, a default cache in the home folder or a stray temporary file shows.
    """
    cache = tmp_path / "outer" / "cache"
    home, work, temp = tmp_path / "home", tmp_path / "work", tmp_path / "tmp"
    for folder in (home, work, temp):
        folder.mkdir()
    env = {
        **os.environ,
        templating.CACHE_ENV: str(cache),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "TMPDIR": str(temp),
    }
    env.pop("POLICY_BUILDER_LIBRARY", None)
    profile = work / "example.yaml"
    shutil.copy(PROFILES / "example-council.yaml", profile)
    before = every_file(tmp_path)
    out = work / "out"
    commands = [
        ["build", str(profile), "--out", str(out), "--format", "md,docx,summary,leaflet"],
        ["lint", "--only", "readability", "--only", "handouts"],  # reading levels: the syllables kept
        ["gaps", str(profile)],
        ["questions"],
    ]
    for command in commands:
        done = subprocess.run(
            [sys.executable, "-m", "policy_builder", *command], cwd=work, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, (command, done.stderr)
    created = every_file(tmp_path) - before
    outside = sorted(str(path.relative_to(tmp_path)) for path in created if cache not in path.parents)
    assert outside == sorted(str(path.relative_to(tmp_path)) for path in every_file(out)), "only the policy files"
    inside = {path.relative_to(cache).as_posix() for path in created if cache in path.parents}
    assert {"key", "names.json", "syllables.json"} <= inside
    assert any(name.startswith("library/") for name in inside) and any(name.startswith("jinja/") for name in inside)


def _escape_every_step(text: str) -> str:
    """markdown_escape without its shortcut for plain text: every substitution, every time."""
    import re

    text = templating._LINE_BREAKS.sub(" ", str(text))  # VT, FF, NEL, U+2028/9 fold as newlines do
    text = templating._CONTROL.sub("", text)
    text = templating._MD_SPECIAL.sub(r"\\\1", text)
    text = re.sub(r"^(\s*\d+)([.)])(\s|$)", r"\1\\\2\3", text)
    return re.sub(r"^(\s*)([-+=])", r"\1\\\2", text)


# The characters the escaping treats apart (Markdown's, line breaks, controls, digits and list markers), a
# letter and a space.
SPECIAL = "aZ 9.)-+=\\`*_[]<>|#~&\r\n\t\x00\x0b\x0c\x1f\x85\x9b\u2028\u2029\ufffe"


def test_the_plain_text_shortcut_escapes_every_short_mix_of_the_special_characters_exactly():
    # Every string of one to three of them (37,059, under a second): each character alone, first, last and
    # beside every other, so "9. ", " -" and "\r\n" at a line start are all tried, every run.
    for length in (1, 2, 3):
        for characters in itertools.product(SPECIAL, repeat=length):
            text = "".join(characters)
            assert templating.markdown_escape(text) == _escape_every_step(text), repr(text)


# Longer random text on top (it was 3,000 examples, about 5 s; the short mixes above now cover every
# combination the random run was most likely to find).
@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=st.sampled_from(list(SPECIAL)))))
def test_the_plain_text_shortcut_escapes_exactly_as_every_step_would(text):
    assert templating.markdown_escape(text) == _escape_every_step(text)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a file away")
def test_a_snapshot_owned_by_someone_else_is_not_read(cache, snapshotted, yaml_reads):
    load_library(snapshotted)
    [path] = snapshots(cache)
    os.chown(path, os.getuid() + 4242, -1)
    yaml_reads.clear()
    assert MARKER in policy_text(load_library(snapshotted))
    assert yaml_reads  # read afresh
    assert path.stat().st_uid == os.getuid()  # and replaced by this user's own


def test_the_output_templates_are_compiled_once_and_then_read_from_the_cache(cache, monkeypatch):
    """The Markdown templates every build renders (policy, guide, annex, gap report and the parts they
    import) come from the signed compiled-template cache on the next run, not compiled again."""
    from jinja2 import Environment

    from policy_builder.pipeline.gaps import find_gaps
    from policy_builder.render import markdown

    compiled: list[str | None] = []
    real = Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):  # noqa: ANN001, ANN202, FBT002
        compiled.append(name)
        return real(self, source, name, filename, raw, defer_init)

    library = load_library(ROOT / "clauses")
    answers = load_profile(
        PROFILES / "example-council.yaml", library.questionnaire, library.nations, build_date=BUILD_DATE
    )
    policy = build_policy(library, answers)
    warnings = find_gaps(library, answers)

    def render_all() -> list[str]:
        markdown.output_environment.cache_clear()  # as a new process: a new environment, nothing in memory
        markdown._BUILT.clear()
        return [
            markdown.render_policy(policy),
            markdown.render_guide(policy),
            markdown.render_annex(policy),
            markdown.render_gap_report(policy, warnings, library),
        ]

    monkeypatch.setattr(Environment, "compile", counting)
    try:
        first = render_all()
        assert {"policy.md.j2", "practice-guide.md.j2", "sources-annex.md.j2", "gap-report.md.j2"} <= set(compiled)
        compiled.clear()
        assert render_all() == first
        assert compiled == []  # every template, and the _parts it imports, from the cache
    finally:
        markdown.output_environment.cache_clear()
        markdown._BUILT.clear()


# --- a document's blocks, kept between runs (render/kept_blocks.py) ----------------------------------

KEPT_MARKDOWN = """# Social media policy

**London Borough of Eastbrook**

<!-- word -->
Only in Word: the contents field below.
<!-- end -->

## Contents

- [About](#about)

<!-- bookmark: section.about -->
## 1. About "this" policy

A paragraph with **bold** and *italic* words,
a soft break and a hard one\\
and `code`.

1. First, ordered
   - nested bullet
2. Second
   1. nested ordered

<!-- widths: 30 70 -->
| Clause | What it says |
|---|---|
| 1.1 | Staff's "own" accounts |

> A quote
>
> in two paragraphs

    an indented code block

<!-- markdown -->
OFFICIAL
<!-- end -->
"""


def described(blocks: list) -> list:
    """Every value the Markdown and Word writers read from a document's blocks, as plain values."""
    from policy_builder.render import blocks as b

    def text(t: b.Text) -> tuple:
        return (t.source, t.plain, t.runs)

    out = []
    for block in blocks:
        kind, head = type(block).__name__, (block.markdown, block.only)
        if isinstance(block, b.Heading):
            out.append((kind, *head, block.level, text(block.text), block.bookmark))
        elif isinstance(block, b.Subtitle):
            out.append((kind, *head, block.text))
        elif isinstance(block, b.Paragraph):
            out.append((kind, *head, text(block.text)))
        elif isinstance(block, b.ListBlock):
            items = [(i.depth, i.ordered, i.number_list, text(i.text)) for i in block.items]
            out.append((kind, *head, items, block.ordered_lists))
        elif isinstance(block, b.Table):
            out.append((kind, *head, [text(c) for c in block.header], [[text(c) for c in r] for r in block.rows]))
            out.append(block.widths)
        elif isinstance(block, b.Contents):
            # The headings it lists must be the document's own heading blocks, not copies.
            out.append((kind, *head, block.title, [blocks.index(h) for h in block.headings], block.entries))
            assert all(any(h is other for other in blocks) for h in block.headings)
        elif isinstance(block, b.Quote):
            out.append((kind, *head, [text(p) for p in block.paragraphs]))
        else:
            out.append((kind, *head))
    return out


def word_body(blocks: list) -> bytes:
    from lxml import etree

    from policy_builder.render.docx import Writer, open_template

    document = open_template()
    Writer(document).write(blocks)
    return etree.tostring(document.element.body)


def test_a_documents_blocks_are_kept_and_read_back_as_parsed_without_markdown_it(cache, monkeypatch):
    from policy_builder.render import blocks as b
    from policy_builder.render import kept_blocks

    parsed = b.parse(KEPT_MARKDOWN)
    first = kept_blocks.document_blocks(KEPT_MARKDOWN)  # parsed, and kept
    assert len(list((cache / kept_blocks.FOLDER).glob("*.json"))) == 1
    assert {type(block).__name__ for block in parsed} >= {
        "Heading",
        "Subtitle",
        "Paragraph",
        "ListBlock",
        "Table",
        "Contents",
        "Quote",
        "Raw",
    }

    def no_parsing(markdown: str) -> list:
        raise AssertionError("parsed again: the kept blocks were not used")

    monkeypatch.setattr(kept_blocks, "parse", no_parsing)
    kept = kept_blocks.document_blocks(KEPT_MARKDOWN)
    assert kept is not first
    assert described(kept) == described(parsed) == described(first)
    assert b.to_markdown(kept) == b.to_markdown(parsed)
    assert word_body(kept) == word_body(parsed)
    with pytest.raises(ValueError, match="no markdown-it tokens"):
        kept[2].text.children  # noqa: B018 - a kept text has its runs and words, not tokens


@pytest.mark.parametrize("how", ["unsigned", "signed but odd", "another format"])
def test_an_altered_kept_document_is_ignored_and_the_markdown_parsed_afresh(cache, how):
    from policy_builder.render import blocks as b
    from policy_builder.render import kept_blocks

    kept_blocks.document_blocks(KEPT_MARKDOWN)
    (path,) = (cache / kept_blocks.FOLDER).glob("*.json")
    data = signed_cache.load(cache, path)
    assert data is not None
    stored = json.loads(data)
    if how == "unsigned":  # someone else's words, with no valid signature
        path.write_bytes(path.read_bytes().replace(b"bold", b"BOLD"))
    elif how == "signed but odd":  # a run whose text is a number: this code never writes one
        stored["blocks"][5][3][2][0][0] = 7
        signed_cache.store(cache, path, json.dumps(stored).encode())
    else:
        stored["format"] = "policy-builder kept blocks 0"
        signed_cache.store(cache, path, json.dumps(stored).encode())
    again = kept_blocks.document_blocks(KEPT_MARKDOWN)
    assert described(again) == described(b.parse(KEPT_MARKDOWN))
    assert "BOLD" not in b.to_markdown(again)


def test_a_warm_build_imports_no_markdown_parser_and_writes_the_same_files(two_builds):
    _, outs, stderr = two_builds
    imported = [(" markdown_it\n" in text, " yaml\n" in text) for text in stderr]
    written = [{p.name: p.read_bytes() for p in out.glob("*.md")} for out in outs]
    # The first run parsed (and kept) the documents and the profile; the second read them back.
    assert imported == [(True, True), (False, False)]
    assert written[0] == written[1]


# --- a profile read before, kept between runs (core/yamlio.load_kept) -----------------------------------


def test_a_profile_read_before_is_read_back_without_yaml_and_gives_the_same_answers(cache, monkeypatch):
    from policy_builder.core import yamlio

    library = load_library()
    profile = PROFILES / "example-council.yaml"
    first = load_profile(profile, library.questionnaire, library.nations, build_date=BUILD_DATE)
    assert len(list((cache / yamlio.KEPT_FOLDER).glob("*.json"))) == 1
    parsed = yamlio.load(profile)

    def no_yaml(*args: object, **kwargs: object) -> None:
        raise AssertionError("the profile's YAML was read again")

    monkeypatch.setattr(yamlio, "loads", no_yaml)
    kept = yamlio.load_kept(profile)
    assert (kept.path, kept.data, kept.lines, kept.block_scalars, kept.plain_text) == (
        parsed.path,
        parsed.data,
        parsed.lines,
        parsed.block_scalars,
        parsed.plain_text,
    )
    second = load_profile(profile, library.questionnaire, library.nations, build_date=BUILD_DATE)
    assert second == first


def test_kept_yaml_values_of_every_kind_read_back_as_they_were(cache, tmp_path):
    from policy_builder.core import yamlio

    path = tmp_path / "kinds.yaml"
    path.write_text(
        "text: plain\nnumber: 010\nversion: 1.10\nfloat: 2.5\nflag: true\nnothing:\nday: 2026-12-02\n"
        "moment: 2026-12-02 10:30:00+01:00\nlist: [1, two, 2026-01-01]\n1: a number key\n"
        "2026-12-02: a date key\nblock: |\n  two\n  lines\n",
        encoding="utf-8",
    )
    first, again = yamlio.load_kept(path), yamlio.load_kept(path)
    for doc in (first, again):
        assert doc.data["day"] == dt.date(2026, 12, 2) and type(doc.data["day"]) is dt.date
        assert doc.data["moment"].utcoffset() == dt.timedelta(hours=1)
        assert doc.data[1] == "a number key" and doc.data[dt.date(2026, 12, 2)] == "a date key"
        assert doc.as_typed(doc.data["version"], "version") == "1.10"
        assert doc.text_start("block") == 13
    assert again.data == first.data and [type(v) for v in again.data.values()] == [type(v) for v in first.data.values()]
    assert (again.lines, again.block_scalars, again.plain_text) == (first.lines, first.block_scalars, first.plain_text)


@pytest.mark.parametrize("how", ["unsigned", "signed but odd"])
def test_an_altered_kept_profile_is_ignored_and_the_yaml_read_afresh(cache, tmp_path, how):
    from policy_builder.core import yamlio

    path = tmp_path / "profile.yaml"
    path.write_text("organisation:\n  name: Eastbrook\n", encoding="utf-8")
    yamlio.load_kept(path)
    (kept,) = (cache / yamlio.KEPT_FOLDER).glob("*.json")
    if how == "unsigned":
        kept.write_bytes(kept.read_bytes().replace(b"Eastbrook", b"Westbrook"))
    else:  # a line number that is text: this code never writes one
        stored = json.loads(signed_cache.load(cache, kept) or b"")
        stored["lines"][0][1] = "one"
        signed_cache.store(cache, kept, json.dumps(stored).encode())
    doc = yamlio.load_kept(path)
    assert doc.data == {"organisation": {"name": "Eastbrook"}} and doc.line("organisation", "name") == 2


def test_a_profile_with_a_problem_is_reported_every_time_and_never_kept(cache, tmp_path):
    from policy_builder.core import yamlio

    path = tmp_path / "profile.yaml"
    path.write_text("organisation:\n  name: Eastbrook\n  name: again\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(yamlio.SourceError, match="appears twice"):
            yamlio.load_kept(path)
    assert not list((cache / yamlio.KEPT_FOLDER).glob("*.json"))
