"""A private network namespace for peers that listen on every interface.

TensorFlow's gRPC servers bind ``[::]:PORT`` whatever address their cluster spec names, and
they take no authentication. Tests therefore run them inside a fresh network namespace that has
only a loopback interface: the processes reach each other on 127.0.0.1 and nothing outside can
reach them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

__all__ = ["private_network"]


def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def private_network() -> Iterator[list[str]]:
    """Yield an argv prefix (``nsenter --net=…``) that runs a command inside the namespace."""
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("nsenter") and shutil.which("ip")):
        _unavailable("a private network namespace needs root, unshare, nsenter and ip (util-linux, iproute2)")
    holder = subprocess.Popen(["unshare", "--net", "--", "sleep", "3600"])
    try:
        namespace = f"/proc/{holder.pid}/ns/net"
        deadline = time.monotonic() + 10
        while os.readlink(namespace) == os.readlink("/proc/self/ns/net"):
            if holder.poll() is not None or time.monotonic() > deadline:
                _unavailable("unshare --net could not create a network namespace here")
            time.sleep(0.02)
        prefix = ["nsenter", f"--net={namespace}", "--"]
        subprocess.run([*prefix, "ip", "link", "set", "lo", "up"], check=True, capture_output=True)
        yield prefix
    finally:
        holder.kill()
        holder.wait()
