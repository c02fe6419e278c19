"""Sharing charts: chart repositories (index.yaml over http/https/file), OCI registries, downloads.

Modules: ``config`` (repositories.yaml and the cache, XDG dirs), ``http`` (the one downloader:
TLS, retries, credential redaction), ``index`` (Helm-compatible index.yaml), ``resolve``
(``repo/chart`` + version constraint → a verified archive), ``oci`` (registries).
Nothing here is imported on the ``tfhelm template`` path of a local chart.
"""
