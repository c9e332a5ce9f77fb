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
