{{- define "avigw-webhook.fullname" -}}
{{- printf "%s" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "avigw-webhook.labels" -}}
app.kubernetes.io/name: avigw-webhook
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "avigw-webhook.selector" -}}
app.kubernetes.io/name: avigw-webhook
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "avigw-webhook.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "avigw-webhook.certsImage" -}}
{{- printf "%s:%s" .Values.certsImage.repository (default .Chart.AppVersion .Values.certsImage.tag) -}}
{{- end -}}

{{- define "avigw-webhook.secret" -}}
{{- printf "%s-tls" (include "avigw-webhook.fullname" .) -}}
{{- end -}}

{{/* Pod and container security settings shared by every workload of the chart. */}}
{{- define "avigw.podSecurity" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "avigw.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* The rules the mutating webhook configuration matches (Ingresses have no defaults). */}}
{{- define "avigw-webhook.mutatingRules" -}}
- apiGroups: ["networking.x-k8s.io"]
  apiVersions: ["v1alpha1"]
  operations: ["CREATE", "UPDATE"]
  resources: ["gateways", "gatewayclasses"]
  scope: "*"
- apiGroups: ["ako.vmware.com"]
  apiVersions: ["v1alpha1"]
  operations: ["CREATE", "UPDATE"]
  resources: ["aviinfrasettings"]
  scope: "*"
- apiGroups: [""]
  apiVersions: ["v1"]
  operations: ["CREATE", "UPDATE"]
  resources: ["services"]
  scope: "Namespaced"
{{- end -}}

{{/* The rules the validating webhook configuration matches: the mutating ones and Ingresses. */}}
{{- define "avigw-webhook.validatingRules" -}}
{{ include "avigw-webhook.mutatingRules" . }}
- apiGroups: ["networking.k8s.io"]
  apiVersions: ["v1"]
  operations: ["CREATE", "UPDATE"]
  resources: ["ingresses", "ingressclasses"]
  scope: "*"
{{- end -}}

{{- define "avigw-webhook.namespaceSelector" -}}
namespaceSelector:
  matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values:
    {{- $all := concat (list "kube-system" .Release.Namespace) .Values.excludedNamespaces | uniq }}
    {{- range $all }}
    - {{ . | quote }}
    {{- end }}
{{- end -}}

{{/* PromQL label matchers that select this release's series (what its ServiceMonitor scrapes). */}}
{{- define "avigw-webhook.metricSelector" -}}
{{- $job := include "avigw-webhook.fullname" . -}}
{{- default (printf "job=%q,namespace=%q" $job .Release.Namespace) .Values.metrics.prometheusRule.selector -}}
{{- end -}}

{{/* An alert's labels: its severity, then the configured extra labels. Call with (list $ "severity"). */}}
{{- define "avigw-webhook.alertLabels" -}}
{{- $root := index . 0 -}}
{{- toYaml (merge (dict "severity" (index . 1)) $root.Values.metrics.prometheusRule.alertLabels) -}}
{{- end -}}
