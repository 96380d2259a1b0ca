"""Output file names and atomic writes: a failed build never leaves a half file."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path

from .errors import OutputError, display_path


def slugify(name: str) -> str:
    """'London Borough of Barnet' -> 'london-borough-of-barnet'; never leaves the folder."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:60].strip("-") or "policy"


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write to a temporary file beside ``path``, then rename over it."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # inside the try: --out may run into a file
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"{display_path(path.parent)}: cannot write here ({exc.strerror})") from None
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
        raise OutputError(f"{display_path(path)}: cannot write ({exc.strerror})") from None


def _existing_mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


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
