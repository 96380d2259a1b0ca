"""The watch list: guidance expected to change, shown by `coverage` and `check`, checked by `lint`."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import PROFILES, ROOT

from policy_builder.checks.watch import load_watch, watch_lines
from policy_builder.cli import main
from policy_builder.core.errors import LibraryError

NATIONS = {"england", "wales", "scotland", "northern_ireland"}


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write_watch(tmp_path: Path, body: str) -> Path:
    (tmp_path / "watch.yaml").write_text(body, encoding="utf-8")
    return tmp_path


ENTRY = """watch:
  swe-online:
    title: Communicating online
    body: Social Work England
    status: Draft only.
    expected: Final guidance.
    last_checked: 2026-06-01
    nations: [england]
"""


def test_the_bundled_watch_list_names_the_guidance_the_issue_expects():
    items = {item.id: item for item in load_watch(ROOT / "clauses", NATIONS)}
    assert {"swe-communicating-online", "social-work-regulation-review", "dfe-ai-childrens-social-care"} <= set(items)
    assert any("employers" in item.title.lower() for item in items.values())
    assert all(item.last_checked <= dt.date.today() for item in items.values())


def test_an_entry_checked_over_six_months_ago_is_due_a_new_check(tmp_path):
    items = load_watch(write_watch(tmp_path, ENTRY), NATIONS)
    assert "due a new check" not in "\n".join(watch_lines(items, dt.date(2026, 12, 1)))
    later = "\n".join(watch_lines(items, dt.date(2027, 1, 1)))
    assert "last checked 1 June 2026, 214 days ago: due a new check" in later


def test_entries_for_another_nation_are_left_out_of_a_policys_list(tmp_path):
    items = load_watch(write_watch(tmp_path, ENTRY), NATIONS)
    assert watch_lines(items, dt.date(2026, 12, 1), "scotland") == []
    assert watch_lines(items, dt.date(2026, 12, 1), "england")[0].startswith("- Communicating online")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("last_checked: 2026-06-01", "last_checked: June 2026"), "watch.yaml:7: last_checked must be a date"),
        (("    nations: [england]\n", "    nations: [mars]\n"), "watch.yaml:8: unknown nation 'mars'"),
        (("    body: Social Work England\n", ""), "watch.yaml:2: watch entry 'swe-online' needs body"),
        (
            ("    status: Draft only.\n", "    status: Draft only.\n    colour: red\n"),
            "watch.yaml:6: unknown field 'colour'",
        ),
    ],
)
def test_a_broken_entry_is_reported_with_file_line_and_what_is_allowed(tmp_path, change, message):
    write_watch(tmp_path, ENTRY.replace(*change))
    with pytest.raises(LibraryError) as raised:
        load_watch(tmp_path, NATIONS)
    assert message in str(raised.value)


def test_coverage_lists_the_watch_list_and_its_json_carries_it():
    text = run("coverage").output
    assert "Watch list (guidance and law expected to change):" in text
    assert "Communicating online: guidance for social workers (draft)" in text
    data = json.loads(run("coverage", "--json").output)
    assert {"id", "title", "last_checked", "stale"} <= set(data["watch"][0])


def test_check_shows_the_entries_for_the_policys_nation_without_making_it_due():
    scottish = run("check", str(PROFILES / "scottish-council.yaml"))
    assert "Information Commission" in scottish.output
    assert "Social Work England" not in scottish.output  # England's regulator is not Scotland's
    english = run("check", str(PROFILES / "example-council.yaml"))
    assert "Communicating online" in english.output
    assert english.exit_code == 0 and "Not due for review." in english.output


def test_lint_fails_on_an_entry_that_affects_no_section_or_clause(tmp_path):
    library = tmp_path / "clauses"
    shutil.copytree(ROOT / "clauses", library)
    text = (library / "watch.yaml").read_text(encoding="utf-8")
    (library / "watch.yaml").write_text(text.replace('affects: ["17"]', 'affects: ["99"]'), encoding="utf-8")
    result = run("--library", str(library), "lint", "--only", "watch")
    assert result.exit_code == 1
    assert "affects '99', which is neither a section number nor a clause id" in result.output
