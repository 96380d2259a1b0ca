"""Measure each bundled profile's policy: body words and A4 pages as PDF through LibreOffice.

Issue 13's budget: body (without front matter, document control, contents or the list of documents
the policy rests on) at most 5,500 words, median at most 5,000, at most 16 pages. Run:
    .venv/bin/python scripts/measure_policies.py [--no-pdf]
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def body_words(markdown: str) -> int:
    """Words between the first numbered section and the list of documents, Markdown marks removed."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"^## 1\. ", line))
    end = next((i for i, line in enumerate(lines) if re.match(r"^## (\d+\. )?Documents this policy", line)), len(lines))
    text = "\n".join(lines[start:end])
    text = re.sub(r"[#*_`>|]", " ", text)
    return len([w for w in text.split() if re.search(r"\w", w)])


def pdf_pages(docx: Path, workdir: Path) -> int:
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(workdir), str(docx)],
        check=True,
        capture_output=True,
    )
    pdf = workdir / (docx.stem + ".pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]


def main() -> None:
    want_pdf = "--no-pdf" not in sys.argv and shutil.which("soffice") is not None
    words = []
    print("| profile | body words | PDF pages |")
    print("|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for profile in sorted((ROOT / "profiles").glob("*.yaml")):
            out = Path(tmp) / profile.stem
            subprocess.run(
                [str(BIN / "policy-builder"), "build", str(profile), "--out", str(out)],
                check=True,
                capture_output=True,
            )
            policy_md = next(out.glob("*-social-media-policy.md"))
            count = body_words(policy_md.read_text(encoding="utf-8"))
            words.append(count)
            pages = pdf_pages(policy_md.with_suffix(".docx"), out) if want_pdf else "-"
            print(f"| {profile.stem} | {count:,} | {pages} |")
    print(f"\nmax {max(words):,}, median {statistics.median(words):,.0f}")


if __name__ == "__main__":
    main()
