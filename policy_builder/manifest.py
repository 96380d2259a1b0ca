"""What went into an issued policy, recorded so any issue can be compared later.

Every build writes the manifest beside the policy (`<slug>-manifest.json`)
and embeds it in both outputs: YAML front matter in the Markdown, a custom XML
part in the Word file. So a policy can be compared even if only the .docx
survives. `clauses` are the policy's own (what `changes` and `check` compare);
`guide_clauses` record what the practice guide held.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import PolicyBuilderError, display_path
from .models import GapWarning, Policy
from .versions import text_hash

if TYPE_CHECKING:  # only a type here: the build has loaded it already
    from .library import Library

MANIFEST_VERSION = 1
FRONT_MATTER_KEY = "policy_builder_manifest"


def json_safe(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def build_manifest(library: Library, policy: Policy, warnings: list[GapWarning]) -> dict[str, Any]:
    answers = policy.answers
    from .questionnaire import review_date

    return {
        "manifest_version": MANIFEST_VERSION,
        "tool": {"name": "policy-builder", "version": __version__},
        "library": {"version": library.version, "questionnaire_version": library.questionnaire.version},
        "built": answers.build_date.isoformat(),
        "profile": {
            "path": display_path(answers.path) if answers.path else None,
            "sha256": answers.profile_sha256,
        },
        "organisation": policy.organisation,
        "slug": policy.slug,
        "document": {
            "version": answers.values["document.version"],
            "effective_date": json_safe(answers.values["document.effective_date"]),
            "review_date": review_date(answers.values, answers.build_date).isoformat(),
        },
        "answers": {qid: json_safe(value) for qid, value in answers.values.items()},
        "clauses": [
            {
                "id": clause.id,
                "number": clause.number,
                "title": clause.title,
                "version": clause.version,
                "local": clause.local,
                "sha256": text_hash(clause.title, clause.text),
                "text": clause.text,
                **({"guide": clause.guide_ref} if clause.guide_ref else {}),  # its pointer to the practice guide
            }
            for clause in policy.clauses
        ],
        # The practice guide's clauses: explanation, not rules; listed so an issue records what its guide held.
        "guide_clauses": [
            {
                "id": clause.id,
                "number": clause.number,
                "title": clause.title,
                "version": clause.version,
                "sha256": text_hash(clause.title, clause.text),
            }
            for clause in policy.guide_clauses
        ],
        "gaps": [{"id": w.id, "severity": w.severity, "message": w.message} for w in warnings],
        "history": [{"version": h.version, "date": h.date, "summary": h.summary} for h in policy.history],
    }


def without_text(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest for Markdown front matter: the clause text is the document itself."""
    slim = dict(manifest)
    slim["clauses"] = [{k: v for k, v in c.items() if k != "text"} for c in manifest["clauses"]]
    return slim


def front_matter(manifest: dict[str, Any]) -> str:
    # JSON is YAML, so any front-matter reader takes it; and it is far quicker to write than YAML.
    body = json.dumps({FRONT_MATTER_KEY: without_text(manifest)}, indent=1, ensure_ascii=False)
    return f"---\n{body}\n---\n\n"


def to_json(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


class ManifestError(PolicyBuilderError):
    pass


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of an issued policy: a .json manifest, a .md policy or a .docx policy."""
    path = Path(path)
    if not path.exists():
        raise ManifestError(f"{display_path(path)}: file not found")
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            manifest = json.loads(_read_text(path))
        except ValueError as exc:
            raise ManifestError(f"{display_path(path)}: not a policy-builder manifest ({exc})") from None
        except RecursionError:
            raise ManifestError(f"{display_path(path)}: not a policy-builder manifest (nested too deeply)") from None
    elif suffix == ".md":
        manifest = _from_markdown(path)
    elif suffix == ".docx":
        from .render.docx_manifest import read as read_docx_manifest

        manifest = read_docx_manifest(path)
        if manifest is None:
            raise ManifestError(f"{display_path(path)}: this Word file has no policy-builder manifest inside it")
    else:
        raise ManifestError(f"{display_path(path)}: expected a policy (.md or .docx) or a manifest (.json)")
    if not isinstance(manifest, dict) or manifest.get("manifest_version") != MANIFEST_VERSION:
        raise ManifestError(f"{display_path(path)}: not a policy-builder manifest (version {MANIFEST_VERSION})")
    _validate(manifest, path)
    return manifest


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raw = path.read_bytes()
        line = raw[: exc.start].count(b"\n") + 1
        raise ManifestError(f"{display_path(path)}:{line}: is not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise ManifestError(f"{display_path(path)}: cannot read the file ({exc.strerror})") from None


# What changes, check and build --previous read from a manifest: field -> (type, required).
# Checked once here so a hand-edited or damaged manifest is one line naming the field, never a traceback.
_TOP: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "built": (object, True),  # a real date: checked below
    "organisation": (str, False),
    "document": (dict, True),
    "library": (dict, False),
    "answers": (dict, False),
    "clauses": (list, True),
    "guide_clauses": (list, False),
    "gaps": (list, False),
    "history": (list, False),
}
_CLAUSE = {"id": str, "number": str, "title": str, "sha256": str}
_GAP = {"id": str, "severity": str, "message": str}
_HISTORY = {"version": (str, int, float), "date": str, "summary": str}
_KINDS = {dict: "a mapping", list: "a list", str: "text"}


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return _KINDS.get(type(value), type(value).__name__)


def _validate(manifest: dict[str, Any], path: Path) -> None:
    """Every field the commands read back has the right type; raise ManifestError naming the first that does not."""

    def fail(field: str, problem: str) -> None:
        raise ManifestError(f"{display_path(path)}: {field}: {problem}; the manifest is damaged or was edited by hand")

    def expect(value: Any, field: str, kind: type | tuple[type, ...]) -> None:
        if isinstance(value, bool) or not isinstance(value, kind):
            wanted = _KINDS.get(kind, "text") if isinstance(kind, type) else "text or a number"
            fail(field, f"expected {wanted}, got {_kind_of(value)}")

    def real_date(value: Any, field: str) -> None:
        if isinstance(value, dt.date):
            return  # YAML front matter written by hand: normalised to text below
        if not isinstance(value, str):
            fail(field, f"expected a date written YYYY-MM-DD, got {_kind_of(value)}")
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            fail(field, f"{value[:40]!r} is not a real date written YYYY-MM-DD")

    for key, (kind, required) in _TOP.items():
        if key not in manifest:
            if required:
                fail(key, "missing")
            continue
        expect(manifest[key], key, kind)
    real_date(manifest["built"], "built")
    document = manifest["document"]
    if "review_date" not in document:
        fail("document.review_date", "missing")
    real_date(document["review_date"], "document.review_date")
    if document.get("effective_date") is not None:
        real_date(document["effective_date"], "document.effective_date")
    # The commands read dates as text, as the tool writes them.
    manifest["built"] = json_safe(manifest["built"])
    for key in ("review_date", "effective_date"):
        if key in document:
            document[key] = json_safe(document[key])
    for listed, fields in (("clauses", _CLAUSE), ("guide_clauses", {"id": str}), ("gaps", _GAP), ("history", _HISTORY)):
        for index, item in enumerate(manifest.get(listed, [])):
            where = f"{listed}[{index}]"
            expect(item, where, dict)
            for name, kind in fields.items():
                if name not in item:
                    fail(f"{where}.{name}", "missing")
                expect(item[name], f"{where}.{name}", kind)
            if listed == "clauses" and item.get("text") is not None:
                expect(item["text"], f"{where}.text", str)
    if "library" in manifest and manifest["library"].get("version") is not None:
        expect(manifest["library"]["version"], "library.version", str)


_HEADING = re.compile(r"^#{2,3} (\d+\.\d+) ")


def _from_markdown(path: Path) -> dict[str, Any]:
    text = _read_text(path)
    match = re.match(r"---\n(.*?)\n---\n", text, flags=re.S)
    if not match:
        raise ManifestError(f"{display_path(path)}: this Markdown policy has no policy-builder front matter")
    import yaml  # only reading an older policy's front matter needs it

    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        raise ManifestError(f"{display_path(path)}: its front matter is not valid YAML ({problem})") from None
    except RecursionError:
        raise ManifestError(f"{display_path(path)}: its front matter is nested too deeply") from None
    except ValueError as exc:  # an impossible date such as 2026-02-30, written unquoted
        raise ManifestError(f"{display_path(path)}: its front matter holds an impossible value ({exc})") from None
    manifest = data.get(FRONT_MATTER_KEY) if isinstance(data, dict) else None
    if not isinstance(manifest, dict):
        raise ManifestError(f"{display_path(path)}: its front matter has no {FRONT_MATTER_KEY}")
    if manifest.get("manifest_version") != MANIFEST_VERSION:
        raise ManifestError(f"{display_path(path)}: not a policy-builder manifest (version {MANIFEST_VERSION})")
    _validate(manifest, path)  # before the clause texts are filled in from the body, which reads each clause
    texts = clause_texts_from_markdown(text[match.end() :])
    for clause in manifest.get("clauses", []):
        clause["text"] = _without_pointer(texts.get(clause["number"], ""), clause.get("guide"))
    return manifest


def _without_pointer(text: str, guide_number: str | None) -> str:
    """A clause's text without the line pointing to the practice guide, which is not part of the clause."""
    if not guide_number:
        return text
    from .render.markdown import parts

    pointer = str(parts().guide_pointer(guide_number))
    return "\n".join(line for line in text.splitlines() if line != pointer).strip()


def clause_texts_from_markdown(body: str) -> dict[str, str]:
    """Clause number -> its text, read back from a rendered Markdown policy."""
    texts: dict[str, list[str]] = {}
    current: str | None = None
    for line in body.splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = heading.group(1)
            texts[current] = []
        elif line.startswith("## ") or line.startswith("### ") or line.startswith("# "):
            current = None
        elif current is not None:
            texts[current].append(line)
    result = {}
    for number, lines in texts.items():
        kept = [line for line in lines if not line.startswith("*Local wording")]
        result[number] = "\n".join(kept).strip()
    return result
