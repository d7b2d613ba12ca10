package observability

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/components/gpupools"
	"github.com/platform-team/platform/internal/irsa"
)

// Datasource UIDs, fixed so the correlation links between them survive re-provisioning.
const (
	PrometheusUID = "prometheus"
	LokiUID       = "loki"
	TempoUID      = "tempo"
)

// StoragePolicy lets a role use exactly the given buckets and the KMS key that encrypts them.
func StoragePolicy(bucketArns []string, keyArn string) (string, error) {
	objects := make([]string, len(bucketArns))
	for i, b := range bucketArns {
		objects[i] = b + "/*"
	}
	return irsa.PolicyDocument(
		map[string]any{"Sid": "ListBuckets", "Effect": "Allow", "Action": []string{"s3:ListBucket"}, "Resource": bucketArns},
		map[string]any{"Sid": "ReadWriteObjects", "Effect": "Allow",
			"Action":   []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"},
			"Resource": objects},
		map[string]any{"Sid": "UseDataKey", "Effect": "Allow",
			"Action":   []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"},
			"Resource": []string{keyArn}},
	)
}

// TLSOnlyPolicy denies any request to the bucket that does not use TLS.
// denyInsecureTransport is the bucket policy statement refusing every request not made over TLS.
func denyInsecureTransport(bucketArn string) map[string]any {
	return map[string]any{
		"Sid":       "DenyInsecureTransport",
		"Effect":    "Deny",
		"Principal": "*",
		"Action":    "s3:*",
		"Resource":  []string{bucketArn, bucketArn + "/*"},
		"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
	}
}

func TLSOnlyPolicy(bucketArn string) (string, error) {
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{denyInsecureTransport(bucketArn)}})
	if err != nil {
		return "", fmt.Errorf("tls-only policy: %w", err)
	}
	return string(b), nil
}

func resources(reqCPU, reqMem, limCPU, limMem string) map[string]any {
	return map[string]any{
		"requests": map[string]any{"cpu": reqCPU, "memory": reqMem},
		"limits":   map[string]any{"cpu": limCPU, "memory": limMem},
	}
}

func pvc(sizeGiB int) map[string]any {
	return map[string]any{"volumeClaimTemplate": map[string]any{"spec": map[string]any{
		"accessModes": []any{"ReadWriteOnce"},
		"resources":   map[string]any{"requests": map[string]any{"storage": fmt.Sprintf("%dGi", sizeGiB)}},
	}}}
}

// claimRetention is a StatefulSet's persistentVolumeClaimRetentionPolicy: outside prod the claims (and the EBS
// volumes behind them, the EBS CSI StorageClass reclaims with Delete) go with the StatefulSet, so a teardown
// leaves no volume behind; with keep they stay. Scaling down never deletes a claim.
func claimRetention(keep bool) map[string]any {
	when := "Delete"
	if keep {
		when = "Retain"
	}
	return map[string]any{"whenDeleted": when, "whenScaled": "Retain"}
}

// grafanaPersistence puts Grafana's database on a PVC when asked. The grafana subchart renders that claim as a
// release object of its own (charts/grafana/templates/pvc.yaml, persistence.type pvc, used by a Deployment), not
// from a volumeClaimTemplate, so uninstalling the release (a destroy, or turning the release off) deletes it
// unless the claim carries helm.sh/resource-policy: keep (persistence.annotations), which the uninstall skips
// (helm.sh/helm/v3 pkg/action/resource_policy.go). With keep the dashboards outlive the release, and a later
// install of the same release in the same namespace adopts the kept claim, which still carries Helm's ownership
// label and annotations (pkg/action/validate.go, checkOwnership).
func grafanaPersistence(a *Args) map[string]any {
	p := map[string]any{"enabled": a.GrafanaPersistence, "size": "10Gi"}
	if a.GrafanaPersistence && a.KeepVolumes {
		p["annotations"] = map[string]any{HelmKeepAnnotation: "keep"}
	}
	return p
}

func lokiPersistence(retention map[string]any) map[string]any {
	return map[string]any{
		"enabled": true, "size": "20Gi",
		"enableStatefulSetAutoDeletePVC": true,
		"whenDeleted":                    retention["whenDeleted"],
		"whenScaled":                     retention["whenScaled"],
	}
}

// HelmKeepAnnotation makes `helm uninstall` leave an object in place.
const HelmKeepAnnotation = "helm.sh/resource-policy"

// GrafanaDatasources are Loki and Tempo, linked both ways and to Prometheus: a trace opens its logs
// (tracesToLogsV2) and its RED metrics (tracesToMetrics, service map); a log line's trace id opens the
// trace (derivedFields); Prometheus exemplars open traces (see KubePrometheusStackValues).
func GrafanaDatasources(ns string) []any {
	return []any{
		map[string]any{
			"name": "Loki", "uid": LokiUID, "type": "loki", "access": "proxy",
			"url": "http://" + svc(lokiRelease+"-gateway", ns),
			"jsonData": map[string]any{
				"derivedFields": []any{map[string]any{
					"name": "TraceID", "datasourceUid": TempoUID,
					// OTLP logs carry trace_id as structured metadata; "$$" escapes Grafana's env expansion.
					"matcherType": "label", "matcherRegex": "trace_id",
					"url": "$${__value.raw}", "urlDisplayLabel": "View trace",
				}},
			},
		},
		map[string]any{
			"name": "Tempo", "uid": TempoUID, "type": "tempo", "access": "proxy",
			"url": fmt.Sprintf("http://%s:3200", svc(tempoRelease, ns)),
			"jsonData": map[string]any{
				"tracesToLogsV2": map[string]any{
					"datasourceUid": LokiUID, "filterByTraceID": true,
					"spanStartTimeShift": "-5m", "spanEndTimeShift": "5m",
				},
				"tracesToMetrics": map[string]any{"datasourceUid": PrometheusUID},
				"serviceMap":      map[string]any{"datasourceUid": PrometheusUID},
				"nodeGraph":       map[string]any{"enabled": true},
				"lokiSearch":      map[string]any{"datasourceUid": LokiUID},
			},
		},
	}
}

// KubePrometheusStackValues are the kube-prometheus-stack values (keys checked against the pinned chart
// archive by chartstest.AssertKnownKeys).
func KubePrometheusStackValues(a *Args) map[string]any {
	rules := map[string]any{}
	for _, s := range a.SLOs {
		rules[RuleGroupName(s)] = Rules(s)
	}
	grafana := map[string]any{
		// The password lives only in the grafana-admin Secret (a Pulumi secret), never in chart values.
		"admin": map[string]any{
			"existingSecret": grafanaAdminSecret,
			"userKey":        "admin-user",
			"passwordKey":    "admin-password",
		},
		"persistence": grafanaPersistence(a),
		"resources":   resources("100m", "256Mi", "1", "512Mi"),
		"sidecar": map[string]any{
			"datasources": map[string]any{
				// The Prometheus datasource's uid, which every shipped dashboard and the Tempo links name.
				"uid":                         PrometheusUID,
				"exemplarTraceIdDestinations": map[string]any{"datasourceUid": TempoUID, "traceIdLabelName": "trace_id"},
			},
			// The sidecar loads the dashboards ConfigMaps (dashboards.go) by this label.
			"dashboards": map[string]any{"enabled": true, "label": DashboardLabel, "labelValue": DashboardLabelValue},
		},
		"additionalDataSources": GrafanaDatasources(a.Namespace),
	}
	amSpec := map[string]any{
		"replicas": a.AlertmanagerReplicas,
		"storage":  pvc(5),
		// As for Prometheus (CRD Alertmanager spec; templates/alertmanager/alertmanager.yaml).
		"persistentVolumeClaimRetentionPolicy": claimRetention(a.KeepVolumes),
		"resources":                            resources("50m", "128Mi", "500m", "256Mi"),
	}
	alertmanager := map[string]any{"alertmanagerSpec": amSpec}
	if a.AlertmanagerConfig != nil {
		// Rendered whole into the configuration Secret (templates/alertmanager/secret.yaml, tplConfig off, so the
		// receivers' {{ }} templates reach Alertmanager untouched).
		alertmanager["config"] = a.AlertmanagerConfig
	}
	if len(a.AlertmanagerSecrets) > 0 {
		// The operator mounts each at /etc/alertmanager/secrets/<name>/ (CRD Alertmanager spec.secrets).
		secrets := make([]any, len(a.AlertmanagerSecrets))
		for i, s := range a.AlertmanagerSecrets {
			secrets[i] = s
		}
		amSpec["secrets"] = secrets
	}
	return map[string]any{
		"fullnameOverride": kpsRelease,
		"grafana":          grafana,
		"prometheus": map[string]any{"prometheusSpec": map[string]any{
			"replicas":    a.PrometheusReplicas,
			"retention":   a.PrometheusRetention,
			"storageSpec": pvc(a.PrometheusStorageGiB),
			// The operator copies this onto the StatefulSet it generates (CRD Prometheus spec, charts/crds in the
			// archive); the chart writes it only when set (templates/prometheus/prometheus.yaml).
			"persistentVolumeClaimRetentionPolicy": claimRetention(a.KeepVolumes),
			"resources":                            resources("500m", "2Gi", "2", "4Gi"),
			// The OpenTelemetry collector pushes OTLP metrics through remote write.
			"enableRemoteWriteReceiver": true,
			"enableFeatures":            []any{"exemplar-storage"},
			// Select every ServiceMonitor/PodMonitor/PrometheusRule in the cluster, not only those labelled
			// with this release: the DCGM exporter, Loki, Tempo and teams' rules are installed separately.
			"ruleSelectorNilUsesHelmValues":           false,
			"serviceMonitorSelectorNilUsesHelmValues": false,
			"podMonitorSelectorNilUsesHelmValues":     false,
		}},
		"alertmanager":                 alertmanager,
		"prometheusOperator":           map[string]any{"resources": resources("100m", "128Mi", "500m", "512Mi")},
		"additionalPrometheusRulesMap": rules,
		// kube_node_labels carries only allowlisted node labels (kube-state-metrics --metric-labels-allowlist; chart
		// charts/kube-state-metrics values.yaml metricLabelsAllowlist, empty by default): the GPU dashboard groups
		// DCGM metrics by the pool label every GPU node carries.
		"kube-state-metrics": map[string]any{"metricLabelsAllowlist": []any{fmt.Sprintf("nodes=[%s]", gpupools.LabelPool)}},
		// EKS runs the scheduler, controller-manager and etcd in the AWS-managed control plane, which exposes no
		// scrape endpoint for them, and the kube-proxy add-on binds its metrics to 127.0.0.1:10249 (its
		// configuration schema cannot move it). Each switch gates the chart's Service, Endpoints, ServiceMonitor
		// and alert/recording rules for that component (templates/exporters/<x>/*, templates/prometheus/rules-1.14
		// check .Values.<x>.enabled), so their critical ...Down alerts no longer fire forever.
		"kubeScheduler":         map[string]any{"enabled": false},
		"kubeControllerManager": map[string]any{"enabled": false},
		"kubeEtcd":              map[string]any{"enabled": false},
		"kubeProxy":             map[string]any{"enabled": false},
	}
}

// MonitorLabels are put on every ServiceMonitor and PodMonitor the platform creates (mesh, DCGM exporter, Loki,
// Tempo), so this Prometheus selects them even if someone restores the chart's default selectors, which match only
// `release: <kube-prometheus-stack release>` (templates/prometheus/prometheus.yaml, *SelectorNilUsesHelmValues).
func MonitorLabels() map[string]string { return map[string]string{"release": kpsRelease} }

func monitorLabels() map[string]any {
	out := map[string]any{}
	for k, v := range MonitorLabels() {
		out[k] = v
	}
	return out
}

// PrometheusWriteURL is the remote-write receiver of the stack's Prometheus (enableRemoteWriteReceiver).
func PrometheusWriteURL(ns string) string {
	return fmt.Sprintf("http://%s:9090/api/v1/write", svc(kpsRelease+"-prometheus", ns))
}

// LokiValues run Loki as a single binary on S3 (keys checked against the pinned chart archive). Bucket names
// and the role ARN may be outputs.
func LokiValues(a *Args, chunksBucket, rulerBucket, roleArn pulumi.StringInput) map[string]any {
	return map[string]any{
		// Monolithic is the single binary (the chart renamed SingleBinary to Monolithic in 12.0).
		"deploymentMode": "Monolithic",
		"loki": map[string]any{
			"auth_enabled":  false,
			"commonConfig":  map[string]any{"replication_factor": 1},
			"limits_config": map[string]any{"retention_period": fmt.Sprintf("%dd", a.LogRetentionDays)},
			"compactor": map[string]any{
				"retention_enabled":    true,
				"delete_request_store": "s3",
			},
			"schemaConfig": map[string]any{"configs": []any{map[string]any{
				"from": "2024-04-01", "store": "tsdb", "object_store": "s3", "schema": "v13",
				"index": map[string]any{"prefix": "index_", "period": "24h"},
			}}},
			"storage": map[string]any{
				"type":        "s3",
				"bucketNames": map[string]any{"chunks": chunksBucket, "ruler": rulerBucket},
				"s3":          map[string]any{"region": a.Region},
			},
		},
		"serviceAccount": map[string]any{
			"create":      true,
			"name":        LokiServiceAccount,
			"annotations": map[string]any{irsa.AnnotationKey: roleArn},
		},
		"singleBinary": map[string]any{
			"replicas":  1,
			"resources": resources("250m", "512Mi", "2", "2Gi"),
			// templates/_workload.tpl writes spec.persistentVolumeClaimRetentionPolicy from whenDeleted and
			// whenScaled only when enableStatefulSetAutoDeletePVC is on (the chart's default is off: Kubernetes
			// then retains the claim on delete).
			"persistence": lokiPersistence(claimRetention(a.KeepVolumes)),
		},
		"read":    map[string]any{"replicas": 0},
		"write":   map[string]any{"replicas": 0},
		"backend": map[string]any{"replicas": 0},
		// Caches and the self-test canary are sized for large installs and pull unpinned test images.
		"chunksCache":  map[string]any{"enabled": false},
		"resultsCache": map[string]any{"enabled": false},
		"lokiCanary":   map[string]any{"enabled": false},
		"test":         map[string]any{"enabled": false},
		// Loki's own metrics (off by default in the chart).
		"monitoring": map[string]any{"serviceMonitor": map[string]any{"enabled": true, "labels": monitorLabels()}},
	}
}

// TempoGeneratorProcessors feed Grafana's Tempo datasource: service-graphs the service map
// (traces_service_graph_*), span-metrics the trace-to-metrics links and RED panels (traces_spanmetrics_*).
var TempoGeneratorProcessors = []any{"service-graphs", "span-metrics"}

// TempoValues run Tempo (single binary) on S3 (keys checked against the pinned chart archive).
func TempoValues(a *Args, bucket, roleArn pulumi.StringInput) map[string]any {
	return map[string]any{
		"tempo": map[string]any{
			"retention":        fmt.Sprintf("%dh", a.TraceRetentionDays*24),
			"reportingEnabled": false,
			"resources":        resources("250m", "512Mi", "2", "2Gi"),
			// The metrics generator turns spans into the service-graph and span metrics Grafana's service map and
			// trace-to-metrics links query, remote-writing them (with exemplars) to Prometheus's receiver. Its WAL
			// sits on the persistent volume (/var/tempo), not the chart's /tmp default.
			"metricsGenerator": map[string]any{
				"enabled":        true,
				"remoteWriteUrl": PrometheusWriteURL(a.Namespace),
				"storage": map[string]any{
					"path":         "/var/tempo/generator/wal",
					"remote_write": []any{map[string]any{"url": PrometheusWriteURL(a.Namespace), "send_exemplars": true}},
				},
				"traces_storage": map[string]any{"path": "/var/tempo/generator/traces"},
			},
			// Processors are enabled per tenant; without this the generator runs and produces nothing.
			"overrides": map[string]any{"defaults": map[string]any{
				"metrics_generator": map[string]any{"processors": TempoGeneratorProcessors},
			}},
			"storage": map[string]any{"trace": map[string]any{
				"backend": "s3",
				"s3": map[string]any{
					"bucket":   bucket,
					"endpoint": fmt.Sprintf("s3.%s.amazonaws.com", a.Region),
				},
			}},
		},
		"serviceAccount": map[string]any{
			"create":      true,
			"name":        TempoServiceAccount,
			"annotations": map[string]any{irsa.AnnotationKey: roleArn},
		},
		// The chart has one switch (templates/statefulset.yaml): enableStatefulSetAutoDeletePVC renders
		// whenDeleted and whenScaled both Delete; off, Kubernetes retains the claim. So outside prod scaling
		// Tempo to zero also drops its WAL volume (flushed blocks are in S3); prod leaves it off.
		"persistence": map[string]any{
			"enabled": true, "size": "10Gi",
			"enableStatefulSetAutoDeletePVC": !a.KeepVolumes,
		},
		"serviceMonitor": map[string]any{"enabled": true, "additionalLabels": monitorLabels()},
	}
}

// OtelCollectorValues run the collector as a deployment that fans OTLP out to Tempo, Prometheus and Loki
// (keys checked against the pinned chart archive).
func OtelCollectorValues(a *Args) map[string]any {
	ns := a.Namespace
	pipeline := func(exporter string) map[string]any {
		return map[string]any{
			"receivers":  []any{"otlp"},
			"processors": []any{"memory_limiter", "batch"},
			"exporters":  []any{exporter},
		}
	}
	return map[string]any{
		"mode":             "deployment",
		"fullnameOverride": otelRelease,
		"replicaCount":     2,
		"image":            map[string]any{"repository": "otel/opentelemetry-collector-contrib", "tag": OtelCollectorImageTag},
		"resources":        resources("200m", "256Mi", "1", "1Gi"),
		"config": map[string]any{
			"receivers": map[string]any{"otlp": map[string]any{"protocols": map[string]any{
				"grpc": map[string]any{"endpoint": "0.0.0.0:4317"},
				"http": map[string]any{"endpoint": "0.0.0.0:4318"},
			}}},
			"processors": map[string]any{
				"batch":          map[string]any{},
				"memory_limiter": map[string]any{"check_interval": "5s", "limit_percentage": 80, "spike_limit_percentage": 25},
			},
			"exporters": map[string]any{
				"otlp/tempo": map[string]any{
					"endpoint": svc(tempoRelease, ns) + ":4317",
					"tls":      map[string]any{"insecure": true},
				},
				"prometheusremotewrite": map[string]any{"endpoint": PrometheusWriteURL(ns)},
				"otlphttp/loki":         map[string]any{"endpoint": fmt.Sprintf("http://%s/otlp", svc(lokiRelease+"-gateway", ns))},
			},
			"service": map[string]any{"pipelines": map[string]any{
				"traces":  pipeline("otlp/tempo"),
				"metrics": pipeline("prometheusremotewrite"),
				"logs":    pipeline("otlphttp/loki"),
			}},
		},
	}
}
