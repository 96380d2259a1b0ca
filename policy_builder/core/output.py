"""Output file names and atomic writes: a failed build never leaves a half file, nor a mixed set."""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

from policy_builder.core.errors import OutputError, display_path, os_reason


def slugify(name: str) -> str:
    """'London Borough of Barnet' -> 'london-borough-of-barnet'; never leaves the folder.

    Accents come off Latin letters ('Ynys Môn' -> 'ynys-mon'); letters of other scripts are kept
    rather than dropped, so 'Еastbrook' with a Cyrillic Е is not the same file as 'astbrook' or 'Eastbrook'.
    At most 60 characters and 120 bytes, so a file name with its longest ending stays under 255 bytes.
    """
    kept = []
    for char in unicodedata.normalize("NFKD", name):
        if char.isascii():
            kept.append(char.lower() if char.isalnum() else "-")
        elif unicodedata.category(char) == "Mn" and kept and kept[-1].isascii():
            continue  # an accent on a Latin letter: 'ô' is 'o' in a file name
        elif unicodedata.category(char)[0] in "LNM":
            kept.append(char.lower())
        else:
            kept.append("-")
    slug = re.sub(r"-+", "-", unicodedata.normalize("NFC", "".join(kept))).strip("-")[:60]
    while len(slug.encode("utf-8")) > 120:
        slug = slug[:-1]
    return slug.strip("-") or "policy"


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write to a temporary file beside ``path``, then rename over it."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # inside the try: --out may run into a file
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"{display_path(path.parent)}: cannot write here ({os_reason(exc)})") from None
    try:
        # mkstemp makes the file private (0600); give it the mode a normal write would.
        os.chmod(temp_name, _existing_mode(path))
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except OSError as exc:
        try:
            os.unlink(temp_name)
        except OSError:
            pass
        raise OutputError(f"{display_path(path)}: cannot write ({os_reason(exc)})") from None


STAGING_PREFIX = ".policy-builder-staging."
STALE_STAGING_SECONDS = 3600  # a staging folder this old was left by a build that was killed


def write_set(outputs: Sequence[tuple[Path, bytes | str]]) -> None:
    """Write every output of one build, or leave the previous set exactly as it was.

    Each file is written (and flushed to disk) into a staging folder inside the output folder, so
    on the same filesystem; only when all of them are there are they moved into place. Before each
    move the old file is kept (a hard link, so its name never goes missing); if any move fails, the
    new files are taken out and the old ones put back. A full disk, a folder where a file should go,
    or a file that cannot be replaced therefore never leaves a new policy beside an old manifest.
    """
    if not outputs:
        return
    folder = outputs[0][0].parent
    if any(path.parent != folder for path, _ in outputs) or len({p.name for p, _ in outputs}) != len(outputs):
        raise ValueError("write_set: one folder and distinct names")  # a programming error, not the user's
    for path, _ in outputs:
        _refuse_non_file(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)  # inside the try: --out may run into a file
        _remove_stale_staging(folder)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
    except OSError as exc:
        raise OutputError(f"{display_path(folder)}: cannot write here ({_folder_reason(folder, exc)})") from None
    try:
        for path, data in outputs:
            payload = data.encode("utf-8") if isinstance(data, str) else data
            try:
                _write_file(staging / path.name, payload, _existing_mode(path))
            except OSError as exc:
                raise OutputError(
                    f"{display_path(path)}: cannot write ({os_reason(exc)}); the previous files are unchanged"
                ) from None
        _swap_in(staging, [path for path, _ in outputs])
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _refuse_non_file(path: Path) -> None:
    """Refuse, before anything is written, an output path held by a folder or anything but a file."""
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return  # not there yet; a folder that cannot be made is reported when it is made
    except OSError as exc:
        raise OutputError(f"{display_path(path)}: cannot write ({os_reason(exc)})") from None
    if stat.S_ISDIR(mode):
        raise OutputError(
            f"{display_path(path)}: is a folder where the build writes a file; move it or choose another --out"
        )
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise OutputError(f"{display_path(path)}: is not a regular file; move it or choose another --out")


def _write_file(path: Path, payload: bytes, mode: int) -> None:
    """One staged file, on disk before the set is moved into place (kept apart so a test can fill the disk)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.chmod(path, mode)
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def _swap_in(staging: Path, targets: list[Path]) -> None:
    kept = staging / "previous"
    kept.mkdir()
    saved: list[Path] = []  # targets whose old file is in kept/
    placed: list[Path] = []  # targets that now hold the new file
    try:
        for target in targets:
            if os.path.lexists(target):
                try:
                    os.link(target, kept / target.name, follow_symlinks=False)
                except OSError:  # no hard links here (some network and FAT drives): move it aside instead
                    os.replace(target, kept / target.name)
                saved.append(target)
            os.replace(staging / target.name, target)
            placed.append(target)
    except OSError as exc:
        for target in placed:
            if target not in saved:
                _quietly(os.unlink, target)
        for target in saved:
            _quietly(os.replace, kept / target.name, target)
        raise OutputError(
            f"{display_path(target)}: cannot write ({os_reason(exc)}); the previous files are unchanged"
        ) from None
    _sync_folder(targets[0].parent)


def _quietly(action: Callable[..., object], *args: Path) -> None:
    try:
        action(*args)
    except OSError:
        pass


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entries, so the renames survive a power cut (where the system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_stale_staging(folder: Path) -> None:
    """Staging folders of builds that were killed mid-way; a recent one may belong to a build still running."""
    now = time.time()
    for leftover in folder.glob(STAGING_PREFIX + "*"):
        try:
            if now - leftover.lstat().st_mtime > STALE_STAGING_SECONDS:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            pass


def _existing_mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def same_file(first: str | Path, second: str | Path) -> bool:
    """Whether two paths name one file: by device and inode when both exist (a link, './x', another case
    on a case-insensitive disk), else by their real paths. Never raises, even on a symlink loop."""
    try:
        return os.path.samefile(first, second)
    except (OSError, ValueError):
        pass
    try:
        return os.path.normcase(os.path.realpath(first)) == os.path.normcase(os.path.realpath(second))
    except (OSError, ValueError):
        return False


def output_paths(out_dir: Path, slug: str) -> dict[str, Path]:
    return {
        "md": out_dir / f"{slug}-social-media-policy.md",
        "docx": out_dir / f"{slug}-social-media-policy.docx",
        "guide-md": out_dir / f"{slug}-practice-guide.md",
        "guide-docx": out_dir / f"{slug}-practice-guide.docx",
        "annex-md": out_dir / f"{slug}-sources-annex.md",
        "annex-docx": out_dir / f"{slug}-sources-annex.docx",
        "gaps": out_dir / f"{slug}-gap-report.md",
        "summary-md": out_dir / f"{slug}-staff-summary.md",
        "summary-docx": out_dir / f"{slug}-staff-summary.docx",
        "leaflet-md": out_dir / f"{slug}-leaflet.md",
        "leaflet-docx": out_dir / f"{slug}-leaflet.docx",
        "pdf": out_dir / f"{slug}-social-media-policy.pdf",
        "guide-pdf": out_dir / f"{slug}-practice-guide.pdf",
        "annex-pdf": out_dir / f"{slug}-sources-annex.pdf",
        "summary-pdf": out_dir / f"{slug}-staff-summary.pdf",
        "leaflet-pdf": out_dir / f"{slug}-leaflet.pdf",
        "manifest": out_dir / f"{slug}-manifest.json",
    }


def _folder_reason(folder: Path, exc: OSError) -> str:
    """Why an output folder cannot be made, in words ("File exists" says nothing to someone who named a folder)."""
    if isinstance(exc, FileExistsError):
        if folder.is_symlink() and not folder.exists():
            return "it is a link to a folder that does not exist"
        return "it is a file, not a folder" if not folder.is_dir() else os_reason(exc)
    return os_reason(exc)
