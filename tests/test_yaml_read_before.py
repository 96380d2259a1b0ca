"""core/yamlio.loads keeps what it made of a text, in this process: the same text again is not composed again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from policy_builder.core import yamlio
from policy_builder.core.errors import SourceError

TEXT = "name: Eastbrook\nversion: 1.10\nreviewed: 2026-11-21\nitems:\n  - one\n  - two\nnote: |\n  kept\n"


@pytest.mark.parametrize("trusted", [False, True])
def test_a_text_read_again_gives_the_same_document_without_composing(trusted, monkeypatch):
    first = yamlio.loads(TEXT, Path("a.yaml"), trusted=trusted)

    def composed_again(*args, **kwargs):
        raise AssertionError("the text was composed again")

    monkeypatch.setattr(yamlio, "_compose", composed_again)
    again = yamlio.loads(TEXT, Path("b/c.yaml"), trusted=trusted)
    assert again.path == Path("b/c.yaml"), "the path is the caller's, not the first reader's"
    assert (
        again.data
        == first.data
        == {
            "name": "Eastbrook",
            "version": 1.1,
            "reviewed": dt.date(2026, 11, 21),
            "items": ["one", "two"],
            "note": "kept\n",
        }
    )
    assert again.lines == first.lines and again.line("items", 1) == 6
    assert again.plain_text == first.plain_text and again.block_scalars == first.block_scalars
    if not trusted:  # a profile's answer keeps the text as typed (the library's trusted reading has no need)
        assert again.as_typed(again.data["version"], "version") == "1.10"
    assert again.text_start("note") == 8


def test_each_reader_gets_values_of_its_own():
    first = yamlio.loads(TEXT, Path("a.yaml"))
    first.data["items"].append("three")
    first.lines[("name",)] = 99
    again = yamlio.loads(TEXT, Path("a.yaml"))
    assert again.data["items"] == ["one", "two"] and again.line("name") == 1


def test_a_text_with_a_problem_is_never_kept_so_its_message_comes_every_time():
    bad = "name: one\nname: two\n"
    for _ in range(2):
        with pytest.raises(SourceError, match="'name' appears twice"):
            yamlio.loads(bad, Path("bad.yaml"))


def test_the_line_numbers_follow_first_line_not_the_text_alone():
    body = "title: Policy\n"
    assert yamlio.loads(body, Path("p.md"), first_line=2).line("title") == 2
    assert yamlio.loads(body, Path("p.md"), first_line=5).line("title") == 5


def test_what_is_kept_stays_within_its_bound(monkeypatch):
    monkeypatch.setattr(yamlio, "_read_before", type(yamlio._read_before)())
    monkeypatch.setattr(yamlio, "_read_before_size", 0)
    monkeypatch.setattr(yamlio, "_READ_BEFORE_MOST", 4000)
    for n in range(200):
        yamlio.loads(f"n: {n}\nitems: [{', '.join(str(i) for i in range(20))}]\n", Path("x.yaml"))
    assert 0 < yamlio._read_before_size <= 4000
    assert yamlio._read_before_size == sum(len(v) for v in yamlio._read_before.values())
    assert len(yamlio._read_before) < 200, "the oldest went"
