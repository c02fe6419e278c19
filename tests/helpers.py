"""Shared test helpers: build throw-away charts and run the real console script."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
DEMO_CHART = FIXTURES / "charts" / "demo"

CHART_YAML = "apiVersion: v2\nname: {name}\nversion: 0.1.0\n"


def write_chart(root: Path, files: dict[str, str], *, name: str = "mini") -> Path:
    """Write a chart directory; Chart.yaml defaults to a minimal valid one."""
    root.mkdir(parents=True, exist_ok=True)
    files = {"Chart.yaml": CHART_YAML.format(name=name), **files}
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def run_cli(*args: str, stdin: str | None = None, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the installed ``tfhelm`` console script (falls back to ``python -m tfhelm``)."""
    script = Path(sys.executable).parent / "tfhelm"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "tfhelm"]
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    full_env.pop("TFHELM_DEBUG", None)
    return subprocess.run(
        [*command, *args], input=stdin, capture_output=True, text=True, cwd=cwd, env=full_env, timeout=120
    )


def crd_document(kind: str, group: str = "example.com", scope: str = "Namespaced") -> str:
    """A minimal apiextensions.k8s.io/v1 CustomResourceDefinition for ``kind`` (plural: kind + s)."""
    plural = kind.lower() + "s"
    return textwrap.dedent(
        f"""\
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: {plural}.{group}
        spec:
          group: {group}
          scope: {scope}
          names: {{kind: {kind}, plural: {plural}, singular: {kind.lower()}, listKind: {kind}List}}
          versions:
            - name: v1
              served: true
              storage: true
              schema:
                openAPIV3Schema:
                  type: object
                  x-kubernetes-preserve-unknown-fields: true
        """
    )
