{#-
  The cluster model of tf-cluster: names, addresses, the cluster spec, labels and pod specs.

  Import it WITH CONTEXT ({% import "_helpers.tpl" as h with context %}): the module reads
  Values/Release/Chart at import, computes every task once, and runs the cross-field checks
  that JSON Schema cannot express, so every template that imports it refuses bad values.
-#}
{% set prefix = Release.name ~ "-" if Values.releasePrefix else "" %}
{% set domain = ".svc." ~ Values.clusterDomain %}
{% set jobs = Values.jobs %}
{% set has_ps = "ps" in jobs %}
{% set notebook_is_chief = Values.jupyter.enabled and Values.jupyter.asChief %}
{% set tf_config = Values.tfConfig %}
{% set spec_dir = "/etc/tfhelm" %}
{% set spec_file = spec_dir ~ "/cluster-spec.json" %}
{% set run_file = spec_dir ~ "/run.py" %}
{#- Every task is a batch/v1 Job of the run. Training tasks (the chief, and the workers of
    MultiWorkerMirroredStrategy) run the user's command to completion; the others serve until
    the run ends (files/run.py). The deciding Jobs say when the run has succeeded. -#}
{% set training_jobs = ["chief"] if has_ps else ["chief", "worker"] %}
{% set run = Values.run %}
{% set run_outcome = "chief" in jobs or (not has_ps and "worker" in jobs) %}
{% if run.successPolicy == "AllWorkers" %}
{% set deciding = {"job": "worker", "tasks": jobs.worker.tasks if "worker" in jobs else 0} %}
{% elif "chief" in jobs %}
{% set deciding = {"job": "chief", "tasks": 1} %}
{% else %}
{% set deciding = {"job": "worker", "tasks": 1 if run_outcome else 0} %}
{% endif %}
{% set kube_minor = Capabilities.kubeVersion.minor | int %}
{% set ttl_supported = Capabilities.kubeVersion.major | int > 1 or kube_minor >= 21 %}
{% set suspend_supported = Capabilities.kubeVersion.major | int > 1 or kube_minor >= 22 %}
{% set gang_scheduler = Values.gang.schedulerName or {"volcano": "volcano", "scheduler-plugins": "scheduler-plugins-scheduler"}.get(Values.gang.scheduler, "") %}
{% if Values.kueue.queueName and not suspend_supported %}
{{ fail("kueue.queueName needs Kubernetes 1.22 or later (suspended Jobs), but the cluster is " ~ Capabilities.kubeVersion ~ ": remove kueue.queueName") }}
{% endif %}

{#- ------------------------------------------------------------------ checks fail() makes -#}
{% if has_ps and not ("chief" in jobs or notebook_is_chief) %}
{{ fail("jobs.ps needs a coordinator for ParameterServerStrategy: add a chief job (jobs.chief with tasks: 1 and a command) or let the notebook coordinate (jupyter.enabled=true, jupyter.asChief=true)") }}
{% endif %}
{% if not has_ps and notebook_is_chief %}
{{ fail("jupyter.asChief=true needs jobs.ps: without parameter servers (MultiWorkerMirroredStrategy) TensorFlow counts the chief as a worker and makes it the collective leader, so the workers would wait for a notebook kernel. Set jupyter.asChief=false (the notebook runs beside the cluster) or add jobs.ps") }}
{% endif %}
{% if run.successPolicy == "AllWorkers" and has_ps %}
{{ fail("run.successPolicy=AllWorkers needs workers that train to completion, but with jobs.ps the workers serve: use run.successPolicy=Default (the chief decides) or remove jobs.ps") }}
{% endif %}
{% if "chief" in jobs and notebook_is_chief %}
{{ fail("jobs.chief and jupyter.asChief=true both claim task chief/0: remove jobs.chief or set jupyter.asChief=false") }}
{% endif %}
{% if Values.jupyter.enabled %}
{% set given = [] %}
{% for key in ["password", "hashedPassword", "existingSecret"] if Values.jupyter[key] %}
{% do given.append("jupyter." ~ key) %}
{% endfor %}
{% if given | length != 1 %}
{{ fail("jupyter.enabled=true needs exactly one of jupyter.password, jupyter.hashedPassword or jupyter.existingSecret, but " ~ ("none is set" if not given else (given | join(" and ")) ~ " are set") ~ " (or set jupyter.enabled=false)") }}
{% endif %}
{% endif %}
{% if notebook_is_chief and (prefix ~ "chief-0") | length > 63 %}
{{ fail("the name " ~ prefix ~ "chief-0 of the notebook's chief Service is more than 63 characters: use a shorter release name, or releasePrefix=false") }}
{% endif %}
{% for job, cfg in jobs | dictsort %}
{% set longest = prefix ~ job ~ "-" ~ (cfg.tasks - 1) %}
{% set limit = 56 %}
{% if longest | length > limit %}
{{ fail("the name " ~ longest ~ " of job " ~ job ~ " is " ~ (longest | length) ~ " characters, more than " ~ limit ~ " (its Job is named " ~ longest ~ "-<run revision>, at most 63 characters as a label value)" ~ ": use a shorter release or job name, or releasePrefix=false") }}
{% endif %}
{% endfor %}

{#- ------------------------------------------------------------------ the cluster model -#}
{% set tasks = [] %}
{% set spec = {} %}
{% set task_counts = {} %}
{% for job, cfg in jobs | dictsort %}
{% set port = cfg.get("port", Values.port) %}
{% set addresses = [] %}
{% for index in range(cfg.tasks) %}
{% set name = prefix ~ job ~ "-" ~ index %}
{% set address = name ~ "." ~ Release.namespace ~ domain ~ ":" ~ port %}
{% do addresses.append(address) %}
{% do tasks.append({"job": job, "index": index, "name": name, "address": address, "port": port, "training": job in training_jobs, "notebook": false, "cfg": cfg}) %}
{% endfor %}
{% do task_counts.update({job: cfg.tasks}) %}
{#- TensorFlow's tutorials leave the evaluator out of the cluster the other tasks see. -#}
{% if job != "evaluator" %}
{% do spec.update({job: addresses}) %}
{% endif %}
{% endfor %}
{% if notebook_is_chief %}
{% set name = prefix ~ "chief-0" %}
{% set address = name ~ "." ~ Release.namespace ~ domain ~ ":" ~ Values.port %}
{% do tasks.append({"job": "chief", "index": 0, "name": name, "address": address, "port": Values.port, "training": false, "notebook": true, "cfg": {}}) %}
{% do spec.update({"chief": [address]}) %}
{% endif %}
{% set spec_json = spec | tojson %}
{% set spec_checksum = spec_json | sha256 %}
{% set spec_tasks = spec.values() | map("length") | sum %}
{% set all_tasks = tasks | length %}
{% if all_tasks > 10000 %}
{{ fail("the cluster has " ~ all_tasks ~ " tasks; tf-cluster supports at most 10,000") }}
{% endif %}
{% if spec_json | length > 900000 %}
{{ fail("the cluster spec is " ~ (spec_json | length) ~ " bytes, more than a ConfigMap holds (900,000 with room for run.py): use fewer tasks or a shorter release, job or namespace name") }}
{% endif %}
{% set annotate_spec = spec_tasks <= Values.clusterSpecAnnotationMaxTasks %}

{#- The Jupyter password is never rendered: only an argon2id hash in jupyter_server's format
    (argon2:$argon2id$...), salted at random so nothing about it follows from the release. An
    upgrade keeps the previous revision's hash while it still matches the password, so the same
    password renders the same Secret (no notebook restart, an empty diff). -#}
{% set jupyter_secret = Values.jupyter.existingSecret or prefix ~ "jupyter" %}
{% set jupyter_secret_key = Values.jupyter.existingSecretKey if Values.jupyter.existingSecret else "hashed-password" %}
{% if Values.jupyter.password %}
{% set previous_hash = (previous_object("v1", "Secret", jupyter_secret).get("data") or {}).get("hashed-password", "") | b64dec %}
{% set jupyter_hash = "argon2:" ~ (Values.jupyter.password | argon2(previous_hash[7:] if previous_hash.startswith("argon2:") else "")) %}
{% else %}
{% set jupyter_hash = Values.jupyter.hashedPassword %}
{% endif %}

{#- Linux refuses to exec with one environment string over 128 KiB (E2BIG): above this size
    TF_CONFIG goes to a file named by TFHELM_TF_CONFIG_FILE instead (README, 10,000 tasks). -#}
{% set tf_config_max = 100000 %}
{#- The shim that makes any image with /bin/sh a TensorFlow task: TF_CONFIG is built at start
    from the mounted cluster spec and the task's identity, so no pod carries the whole cluster
    and every object's size is independent of the cluster's. -#}
{% set shim = 'TF_CONFIG="{\\"cluster\\":$(cat "$TFHELM_CLUSTER_SPEC_FILE"),\\"task\\":{\\"type\\":\\"$TFHELM_TASK_TYPE\\",\\"index\\":$TFHELM_TASK_INDEX}}" && if [ ${#TF_CONFIG} -le ' ~ tf_config_max ~ ' ]; then export TF_CONFIG; else TFHELM_TF_CONFIG_FILE=/tmp/tfhelm-tf-config.json && printf %s "$TF_CONFIG" >"$TFHELM_TF_CONFIG_FILE" && unset TF_CONFIG && export TFHELM_TF_CONFIG_FILE; fi && exec "$@"' %}
{% set shim_command = ["/bin/sh", "-c", shim, "tfhelm-tf-config"] %}
{#- The server runs as PID 1 of its container, which ignores SIGTERM unless it handles it: without
    the handler every stop (uninstall, rollout) waits the full 30 s grace period for SIGKILL. -#}
{#- It reads its own address from the mounted spec and serves with a sparse cluster spec (itself
    alone): the coordinator sends every server the whole cluster when it connects, so no server
    carries the cluster in its environment. -#}
{% set server_command = ["python3", "-c", 'import json, os, signal, tensorflow as tf; job, index = os.environ["TFHELM_TASK_TYPE"], int(os.environ["TFHELM_TASK_INDEX"]); address = json.load(open(os.environ["TFHELM_CLUSTER_SPEC_FILE"]))[job][index]; server = tf.distribute.Server(tf.train.ClusterSpec({job: {index: address}}), job_name=job, task_index=index, protocol="grpc", start=True); signal.signal(signal.SIGTERM, lambda *_: os._exit(0)); signal.pause()'] %}

{#- command/args of a container: behind the shim when TF_CONFIG is on. Items print single-quoted
    (readable, backslashes kept) unless they hold a newline, which only JSON quoting keeps. -#}
{% macro argv(command, args, mode="") %}
{% set wrapper = ["python3", run_file, mode] if mode and (command or tf_config) else [] %}
{% set lists = {"command": wrapper + shim_command, "args": command + args} if tf_config else {"command": wrapper + command, "args": args} %}
{% for key in ["command", "args"] if lists[key] %}
{{ key }}:
{% for item in lists[key] %}
  - {{ item | tojson if "\n" in item else item | squote }}
{% endfor %}
{% endfor %}
{% endmacro %}

{% macro name(suffix) %}{{ prefix ~ suffix }}{% endmacro %}

{% macro image(override) %}
{% set merged = {"repository": Values.image.repository, "tag": Values.image.tag, "pullPolicy": Values.image.pullPolicy} %}
{% do merged.update(override) %}
image: {{ (merged.repository ~ ":" ~ merged.tag) | quote }}
imagePullPolicy: {{ merged.pullPolicy }}
{% endmacro %}

{% macro labels(component) %}
app.kubernetes.io/name: {{ Chart.name }}
app.kubernetes.io/instance: {{ Release.name | quote }}
app.kubernetes.io/version: {{ Chart.appVersion | quote }}
app.kubernetes.io/component: {{ component }}
app.kubernetes.io/managed-by: {{ Release.service }}
tfhelm.io/chart: {{ Chart.name ~ "-" ~ Chart.version }}
{% endmacro %}

{#- Selectors use stable labels only: never the chart or app version. -#}
{% macro task_selector(job, index, run_revision="") %}
app.kubernetes.io/name: {{ Chart.name }}
app.kubernetes.io/instance: {{ Release.name | quote }}
tfhelm.io/job: {{ job }}
tfhelm.io/task-index: {{ index | quote }}
{% if run_revision %}
tfhelm.io/run: {{ run_revision | quote }}
{% endif %}
{% endmacro %}

{% macro notebook_selector() %}
app.kubernetes.io/name: {{ Chart.name }}
app.kubernetes.io/instance: {{ Release.name | quote }}
app.kubernetes.io/component: notebook
{% endmacro %}

{% macro task_annotations(task) %}
tfhelm.io/task: {{ task.job }}/{{ task.index }}
tfhelm.io/address: {{ task.address }}
{% endmacro %}

{% macro workload_annotations(task) %}
{{ task_annotations(task) | trim }}
{% if annotate_spec %}
tfhelm.io/cluster-spec: {{ spec_json | squote }}
{% endif %}
{% endmacro %}

{% macro pod_annotations(task) %}
{{ task_annotations(task) | trim }}
tfhelm.io/cluster-spec-checksum: {{ spec_checksum }}
{% endmacro %}

{#- Environment every task and the coordinating notebook get. -#}
{% macro identity_env(job, index) %}
- name: TFHELM_TASK_TYPE
  value: {{ job }}
- name: TFHELM_TASK_INDEX
  value: {{ index | quote }}
- name: TFHELM_CLUSTER_SPEC_FILE
  value: {{ spec_file }}
{% if has_ps %}
- name: GRPC_FAIL_FAST
  value: use_caller
{% endif %}
{% endmacro %}

{#- What files/run.py reads: the run to watch and how to judge a failure. -#}
{% macro run_env(task) %}
- name: TFHELM_RELEASE
  value: {{ Release.name | quote }}
- name: TFHELM_RUN
  value: "@TFHELM_RUN@"
- name: TFHELM_RUN_WATCH
  value: {{ ("1" if run_outcome and run.cleanPodPolicy == "Running" else "0") | quote }}
- name: TFHELM_RUN_DECIDING
  value: {{ deciding.tasks | quote }}
- name: TFHELM_RUN_POLL
  value: {{ run.pollSeconds | quote }}
- name: TFHELM_RUN_RESTART_POLICY
  value: {{ run.restartPolicy }}
- name: TFHELM_PS_TASKS
  value: {{ (jobs.ps.tasks if has_ps else 0) | quote }}
{% endmacro %}

{#- Fills `into` with the job's resources (else the chart default) plus nvidia.com/gpu limits;
    call it with do: a macro cannot return a value, but it can fill a mapping. -#}
{% macro fill_resources(into, cfg, default) %}
{% for key, value in cfg.get("resources", default).items() %}
{% do into.update({key: dict(value)}) %}
{% endfor %}
{% if cfg.get("gpus", 0) > 0 %}
{% set limits = into.get("limits", {}) %}
{% do limits.update({"nvidia.com/gpu": cfg.gpus}) %}
{% do into.update({"limits": limits}) %}
{% endif %}
{% endmacro %}

{#- Pod-level settings: the job's own scheduling settings, else the chart-wide defaults. -#}
{% macro pod_settings(cfg, account="") %}
{% if account %}
serviceAccountName: {{ account }}
automountServiceAccountToken: true
{% else %}
automountServiceAccountToken: false
{% endif %}
enableServiceLinks: false
{% set priority = cfg.get("priorityClassName", Values.priorityClassName) %}
{% if priority %}
priorityClassName: {{ priority }}
{% endif %}
{% if Values.imagePullSecrets %}
imagePullSecrets:
  {{ Values.imagePullSecrets | toyaml | indent(2) | trim }}
{% endif %}
{% for key in ["nodeSelector", "affinity", "tolerations"] %}
{% set value = cfg.get(key, Values[key]) %}
{% if value %}
{{ key }}:
  {{ value | toyaml | indent(2) | trim }}
{% endif %}
{% endfor %}
{% endmacro %}

{% macro shared_mounts() %}
- name: cluster-spec
  mountPath: {{ spec_dir }}
  readOnly: true
{% if Values.persistence.enabled %}
- name: checkpoints
  mountPath: {{ Values.persistence.mountPath }}
{% endif %}
{% if Values.shm.enabled %}
- name: shm
  mountPath: /dev/shm
{% endif %}
{% endmacro %}

{% macro shared_volumes() %}
- name: cluster-spec
  configMap:
    name: {{ prefix }}cluster-spec
{% if Values.persistence.enabled %}
- name: checkpoints
  persistentVolumeClaim:
    claimName: {{ Values.persistence.existingClaim or prefix ~ "checkpoints" }}
{% endif %}
{% if Values.shm.enabled %}
- name: shm
  emptyDir:
    medium: Memory
{% if Values.shm.sizeLimit %}
    sizeLimit: {{ Values.shm.sizeLimit | quote }}
{% endif %}
{% endif %}
{% endmacro %}

{#- The pod spec of one task: container "tensorflow", behind the TF_CONFIG shim. -#}
{% macro task_pod(task) %}
{% set cfg = task.cfg %}
{% set command = cfg.get("command", [] if task.training or task.job == "evaluator" or not tf_config else server_command) %}
{% set resources = {} %}
{% do fill_resources(resources, cfg, Values.resources) %}
{#- Training tasks: a failed attempt is a new pod, so run.py can read the earlier ones. Serving
    tasks restart in place (same pod, same address). -#}
restartPolicy: {{ "Never" if task.training else "OnFailure" }}
{% if gang_scheduler %}
schedulerName: {{ gang_scheduler }}
{% endif %}
{{ pod_settings(cfg, name("run") if run_outcome else "") | trim }}
containers:
  - name: tensorflow
    {{ image(cfg.get("image", {})) | indent(4) | trim }}
    {{ argv(command, cfg.get("args", []), "train" if task.training else "serve") | indent(4) | trim }}
    env:
      {{ identity_env(task.job, task.index) | indent(6) | trim }}
      {{ run_env(task) | indent(6) | trim }}
{% if cfg.get("env") %}
      {{ cfg.env | toyaml | indent(6) | trim }}
{% endif %}
    ports:
      - name: tf-grpc
        containerPort: {{ task.port }}
        protocol: TCP
{% if not task.training and task.job != "evaluator" %}
    readinessProbe:
      tcpSocket:
        port: tf-grpc
      periodSeconds: 10
{% endif %}
{% if resources %}
    resources:
      {{ resources | toyaml | indent(6) | trim }}
{% endif %}
    volumeMounts:
      {{ shared_mounts() | indent(6) | trim }}
volumes:
  {{ shared_volumes() | indent(2) | trim }}
{% endmacro %}
