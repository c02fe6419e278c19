"""The library's face: a sorted public API, cheap imports, and one-way dependencies."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import tfhelm

PACKAGE = Path(tfhelm.__file__).parent
DEMO = Path(__file__).parent / "fixtures" / "charts" / "demo"

BASE = {"errors", "yamlio", "versions", "names", "kubeschema", "_version", "__init__", "__main__"}
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


def _loaded_modules(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.strip().splitlines()[-1].split())


def test_import_tfhelm_is_cheap():
    loaded = _loaded_modules("import tfhelm")
    assert not {"jinja2", "jsonschema", "yaml", "click"} & loaded


def test_template_path_never_imports_cluster_or_http_clients():
    code = f"from tfhelm.cli import main\nmain(['template', {str(DEMO)!r}])"
    loaded = {name.split(".")[0] for name in _loaded_modules(code)}
    assert not {"lightkube", "httpx", "httpx2", "kubernetes", "kubernetes_validate", "rich"} & loaded
    assert not any(name.startswith(("tfhelm.kube", "tfhelm.release", "tfhelm.repo")) for name in _loaded_modules(code))


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
