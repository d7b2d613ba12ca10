package observability

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The dashboards the platform ships, versioned here as Grafana dashboard JSON: SLOs (error budget and burn rate
// from the SLO recording rules), GPU pools (DCGM utilisation and memory by the platform.io/gpu-pool node label)
// and cluster capacity (kube-state-metrics requests against allocatable). Every panel queries the Prometheus
// datasource by its fixed uid (PrometheusUID).
//
//go:embed dashboards/*.json
var dashboardFiles embed.FS

// Grafana's dashboard sidecar loads every ConfigMap carrying this label with this value (kube-prometheus-stack
// 88.5.3 values.yaml grafana.sidecar.dashboards.label/labelValue; set explicitly in KubePrometheusStackValues so a
// chart default change cannot orphan the dashboards).
const (
	DashboardLabel      = "grafana_dashboard"
	DashboardLabelValue = "1"
)

// Dashboards returns the shipped dashboards keyed by file name without .json (the ConfigMap key and child name).
func Dashboards() (map[string][]byte, error) {
	entries, err := dashboardFiles.ReadDir("dashboards")
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := dashboardFiles.ReadFile(path.Join("dashboards", e.Name()))
		if err != nil {
			return nil, err
		}
		var d struct {
			UID   string `json:"uid"`
			Title string `json:"title"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", e.Name(), err)
		}
		if d.UID == "" || d.Title == "" {
			return nil, fmt.Errorf("dashboard %s: uid and title are required (a provisioned dashboard without a uid gets a new one on every load)", e.Name())
		}
		out[strings.TrimSuffix(e.Name(), ".json")] = b
	}
	return out, nil
}

// newDashboards creates one labelled ConfigMap per dashboard in the observability namespace, in sorted order.
func newDashboards(ctx *pulumi.Context, child func(string) string, ns string, opts ...pulumi.ResourceOption) error {
	ds, err := Dashboards()
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(ds))
	for k := range ds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, err := corev1.NewConfigMap(ctx, child("dashboard-"+k), &corev1.ConfigMapArgs{
			Metadata: &metav1.ObjectMetaArgs{
				Name:      pulumi.String("dashboard-" + k),
				Namespace: pulumi.String(ns),
				Labels:    pulumi.StringMap{DashboardLabel: pulumi.String(DashboardLabelValue)},
			},
			Data: pulumi.StringMap{k + ".json": pulumi.String(string(ds[k]))},
		}, opts...); err != nil {
			return fmt.Errorf("dashboard %s: %w", k, err)
		}
	}
	return nil
}
