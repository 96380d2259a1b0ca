"""Plausible input (issue 18): long names, odd numbers, typed answers kept as typed, never a traceback."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from click.testing import CliRunner
from conftest import PROFILES, one_error, run

from policy_builder.cli import main

EXAMPLE = (PROFILES / "example-council.yaml").read_text(encoding="utf-8")


def with_line(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_a_long_organisation_name_builds_and_only_the_properties_are_shortened(library, tmp_path):
    name = " ".join(["Royal Borough of Very Long Name and District Health and Care Partnership"] * 5)
    assert len(name) > 300
    profile = tmp_path / "long.yaml"
    profile.write_text(with_line(EXAMPLE, "name: London Borough of Eastbrook", f"name: {name}"), encoding="utf-8")
    out = tmp_path / "out"
    result = run("build", profile, "--out", out, "--format", "docx", library=library)
    assert result.exit_code == 0, result.output
    docx = next(out.glob("*-social-media-policy.docx"))
    with zipfile.ZipFile(io.BytesIO(docx.read_bytes())) as z:
        core = z.read("docProps/core.xml").decode("utf-8")
        body = z.read("word/document.xml").decode("utf-8")

    subject = re.search(r"<dc:subject>(.*?)</dc:subject>", core).group(1)
    author = re.search(r"<dc:creator>(.*?)</dc:creator>", core).group(1)
    assert len(subject) <= 255 and subject.startswith("Social Media and Digital Contact Policy for Royal Borough")
    assert subject.endswith("Partnership…") or subject[:-1].split()[-1] in name.split(), subject
    assert len(author) <= 255 and author.endswith("…") and not author[:-1].endswith(" ")
    assert name.split()[-1] in body and name[:200] in body.replace("&amp;", "&")


def test_shorten_property_cuts_at_a_word_and_leaves_short_text_alone():
    from policy_builder.render.docx.ooxml import shorten_property

    assert shorten_property("Short title") == "Short title"
    long = "word " * 100
    cut = shorten_property(long)
    assert len(cut) <= 255 and cut.endswith("word…")


def _profile_with(tmp_path: Path, old: str, new: str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(with_line(EXAMPLE, old, new), encoding="utf-8")
    return path


def _review_line() -> str:
    line = next(row for row in EXAMPLE.splitlines() if row.strip().startswith("review_months:"))
    return line


def _assert_refused_for_review_months(library, tmp_path: Path, odds: tuple[str, ...]) -> None:
    review = _review_line()
    indent = review[: len(review) - len(review.lstrip())]
    line_number = EXAMPLE.splitlines().index(review) + 1
    for odd in odds:
        path = _profile_with(tmp_path, review, f"{indent}review_months: {odd}")
        message = one_error(run("build", path, "--out", tmp_path / "out", library=library))
        assert f"p.yaml:{line_number}: document.review_months:" in message, message
        assert "is not a whole number from" in message, message
        assert not (tmp_path / "out").exists()


def test_odd_numbers_for_a_number_question_are_a_located_line(library, tmp_path):
    _assert_refused_for_review_months(library, tmp_path, ("'--5'", "'²'", "'١٢'", "'+-3'", "'1_2'", "'99999999999999'"))


def test_numbers_yaml_1_1_would_convert_are_refused_not_changed(library, tmp_path):
    # YAML 1.1 reads these as 31, 12, 12 and 80 (sexagesimal): the user did not write those numbers.
    _assert_refused_for_review_months(library, tmp_path, ("0x1F", "0o14", "1_2", "1:20", "12.0"))


def test_a_number_question_still_reads_numbers(library, answers_for):
    from conftest import base_profile

    profile = base_profile()
    profile["document"]["review_months"] = 18
    assert answers_for(profile).values["document.review_months"] == 18
    profile["document"]["review_months"] = "24"
    assert answers_for(profile).values["document.review_months"] == 24


def test_free_text_answers_are_kept_exactly_as_typed(library, tmp_path):
    from policy_builder.pipeline.profile import load_profile

    text = with_line(EXAMPLE, 'version: "1.0"', "version: 1.10")
    text = with_line(text, "owner: Principal Social Worker", "owner: 010")
    text = with_line(text, "approved_by: Children's and Adults' Social Care Leadership Team", "approved_by: 1:20")
    path = tmp_path / "typed.yaml"
    path.write_text(text, encoding="utf-8")
    answers = load_profile(path, library.questionnaire, library.nations)
    assert answers.values["document.version"] == "1.10"
    assert answers.values["document.owner"] == "010"
    assert answers.values["document.approved_by"] == "1:20"
    path.write_text(with_line(text, "owner: 010", "owner: 0x1F"), encoding="utf-8")
    assert load_profile(path, library.questionnaire, library.nations).values["document.owner"] == "0x1F"


def test_binary_and_other_tags_are_refused_with_the_line(library, tmp_path):
    for tag in ("!!binary aGVsbG8=", "!!set {a, b}", "!!omap [a: 1]", "!!python/none ''"):
        path = tmp_path / "tag.yaml"
        path.write_text(with_line(EXAMPLE, "owner: Principal Social Worker", f"owner: {tag}"), encoding="utf-8")
        line_number = path.read_text(encoding="utf-8").splitlines().index(f"  owner: {tag}") + 1
        message = one_error(run("build", path, "--out", tmp_path / "out", library=library))
        assert f"tag.yaml:{line_number}: " in message and "is not allowed" in message, message


def test_a_lone_surrogate_in_a_local_clause_is_refused_before_anything_is_written(library, tmp_path):
    for field, value in (
        ("id", '"local.x\\ud800"'),
        ("title", '"Our \\udc00 rule"'),
        ("text", '"Staff \\ud83d must."'),
    ):
        entry = {"id": '"local.ours"', "title": '"Our rule"', "text": '"Staff must ask first."'}
        entry[field] = value
        local = "local:\n  - add_to: messaging\n" + "".join(f"    {k}: {v}\n" for k, v in entry.items())
        path = tmp_path / "surrogate.yaml"
        path.write_text(EXAMPLE.rstrip("\n") + "\n" + local, encoding="utf-8")
        line_number = len(EXAMPLE.rstrip("\n").splitlines()) + 3 + list(entry).index(field)
        out = tmp_path / f"out-{field}"
        message = one_error(run("build", path, "--out", out, library=library))
        assert f"surrogate.yaml:{line_number}: local: {field}" in message, message
        assert "half of a character pair" in message, message
        assert not out.exists() or not list(out.iterdir()), "a failed build wrote files"


def test_a_very_long_reference_docx_path_is_a_located_line(library, tmp_path):
    path = tmp_path / "ref.yaml"
    long = "/tmp/" + "a" * 5000 + ".docx"
    path.write_text(with_line(EXAMPLE, "  owner: ", f"  reference_docx: {long}\n  owner: "), encoding="utf-8")
    message = one_error(run("build", path, "--out", tmp_path / "out", library=library))
    assert "ref.yaml:" in message and "reference_docx" in message, message
    assert len(message) < 600, message


# --- manifests read back by changes, check and build --previous ------------------------------


def _built_manifest(library, tmp_path: Path) -> Path:
    out = tmp_path / "issued"
    result = run("build", PROFILES / "example-council.yaml", "--out", out, "--format", "md", library=library)
    assert result.exit_code in (0, 1), result.output
    return next(out.glob("*-manifest.json"))


def _mutated(manifest: Path, tmp_path: Path, name: str, change) -> Path:
    import json

    data = json.loads(manifest.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_manifest_with_a_missing_or_mistyped_field_is_one_line_naming_the_field(library, tmp_path):
    good = _built_manifest(library, tmp_path)
    cases = {
        "document-list": (lambda d: d.update(document=[]), "document: expected a mapping"),
        "document-null": (lambda d: d.update(document=None), "document: expected a mapping"),
        "clauses-text": (lambda d: d.update(clauses="all"), "clauses: expected a list"),
        "clause-no-id": (lambda d: d["clauses"][2].pop("id"), "clauses[2].id: missing"),
        "clause-no-sha": (lambda d: d["clauses"][0].pop("sha256"), "clauses[0].sha256: missing"),
        "review-missing": (lambda d: d["document"].pop("review_date"), "document.review_date: missing"),
        "review-impossible": (
            lambda d: d["document"].update(review_date="2026-02-30"),
            "document.review_date: '2026-02-30' is not a real date",
        ),
        "built-number": (lambda d: d.update(built=2026), "built: expected a date written YYYY-MM-DD"),
        "answers-list": (lambda d: d.update(answers=[1]), "answers: expected a mapping"),
        "gap-text": (lambda d: d.update(gaps=["x"]), "gaps[0]: expected a mapping"),
        "history-no-summary": (
            lambda d: d.update(history=[{"version": "1.0", "date": "2026-01-01"}]),
            "history[0].summary: missing",
        ),
    }
    for name, (change, expect) in cases.items():
        bad = _mutated(good, tmp_path, name, change)
        for args in (("changes", bad, good), ("changes", good, bad), ("check", bad)):
            message = one_error(run(*args, library=library))
            assert message.startswith(f"Error: {bad}: ") or f"{bad.name}: " in message, message
            assert expect in message, (name, args[0], message)
        out = tmp_path / f"out-{name}"
        message = one_error(
            run("build", PROFILES / "example-council.yaml", "--out", out, "--previous", bad, library=library)
        )
        assert expect in message, (name, "build --previous", message)


def test_a_non_utf8_markdown_policy_and_deep_json_are_one_line(library, tmp_path):
    latin = tmp_path / "latin.md"
    latin.write_bytes(b"---\n{}\n---\n\nCaf\xe9\n")
    assert "is not UTF-8 text" in one_error(run("check", latin, library=library))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert "nested too deeply" in one_error(run("check", deep, library=library))


def test_markdown_front_matter_with_a_mistyped_field_is_one_line(library, tmp_path):
    cases = {
        "clauses-text": (
            '{manifest_version: 1, built: "2026-01-01", document: {review_date: "2027-01-01"}, clauses: "x"}',
            "clauses: expected a list",
        ),
        "clause-no-number": (
            '{manifest_version: 1, built: "2026-01-01", document: {review_date: "2027-01-01"}, '
            "clauses: [{id: a, title: b, sha256: c}]}",
            "clauses[0].number: missing",
        ),
        # Hand-written YAML front matter: the message names the line in the file and the field.
        "impossible-date": (
            "{manifest_version: 1, built: 2026-02-30, document: {}, clauses: []}",
            ":2: policy_builder_manifest.built: 2026-02-30 is not a real date",
        ),
        "date-unquoted": (
            "{manifest_version: 1, built: 2026-01-01, document: {review_date: 2027-13-01}, clauses: []}",
            ":2: policy_builder_manifest.document.review_date: 2027-13-01 is not a real date",
        ),
    }
    for name, (front, expect) in cases.items():
        path = tmp_path / f"{name}.md"
        path.write_text(f"---\npolicy_builder_manifest: {front}\n---\n\n# Policy\n", encoding="utf-8")
        for args in (("check", path), ("changes", path, path)):
            message = one_error(run(*args, library=library))
            assert f"{name}.md" in message and expect in message, (name, message)


def test_check_names_the_policy_when_a_recorded_answer_is_wrong(library, tmp_path):
    good = _built_manifest(library, tmp_path)
    bad = _mutated(good, tmp_path, "nation", lambda d: d["answers"].update({"organisation.nation": 5}))
    message = one_error(run("check", bad, library=library))
    assert message.startswith(f"Error: {bad}: organisation.nation: 5 is not one of england"), message


def test_a_very_long_reference_docx_option_is_one_line_not_a_traceback(tmp_path):
    result = CliRunner().invoke(
        main,
        ["build", str(PROFILES / "example-council.yaml"), "--out", str(tmp_path), "--reference-docx", "x" * 5000],
    )
    assert result.exit_code == 2
    assert "--reference-docx:" in result.output and "not found" in result.output
    assert "Traceback" not in result.output


def test_a_date_is_only_yyyy_mm_dd_and_a_quoted_true_is_told_to_drop_the_quotes(library, tmp_path):
    """A week date or a date with a time is not silently turned into a day; 'true' in quotes is text."""
    lines = EXAMPLE.splitlines()
    date_line = next(row for row in lines if row.strip().startswith("effective_date:"))
    indent = date_line[: len(date_line) - len(date_line.lstrip())]
    number = lines.index(date_line) + 1
    for odd in ("2026-W49", "'20261201'", "'2026-12-01T10:00:00+14:00'"):
        path = _profile_with(tmp_path, date_line, f"{indent}effective_date: {odd}")
        message = one_error(run("build", path, "--out", tmp_path / "out", library=library))
        assert f"p.yaml:{number}: document.effective_date:" in message, message
    flag = next(row for row in lines if row.strip().startswith("fostering_adoption:"))
    indent = flag[: len(flag) - len(flag.lstrip())]
    path = _profile_with(tmp_path, flag, f"{indent}fostering_adoption: 'true'")
    message = one_error(run("build", path, "--out", tmp_path / "out", library=library))
    assert "write true or false without quotes" in message, message
    assert not (tmp_path / "out").exists()
