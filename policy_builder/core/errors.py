"""One exception hierarchy whose messages are written for the user.

The CLI prints ``str(error)`` on one line and exits 2; nothing here should
need a traceback to be understood.
"""

from __future__ import annotations

from pathlib import Path


def display_path(path: str | Path) -> str:
    """A path as the user would type it: relative to the working directory if inside it."""
    path = Path(path)
    try:
        # The folder resolved, not the file: a message about a symbolic link names the link itself
        # (and a link to itself would make resolve() raise).
        return str((path.parent.resolve() / path.name).relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: Python 3.11's resolve() on a symlink loop
        return str(path)


def os_reason(exc: OSError) -> str:
    """An OSError in words for a message: a symlink loop said plainly, anything else as the system says it."""
    import errno

    if exc.errno == errno.ELOOP:
        return "a symlink loop: a link on its path leads back to itself"
    return exc.strerror or str(exc)


def not_found(path: str | Path) -> str:
    """Why a path is not a file to read, in words: not found, a symlink loop, a folder, or a device or pipe."""
    import errno
    import os
    import stat

    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a link that leads back to itself (a symlink loop)"
        return "not found"
    except ValueError:
        return "not found"
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "is a device or pipe, not a file"
    return "not found"


class PolicyBuilderError(Exception):
    """Base class: anything the user can fix by changing their input."""


class SourceError(PolicyBuilderError):
    """A problem in a file, located by path and (where known) line."""

    def __init__(self, path: str | Path | None, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = display_path(self.path)
        if self.line:
            where += f":{self.line}"
        return f"{where}: {self.message}"


class ProfileError(SourceError):
    """A profile that cannot be read or whose answers are not allowed."""


class LibraryError(SourceError):
    """A clause, questionnaire, source or gap-rule file that is broken."""


class OutputError(PolicyBuilderError):
    """An output file could not be written."""
