"""The watch list (clauses/watch.yaml): guidance and law expected to change, with when each was last checked.

It is kept apart from the clause library because nothing in a policy depends on it: `coverage` lists it for
the library's maintainers and `check` prints it for an IG officer deciding whether to regenerate a policy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from policy_builder.core import yamlio
from policy_builder.core.errors import LibraryError

WATCH_FILE = "watch.yaml"
REQUIRED = ("title", "body", "status", "expected", "last_checked")
OPTIONAL = ("affects", "url", "nations")
STALE_AFTER_DAYS = 183  # about six months: guidance on this list moves within a review cycle


@dataclass(frozen=True)
class WatchItem:
    id: str
    title: str
    body: str
    status: str
    expected: str
    last_checked: dt.date
    affects: tuple[str, ...] = ()
    url: str | None = None
    nations: tuple[str, ...] = ()

    def days_since_checked(self, today: dt.date) -> int:
        return (today - self.last_checked).days

    def stale(self, today: dt.date) -> bool:
        return self.days_since_checked(today) > STALE_AFTER_DAYS


def load_watch(root: Path, nations: set[str] | None = None) -> list[WatchItem]:
    """Every entry of `root/watch.yaml` (none if the file is absent); errors give the file and line.

    ``nations``: the nation ids the library knows, to check each entry's `nations:` against.
    """
    path = root / WATCH_FILE
    if not path.exists():
        return []
    doc = yamlio.load(path, LibraryError)
    data = doc.data
    if data is None:
        return []
    if not isinstance(data, dict) or set(data) != {"watch"} or not isinstance(data["watch"], dict):
        raise LibraryError(path, 1, "must hold one key, `watch:`, mapping each entry's id to its fields")
    items = []
    for item_id, fields in data["watch"].items():
        line = doc.line("watch", item_id)
        if not isinstance(fields, dict):
            raise LibraryError(path, line, f"watch entry '{item_id}' must be a mapping of fields")
        unknown = sorted(set(fields) - set(REQUIRED) - set(OPTIONAL))
        if unknown:
            allowed = ", ".join((*REQUIRED, *OPTIONAL))
            raise LibraryError(
                path, doc.line("watch", item_id, unknown[0]), f"unknown field '{unknown[0]}'; allowed: {allowed}"
            )
        missing = [name for name in REQUIRED if fields.get(name) in (None, "")]
        if missing:
            raise LibraryError(path, line, f"watch entry '{item_id}' needs {', '.join(missing)}")
        checked = fields["last_checked"]
        if not isinstance(checked, dt.date) or isinstance(checked, dt.datetime):
            raise LibraryError(
                path, doc.line("watch", item_id, "last_checked"), "last_checked must be a date, YYYY-MM-DD"
            )
        for name in ("title", "body", "status", "expected"):
            if not isinstance(fields[name], str):
                raise LibraryError(path, doc.line("watch", item_id, name), f"{name} must be text")
        lists = {}
        for name in ("affects", "nations"):
            value = fields.get(name) or []
            if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
                raise LibraryError(path, doc.line("watch", item_id, name), f"{name} must be a list")
            lists[name] = tuple(str(v) for v in value)
        if nations is not None:
            for nation in lists["nations"]:
                if nation not in nations:
                    raise LibraryError(
                        path,
                        doc.line("watch", item_id, "nations"),
                        f"unknown nation '{nation}'; allowed: {', '.join(sorted(nations))}",
                    )
        url = fields.get("url")
        if url is not None and not isinstance(url, str):
            raise LibraryError(path, doc.line("watch", item_id, "url"), "url must be text")
        items.append(
            WatchItem(
                id=str(item_id),
                title=fields["title"],
                body=fields["body"],
                status=" ".join(fields["status"].split()),
                expected=" ".join(fields["expected"].split()),
                last_checked=checked,
                affects=lists["affects"],
                url=url,
                nations=lists["nations"],
            )
        )
    return items


def watch_lines(items: list[WatchItem], today: dt.date, nation: str | None = None) -> list[str]:
    """One line per entry (those for `nation` when given), then its status; stale checks are said so."""
    lines = []
    for item in items:
        if nation is not None and item.nations and nation not in item.nations:
            continue
        checked = f"last checked {item.last_checked:%-d %B %Y}"
        if item.stale(today):
            checked += f", {item.days_since_checked(today)} days ago: due a new check"
        where = ""
        if item.affects:
            where = f"; affects section{'s' if len(item.affects) > 1 else ''} {', '.join(item.affects)}"
        lines.append(f"- {item.title} ({item.body}; {checked}{where})")
        lines.append(f"  {item.status}")
    return lines
