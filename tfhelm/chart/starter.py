"""The starter chart ``tfhelm create`` writes: a Deployment and a Service with Jinja2 templates.

Each entry is a chart-relative path and its text; ``{name}`` in Chart.yaml is the only thing
filled in (the templates read ``Chart.name`` themselves, so renaming the chart later is one edit).
The chart lints clean with ``tfhelm lint --strict`` and renders with its defaults alone.
"""

from __future__ import annotations

__all__ = ["STARTER_FILES", "starter_files"]

_CHART_YAML = """\
apiVersion: v2
name: {name}
description: A chart for Kubernetes with Jinja2 templates (made by tfhelm create)
# application (installable) or library (macros for other charts only)
type: application
# the chart's own version (SemVer 2): bump it on every change to the chart
version: 0.1.0
# the version of the application it deploys; the image tag defaults to it
appVersion: "1.27.0"
"""

_VALUES_YAML = """\
# Default values; users lay their own over them with -f FILE and --set key=value.
# values.schema.json describes every key: an unknown key or a wrong type is an error.

replicaCount: 1

image:
  repository: nginx
  # the image tag; empty means the chart's appVersion
  tag: ""
  pullPolicy: IfNotPresent

service:
  type: ClusterIP
  port: 80

# extra annotations of the pods
podAnnotations: {}

# requests and limits of the container, e.g. {requests: {cpu: 100m, memory: 128Mi}}
resources: {}

nodeSelector: {}
tolerations: []
affinity: {}
"""

_SCHEMA = """\
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "replicaCount": {"type": "integer", "minimum": 0},
    "image": {
      "type": "object",
      "additionalProperties": false,
      "required": ["repository"],
      "properties": {
        "repository": {"type": "string", "minLength": 1},
        "tag": {"type": "string"},
        "pullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]}
      }
    },
    "service": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535}
      }
    },
    "podAnnotations": {"type": "object", "additionalProperties": {"type": "string"}},
    "resources": {"type": "object"},
    "nodeSelector": {"type": "object", "additionalProperties": {"type": "string"}},
    "tolerations": {"type": "array", "items": {"type": "object"}},
    "affinity": {"type": "object"}
  }
}
"""

_HELPERS = """\
{#- Macros the other templates import: {% import "_helpers.tpl" as h %} -#}

{#- The name of the release's objects: the release name, with the chart's name unless it has it. -#}
{% macro fullname() -%}
{{ (Release.name if Chart.name in Release.name else Release.name ~ "-" ~ Chart.name) | dns1123 | trim("-") }}
{%- endmacro %}

{#- The labels that select the pods (they must never change across upgrades). -#}
{% macro selector_labels() -%}
app.kubernetes.io/name: {{ Chart.name }}
app.kubernetes.io/instance: {{ Release.name }}
{%- endmacro %}

{#- Every object's labels. -#}
{% macro labels() -%}
{{ selector_labels() }}
app.kubernetes.io/version: {{ (Chart.appVersion or Chart.version) | quote }}
app.kubernetes.io/managed-by: {{ Release.service }}
{%- endmacro %}
"""

_DEPLOYMENT = """\
{% import "_helpers.tpl" as h %}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ h.fullname() }}
  labels:{{ h.labels() | nindent(4) }}
spec:
  replicas: {{ Values.replicaCount }}
  selector:
    matchLabels:{{ h.selector_labels() | nindent(6) }}
  template:
    metadata:
{% if Values.podAnnotations %}
      annotations:{{ Values.podAnnotations | toyaml | nindent(8) }}
{% endif %}
      labels:{{ h.labels() | nindent(8) }}
    spec:
      containers:
        - name: {{ Chart.name }}
          image: {{ (Values.image.repository ~ ":" ~ (Values.image.tag or Chart.appVersion)) | quote }}
          imagePullPolicy: {{ Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ Values.service.port }}
              protocol: TCP
          livenessProbe:
            httpGet:
              path: /
              port: http
          readinessProbe:
            httpGet:
              path: /
              port: http
{% if Values.resources %}
          resources:{{ Values.resources | toyaml | nindent(12) }}
{% endif %}
{% if Values.nodeSelector %}
      nodeSelector:{{ Values.nodeSelector | toyaml | nindent(8) }}
{% endif %}
{% if Values.affinity %}
      affinity:{{ Values.affinity | toyaml | nindent(8) }}
{% endif %}
{% if Values.tolerations %}
      tolerations:{{ Values.tolerations | toyaml | nindent(8) }}
{% endif %}
"""

_SERVICE = """\
{% import "_helpers.tpl" as h %}
apiVersion: v1
kind: Service
metadata:
  name: {{ h.fullname() }}
  labels:{{ h.labels() | nindent(4) }}
spec:
  type: {{ Values.service.type }}
  ports:
    - port: {{ Values.service.port }}
      targetPort: http
      protocol: TCP
      name: http
  selector:{{ h.selector_labels() | nindent(4) }}
"""

_NOTES = """\
{% import "_helpers.tpl" as h %}
{{ Chart.name }} is installed as release {{ Release.name }} in namespace {{ Release.namespace }}.

Reach it from this machine:
  kubectl --namespace {{ Release.namespace }} port-forward service/{{ h.fullname() }} 8080:{{ Values.service.port }}
then open http://127.0.0.1:8080/
"""

_IGNORE = """\
# Files left out of the chart and its package (gitignore syntax), like Helm's .helmignore.
.DS_Store
.git/
.gitignore
.bzr/
.bzrignore
.hg/
.hgignore
.svn/
*.swp
*.bak
*.tmp
*.orig
*~
.project
.idea/
*.tmproj
.vscode/
"""

STARTER_FILES = {
    "Chart.yaml": _CHART_YAML,
    "values.yaml": _VALUES_YAML,
    "values.schema.json": _SCHEMA,
    ".tfhelmignore": _IGNORE,
    "templates/_helpers.tpl": _HELPERS,
    "templates/deployment.yaml": _DEPLOYMENT,
    "templates/service.yaml": _SERVICE,
    "templates/NOTES.txt": _NOTES,
}


def starter_files(name: str) -> dict[str, str]:
    """The starter chart's files for a chart called ``name``."""
    files = dict(STARTER_FILES)
    files["Chart.yaml"] = files["Chart.yaml"].replace("{name}", name)
    return files
