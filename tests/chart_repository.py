"""A Helm chart repository (a directory with index.yaml) served over HTTP on 127.0.0.1, for tests."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

from tfhelm.chart.archive import build_chart_archive
from tfhelm.repo.index import dump_index, index_directory

__all__ = ["ChartRepository"]


class ChartRepository:
    """A directory of chart archives with an index.yaml, served over HTTP on 127.0.0.1."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/charts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, name: str, version: str, *, note: str = "") -> bytes:
        files = {"Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: {version}\n".encode()}
        files["templates/cm.yaml"] = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{note: '{note}'}}\n".encode()
        data = build_chart_archive(name, files)
        (self.root / f"{name}-{version}.tgz").write_bytes(data)
        (self.root / "index.yaml").write_text(dump_index(index_directory(self.root, url=self.url)))
        return data

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def translate_path(self, path: str) -> str:
        return super().translate_path(path.replace("/charts", "", 1))

    def log_message(self, *args) -> None:
        pass
