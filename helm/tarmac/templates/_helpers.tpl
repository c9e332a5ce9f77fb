{{/* The release's full name: the release name, with "tarmac" appended unless it already contains it. */}}
{{- define "tarmac.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object (Kubernetes' recommended labels, app.kubernetes.io/*). */}}
{{- define "tarmac.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "tarmac.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tarmac
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels the Deployment selects its pods by; never change them on upgrade. */}}
{{- define "tarmac.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tarmac.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tarmac.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "tarmac.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "tarmac.leaderElection" -}}
{{- if or .Values.leaderElection.enabled (gt (int .Values.replicas) 1) -}}true{{- else -}}false{{- end -}}
{{- end -}}

{{/* The Service for /git: the leader's Pod only with leader election (it alone writes the embedded repositories). */}}
{{- define "tarmac.gitServiceName" -}}
{{- printf "%s-git" (include "tarmac.fullname" . | trunc 59 | trimSuffix "-") -}}
{{- end -}}

{{- define "tarmac.gitBaseUrl" -}}
{{- if .Values.git.baseUrl -}}
{{- .Values.git.baseUrl -}}
{{- else -}}
{{- printf "http://%s.%s.svc:%d/git" (include "tarmac.gitServiceName" .) .Release.Namespace (int .Values.service.port) -}}
{{- end -}}
{{- end -}}

{{/* The ClusterRole granting Secrets that the operator binds in a claim's namespace (rbac.secretNamespaces empty). */}}
{{- define "tarmac.connectionSecretsRole" -}}
{{- printf "%s-connection-secrets" (include "tarmac.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
"true" when several replicas share one PersistentVolumeClaim that only one node may mount (no ReadWriteMany).
*/}}
{{- define "tarmac.sharedNodeVolume" -}}
{{- if and .Values.persistence.enabled (gt (int .Values.replicas) 1) (not (has "ReadWriteMany" .Values.persistence.accessModes)) -}}true{{- else -}}false{{- end -}}
{{- end -}}

{{/*
The operator's container, for the main Deployment (shard "") and each extra shard's (values: shards; docs/scaling.md).
Takes a dict: root (the chart's context), shard (name, or "" for the default shard), replicas.
*/}}
{{- define "tarmac.operatorContainer" -}}
{{- $root := .root -}}
- name: tarmac
  image: {{ include "tarmac.image" $root }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  args:
    - run
    - --leader-election={{ include "tarmac.shardLeaderElection" . }}
    {{- if eq (include "tarmac.shardLeaderElection" .) "true" }}
    - --lease-duration={{ $root.Values.leaderElection.leaseDuration }}
    - --lease-renew-deadline={{ $root.Values.leaderElection.renewDeadline }}
    - --lease-retry-period={{ $root.Values.leaderElection.retryPeriod }}
    {{- end }}
    {{- if .shard }}
    - --shard={{ .shard }}
    {{- else }}
    - --default-state-store={{ $root.Values.git.embedded }}
    {{- end }}
    - --reconcile-threads={{ $root.Values.reconcileThreads }}
    {{- if $root.Values.portal.trustedProxyHeaders }}
    - --portal-trusted-proxy-headers
    {{- end }}
  env:
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: POD_NAMESPACE
      valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
    # In a cluster the port must be reachable from other pods; every surface but the probes needs a token
    # (TokenReview + SubjectAccessReview), and the NetworkPolicy narrows who may connect at all.
    - name: TARMAC_HTTP_HOST
      value: "0.0.0.0"
    - name: TARMAC_HTTP_PORT
      value: {{ $root.Values.http.port | quote }}
    - name: TARMAC_LOG_FORMAT
      value: {{ $root.Values.log.format | quote }}
    - name: TARMAC_DATA_DIR
      value: /var/lib/tarmac
    - name: TARMAC_PIPELINE_IMAGE
      value: {{ include "tarmac.image" $root | quote }}
    - name: TARMAC_GIT_BASE_URL
      {{- if .shard }}
      value: {{ printf "http://%s.%s.svc:%d/git" (include "tarmac.shardName" .) $root.Release.Namespace (int $root.Values.service.port) | quote }}
      {{- else }}
      value: {{ include "tarmac.gitBaseUrl" $root | quote }}
      {{- end }}
    - name: POD_SERVICE_ACCOUNT
      value: {{ include "tarmac.serviceAccountName" $root | quote }}
    - name: TARMAC_SECRET_NAMESPACES
      value: {{ join "," $root.Values.rbac.secretNamespaces | quote }}
    {{- if not $root.Values.rbac.secretNamespaces }}
    - name: TARMAC_CONNECTION_SECRET_CLUSTER_ROLE
      value: {{ include "tarmac.connectionSecretsRole" $root | quote }}
    {{- end }}
    {{- if $root.Values.goldenPaths.impersonate }}
    # Golden paths create Components for proxy-signed-in users by impersonating them
    # (docs/portal-golden-paths.md); the <fullname>-impersonate ClusterRole grants it.
    - name: TARMAC_PORTAL_IMPERSONATION
      value: "true"
    {{- end }}
    {{- if and $root.Values.crossplane.enabled (not .shard) }}
    # The XRD controller (docs/crossplane.md); never where Crossplane runs.
    - name: TARMAC_CROSSPLANE
      value: "true"
    {{- end }}
    - name: JAVA_TOOL_OPTIONS
      value: {{ $root.Values.javaOptions | quote }}
  ports:
    - name: http
      containerPort: {{ $root.Values.http.port }}
      protocol: TCP
  startupProbe:
    httpGet: {path: /healthz, port: http}
    periodSeconds: 2
    failureThreshold: 60
  livenessProbe:
    httpGet: {path: /healthz, port: http}
    periodSeconds: 10
    failureThreshold: 3
  readinessProbe:
    httpGet: {path: /readyz, port: http}
    periodSeconds: 5
    failureThreshold: 2
  resources:
    {{- toYaml $root.Values.resources | nindent 12 }}
  securityContext:
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    runAsNonRoot: true
    capabilities:
      drop: [ALL]
    seccompProfile:
      type: RuntimeDefault
  volumeMounts:
    - name: data
      mountPath: /var/lib/tarmac
    - name: tmp
      mountPath: /tmp
{{- end -}}

{{/* Leader election for a dict (root, shard, replicas) as tarmac.leaderElection decides it for the chart. */}}
{{- define "tarmac.shardLeaderElection" -}}
{{- if or .root.Values.leaderElection.enabled (gt (int .replicas) 1) -}}true{{- else -}}false{{- end -}}
{{- end -}}

{{/* The Deployment and Service name of shard .shard (a dict: root, shard): <fullname>-shard-<name>, at most 63. */}}
{{- define "tarmac.shardName" -}}
{{- printf "%s-shard-%s" (include "tarmac.fullname" .root | trunc (int (sub 56 (len .shard))) | trimSuffix "-") .shard -}}
{{- end -}}

{{/* The selector labels of shard .shard's Pods (a dict: root, shard): not the main Deployment's, so neither selects the other's Pods. */}}
{{- define "tarmac.shardSelectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}-shard
app.kubernetes.io/instance: {{ .root.Release.Name }}
platform.tarmac.dev/shard: {{ .shard }}
{{- end -}}
