#!/usr/bin/env python3
"""Cluster DNS records for the test cluster's dnsmasq, kept in step with the API server.

No CoreDNS package can be installed on these machines, so scripts/cluster runs Debian's dnsmasq
with ``--hostsdir`` and this loop rewrites the hosts file there from Services and Endpoints, as
CoreDNS's kubernetes plugin would answer: a headless Service's name resolves to the addresses in
its Endpoints (``addresses`` only: a Service with ``publishNotReadyAddresses`` has its unready pods
there too), an address with a ``hostname`` also as ``<hostname>.<service>``, and any other Service
to its ClusterIP. Standard library only; stops when the API server is gone for a minute.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import sys
import time
import urllib.request
from pathlib import Path

DOMAIN = "svc.cluster.local"


def get(server: str, path: str, token: str, context: ssl.SSLContext) -> dict:
    request = urllib.request.Request(server + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        return json.load(response)


def records(services: dict, endpoints: dict) -> list[str]:
    lines: list[str] = []
    addresses = {}
    for item in endpoints.get("items") or []:
        meta = item["metadata"]
        addresses[(meta["namespace"], meta["name"])] = [
            address for subset in item.get("subsets") or [] for address in subset.get("addresses") or []
        ]
    for service in services.get("items") or []:
        meta, spec = service["metadata"], service.get("spec") or {}
        name = f"{meta['name']}.{meta['namespace']}.{DOMAIN}"
        if spec.get("clusterIP") not in (None, "", "None"):
            lines.append(f"{spec['clusterIP']} {name}")
            continue
        for address in addresses.get((meta["namespace"], meta["name"]), []):
            lines.append(f"{address['ip']} {name}")
            if address.get("hostname"):
                lines.append(f"{address['ip']} {address['hostname']}.{name}")
    return sorted(set(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--token-file", required=True, help="the API server's token file (first field)")
    parser.add_argument("--hosts", required=True, type=Path)
    parser.add_argument("--staging", required=True, type=Path, help="a directory beside --hosts' for atomic writes")
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args()
    token = Path(args.token_file).read_text(encoding="utf-8").split(",", 1)[0].strip()
    context = ssl.create_default_context(cafile=args.ca)
    written, last_success = None, time.monotonic()
    while True:
        try:
            content = "\n".join(
                records(get(args.server, "/api/v1/services", token, context),
                        get(args.server, "/api/v1/endpoints", token, context))
            ) + "\n"
            last_success = time.monotonic()
        except OSError as error:
            if time.monotonic() - last_success > 60:
                print(f"dns-sync: API server unreachable for a minute ({error}); stopping", file=sys.stderr)
                return 1
            time.sleep(args.interval)
            continue
        if content != written:
            staged = args.staging / "cluster"
            staged.write_text(content, encoding="utf-8")
            staged.chmod(0o644)
            os.replace(staged, args.hosts)  # dnsmasq sees the rename (inotify) and re-reads it
            written = content
        time.sleep(args.interval)


if __name__ == "__main__":
    sys.exit(main())
