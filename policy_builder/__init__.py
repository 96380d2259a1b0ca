"""policy-builder: a UK social-work employer's social media policy from its questionnaire answers.

The public API (the CLI is a thin shell over it)::

    from policy_builder import load_library, load_profile, build_policy, find_gaps
    library = load_library()
    answers = load_profile("profiles/example-council.yaml", library.questionnaire, library.nations)
    policy = build_policy(library, answers)
    warnings = find_gaps(library, answers)
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# Lazy exports keep `policy-builder --help` fast: nothing heavy loads until used.
_EXPORTS = {
    "load_library": "content.library",
    "Library": "content.library",
    "load_profile": "pipeline.profile",
    "build_policy": "pipeline.assemble",
    "find_gaps": "pipeline.gaps",
    "build_profile": "build",
    "lint_library": "checks.lint",
    "render_policy": "render.markdown",
    "render_gap_report": "render.markdown",
    "render_docx": "render.docx",
    "PolicyBuilderError": "core.errors",
    "SourceError": "core.errors",
    "ProfileError": "core.errors",
    "LibraryError": "core.errors",
}
__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(name)
    import importlib

    module = importlib.import_module(f".{module_name}", __name__)
    return getattr(module, name)
