{{- define "avigw-reconciler.fullname" -}}
{{- printf "%s" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "avigw-reconciler.labels" -}}
app.kubernetes.io/name: avigw-reconciler
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "avigw-reconciler.selector" -}}
app.kubernetes.io/name: avigw-reconciler
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Fails the render with one clear line when a required value is missing or malformed. */}}
{{- define "avigw-reconciler.clusterName" -}}
{{- $n := required "clusterName is required: the prefix of every Avi object name, e.g. --set clusterName=prod-1" .Values.clusterName -}}
{{- if not (regexMatch "^[a-zA-Z0-9_-]{1,32}$" $n) -}}
{{- fail (printf "clusterName %q must match ^[a-zA-Z0-9_-]{1,32}$" $n) -}}
{{- end -}}
{{- $n -}}
{{- end -}}

{{/* PromQL label matchers that select this release's series (what its ServiceMonitor scrapes). */}}
{{- define "avigw-reconciler.metricSelector" -}}
{{- $job := printf "%s-metrics" (include "avigw-reconciler.fullname" .) -}}
{{- default (printf "job=%q,namespace=%q" $job .Release.Namespace) .Values.metrics.prometheusRule.selector -}}
{{- end -}}

{{/* An alert's labels: its severity, then the configured extra labels. Call with (list $ "severity"). */}}
{{- define "avigw-reconciler.alertLabels" -}}
{{- $root := index . 0 -}}
{{- toYaml (merge (dict "severity" (index . 1)) $root.Values.metrics.prometheusRule.alertLabels) -}}
{{- end -}}
