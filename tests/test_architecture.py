"""The package's layering, as docs/architecture.md draws it: no import upward, no circle, no private name borrowed.

Every import counts, including those inside functions (kept there for speed, not to hide a dependency).
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "policy_builder"


def layers() -> list[set[str]]:
    """The layers from docs/architecture.md's `layers` block, top first: each a set of package names."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = re.search(r"```text layers\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md has no ```text layers block"
    rows = []
    for line in block.group(1).splitlines():
        names = re.findall(r"[a-z_]+(?=/|\.py)", line.split("#")[0])
        if names:
            rows.append({n for n in names})
    return rows


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module imported, names imported from it) for every policy_builder import in one file."""
    return [(line, target, list(names)) for line, target, names in _imports(name, path, path.stat().st_mtime_ns)]


@functools.cache
def _imports(name: str, path: Path, stamp: int) -> tuple[tuple[int, str, tuple[str, ...]], ...]:
    """imports(), parsed once a test process (three tests walk every module: 0.75 s a walk); ``stamp``, the
    file's mtime, makes a changed file parsed again."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    out: list[tuple[int, str, tuple[str, ...]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, ()) for a in node.names if a.name.startswith("policy_builder")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("policy_builder"):
                out.append((node.lineno, target, tuple(a.name for a in node.names)))
    return tuple(out)


def package_of(module: str) -> str:
    """policy_builder.content.library -> content; policy_builder.build -> build; the root -> ''."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def edges() -> list[tuple[str, int, str]]:
    """(importer, line, imported module) with `from package import module` resolved to the module."""
    known = modules()
    out = []
    for name, path in known.items():
        for line, target, names in imports(name, path):
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in known]
            for module in submodules or [target]:
                out.append((name, line, module))
    return out


def test_the_documented_layers_name_every_package():
    documented = set().union(*layers())
    actual = {package_of(m) for m in modules()} - {""}
    assert actual <= documented, f"packages missing from docs/architecture.md: {sorted(actual - documented)}"
    assert not documented - actual, f"docs/architecture.md names packages that do not exist: {documented - actual}"


def upward(found: list[tuple[str, int, str]]) -> list[str]:
    """The imports among ``found`` (importer, line, module) that do not go down the documented layers."""
    rank = {name: i for i, row in enumerate(layers()) for name in row}  # 0 is the top
    wrong = []
    for importer, line, module in found:
        a, b = package_of(importer), package_of(module)
        if not a or not b or a == b:
            continue  # the root only re-exports lazily and holds __version__; a package may use itself
        if rank[b] <= rank[a]:
            wrong.append(f"{importer} (line {line}) imports {module}: {b} is not below {a}")
    return wrong


def test_no_import_goes_up_a_layer():
    wrong = upward(edges())
    assert not wrong, "\n".join(wrong)


def test_no_import_circle():
    graph: dict[str, set[str]] = {}
    for importer, _line, module in edges():
        if module != "policy_builder" and module != importer:
            graph.setdefault(importer, set()).add(module)
    # Tarjan's strongly connected components: any component of two or more modules is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert not circles, f"import circles: {circles}"


def test_no_private_name_is_imported_from_another_module():
    known = modules()
    wrong = []
    for name, path in known.items():
        for line, target, names in imports(name, path):
            for n in names:
                if n.startswith("_") and not n.startswith("__") and f"{target}.{n}" not in known:
                    wrong.append(f"{name} (line {line}) imports the private {target}.{n}")
    assert not wrong, "\n".join(wrong)


def test_the_checker_sees_an_upward_import(tmp_path, monkeypatch):
    """The layer test can fail: a content module importing the pipeline is caught."""
    fake = tmp_path / "policy_builder" / "content"
    fake.mkdir(parents=True)
    (fake / "x.py").write_text("def f():\n    from policy_builder.pipeline.assemble import build_policy\n")
    found = imports("policy_builder.content.x", fake / "x.py")
    assert found == [(2, "policy_builder.pipeline.assemble", ["build_policy"])]
    assert upward([("policy_builder.content.x", 2, "policy_builder.pipeline.assemble")]) == [
        "policy_builder.content.x (line 2) imports policy_builder.pipeline.assemble: pipeline is not below content"
    ]
    assert upward([("policy_builder.pipeline.assemble", 1, "policy_builder.content.library")]) == []


def test_every_type_ignore_says_why_on_its_line():
    """mypy runs in make test; a `# type: ignore[code]` stays only with its reason after it (issue 15)."""
    bare = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found = re.search(r"#\s*type:\s*ignore(\[[^\]]*\])?(.*)$", line)
            if found and not re.match(r"\s*#\s*\S", found.group(2)):
                bare.append(f"{path.relative_to(ROOT)}:{number}")
    assert not bare, "type: ignore without a reason: " + ", ".join(bare)
