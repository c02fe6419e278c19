"""The library's face: a sorted public API, cheap imports, and one-way dependencies."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import tfhelm

PACKAGE = Path(tfhelm.__file__).parent
DEMO = Path(__file__).parent / "fixtures" / "charts" / "demo"

BASE = {"chartsource", "errors", "fileio", "names", "yamlio", "versions", "kubeschema", "_version", "__init__", "__main__"}
MIDDLE = {"chart", "values", "engine", "release", "repo"}


def test_all_is_sorted_and_every_name_resolves():
    assert tfhelm.__all__ == sorted(tfhelm.__all__)
    for name in tfhelm.__all__:
        assert getattr(tfhelm, name) is not None


def test_errors_share_one_root():
    for name in tfhelm.__all__:
        value = getattr(tfhelm, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, tfhelm.TfhelmError), name


def test_version_matches_pyproject():
    pyproject = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())
    assert tfhelm.__version__ == pyproject["project"]["version"]


def _run_probe(code: str) -> tuple[str, set[str]]:
    """Run ``code`` in a fresh interpreter: what it printed, and the modules it loaded."""
    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    printed, _, modules = done.stdout.rstrip("\n").rpartition("\n")
    return printed, set(modules.split())


def test_import_tfhelm_is_cheap():
    _, loaded = _run_probe("import tfhelm")
    assert "tfhelm" in loaded
    assert not {"jinja2", "jsonschema", "yaml", "click"} & loaded


def test_template_path_never_imports_cluster_or_http_clients():
    # the render must succeed, or the probe would prove nothing about the template path
    printed, loaded = _run_probe(f"from tfhelm.cli import main\nassert main(['template', {str(DEMO)!r}]) == 0")
    assert "kind: Deployment" in printed
    assert {"jinja2", "tfhelm.engine.render"} <= loaded
    assert not {"lightkube", "httpx", "httpx2", "kubernetes", "kubernetes_validate", "rich"} & {
        name.split(".")[0] for name in loaded
    }
    assert not any(name.startswith(("tfhelm.kube", "tfhelm.release", "tfhelm.repo")) for name in loaded)


def _layer(module: str) -> str:
    top = module.split(".")[1] if "." in module else "__init__"
    if top in BASE:
        return "base"
    if top in MIDDLE:
        return "middle"
    return top  # kube, actions, cli


ALLOWED = {
    "base": {"base"},
    "kube": {"base", "kube"},
    "middle": {"base", "kube", "middle"},
    "actions": {"base", "kube", "middle", "actions"},
    "cli": {"base", "kube", "middle", "actions", "cli"},
}


def _tfhelm_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tfhelm"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("tfhelm"))
    return found


def test_dependencies_point_one_way():
    violations = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = "tfhelm." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        layer = _layer(module)
        if module == "tfhelm.__init__" or module == "tfhelm.__main__":
            continue
        for imported in _tfhelm_imports(path):
            if imported != "tfhelm" and _layer(imported) not in ALLOWED[layer]:
                violations.append(f"{module} ({layer}) imports {imported} ({_layer(imported)})")
    assert violations == []


def test_kube_client_library_is_only_imported_by_tfhelm_kube():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "kube" in path.relative_to(PACKAGE).parts[:1]:
            continue
        text = path.read_text(encoding="utf-8")
        if "import lightkube" in text or "from lightkube" in text:
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import that can run: module level and inside functions, not under ``if TYPE_CHECKING``."""
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for statement in node.body
        for inner in ast.walk(statement)
    }
    return [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in skipped]


def _import_graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names if alias.name in modules}
            elif node.module in modules:
                # ``from tfhelm.cli import release`` imports the submodule, not just the package
                targets |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                            for a in node.names}
        graph[name] = targets - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_inside_tfhelm():
    graph = _import_graph()
    assert "tfhelm.cli.release" in graph["tfhelm.cli.app"]  # the graph sees submodule imports
    assert "tfhelm.actions.install" in graph["tfhelm.cli.release"]  # and imports inside functions
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles(graph) == []
