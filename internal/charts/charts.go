// Package charts is the one catalogue of Helm charts the platform installs: for each chart, the official
// repository URL, the chart name and the exact version. Nothing else in the program names a chart version;
// an upgrade is a one-line change here. Tests prove each pin against the offline chart mirror
// (../shared/charts, see package chartmirror): the version was published, supports the cluster's Kubernetes
// versions, is at most one release line behind the newest, and knows every values key the program sets.
//
// It does not install anything and imports nothing from Pulumi, so every component test can link it cheaply.
package charts

import (
	"fmt"
	"sort"
)

// Chart identifies one chart release to install.
type Chart struct {
	// Name is the catalogue key (stable; components look charts up by it).
	Name string
	// Repo is the chart repository URL (official upstream repositories only).
	Repo string
	// Chart is the chart's name inside Repo.
	Chart string
	// Version is the exact chart version (never a range).
	Version string
}

// Catalogue keys. Components look charts up by these names.
const (
	IstioBase            = "istio-base"
	Istiod               = "istiod"
	IstioGateway         = "istio-gateway"
	IstioCNI             = "istio-cni"
	NvidiaDevicePlugin   = "nvidia-device-plugin"
	DCGMExporter         = "dcgm-exporter"
	ClusterAutoscaler    = "cluster-autoscaler"
	KEDA                 = "keda"
	KubePrometheusStack  = "kube-prometheus-stack"
	Loki                 = "loki"
	Tempo                = "tempo"
	OpenTelemetryCollect = "opentelemetry-collector"
	Vault                = "vault"
	ExternalSecrets      = "external-secrets"
	MetricsServer        = "metrics-server"
	Kyverno              = "kyverno"
	TrivyOperator        = "trivy-operator"
)

// istioVersion is shared by the Istio charts: base, istiod, gateway and cni must move together.
const istioVersion = "1.30.3"

// istiodRevisionVersions are the istiod versions a mesh revision may run (mesh.revisions[].version). An
// upgrade adds the new version here and moves istioVersion to it, keeps the old one while workloads move to
// the new revision (docs/services.md), then drops it; the catalogue tests prove each against the mirror.
var istiodRevisionVersions = []string{istioVersion}

var catalogue = map[string]Chart{
	IstioBase:            {Repo: "https://istio-release.storage.googleapis.com/charts", Chart: "base", Version: istioVersion},
	Istiod:               {Repo: "https://istio-release.storage.googleapis.com/charts", Chart: "istiod", Version: istioVersion},
	IstioGateway:         {Repo: "https://istio-release.storage.googleapis.com/charts", Chart: "gateway", Version: istioVersion},
	IstioCNI:             {Repo: "https://istio-release.storage.googleapis.com/charts", Chart: "cni", Version: istioVersion},
	NvidiaDevicePlugin:   {Repo: "https://nvidia.github.io/k8s-device-plugin", Chart: "nvidia-device-plugin", Version: "0.20.0"},
	DCGMExporter:         {Repo: "https://nvidia.github.io/dcgm-exporter/helm-charts", Chart: "dcgm-exporter", Version: "4.8.2"},
	KubePrometheusStack:  {Repo: "https://prometheus-community.github.io/helm-charts", Chart: "kube-prometheus-stack", Version: "88.5.3"},
	Loki:                 {Repo: "https://grafana-community.github.io/helm-charts", Chart: "loki", Version: "18.11.0"},
	Tempo:                {Repo: "https://grafana-community.github.io/helm-charts", Chart: "tempo", Version: "2.2.4"},
	OpenTelemetryCollect: {Repo: "https://open-telemetry.github.io/opentelemetry-helm-charts", Chart: "opentelemetry-collector", Version: "0.170.0"},
	Vault:                {Repo: "https://helm.releases.hashicorp.com", Chart: "vault", Version: "0.34.1"},
	ExternalSecrets:      {Repo: "https://charts.external-secrets.io", Chart: "external-secrets", Version: "2.9.0"},
	ClusterAutoscaler:    {Repo: "https://kubernetes.github.io/autoscaler", Chart: "cluster-autoscaler", Version: "9.59.0"},
	KEDA:                 {Repo: "https://kedacore.github.io/charts", Chart: "keda", Version: "2.20.2"},
	MetricsServer:        {Repo: "https://kubernetes-sigs.github.io/metrics-server", Chart: "metrics-server", Version: "3.13.1"},
	Kyverno:              {Repo: "https://kyverno.github.io/kyverno/", Chart: "kyverno", Version: "3.9.0"},
	TrivyOperator:        {Repo: "https://aquasecurity.github.io/helm-charts", Chart: "trivy-operator", Version: "0.32.1"},
}

// Lookup returns the catalogue entry for name, refusing one Guard refuses (an unpinned version, a repository
// that is not absolute https, a chart given as a URL): every chart input the program builds comes through here,
// so a bad entry stops the program before anything is registered, not only `go test ./internal/charts`.
func Lookup(name string) (Chart, error) {
	c, ok := catalogue[name]
	if !ok {
		return Chart{}, fmt.Errorf("chart %q is not in the catalogue (known: %v)", name, Names())
	}
	c.Name = name
	if err := Guard(c); err != nil {
		return Chart{}, err
	}
	return c, nil
}

// IstiodVersions lists the istiod versions a mesh revision may run, oldest first.
func IstiodVersions() []string { return append([]string(nil), istiodRevisionVersions...) }

// IstiodAt is the istiod catalogue entry at version, one of IstiodVersions.
func IstiodAt(version string) (Chart, error) {
	c, err := Lookup(Istiod)
	if err != nil {
		return Chart{}, err
	}
	for _, v := range istiodRevisionVersions {
		if v == version {
			c.Version = v
			return c, Guard(c)
		}
	}
	return Chart{}, fmt.Errorf("istiod %q is not a version a mesh revision may run (allowed: %v)", version, istiodRevisionVersions)
}

// Names lists the catalogue keys in sorted order.
func Names() []string {
	names := make([]string, 0, len(catalogue))
	for n := range catalogue {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// All returns every catalogue entry, sorted by name.
func All() []Chart {
	out := make([]Chart, 0, len(catalogue))
	for _, n := range Names() {
		// The raw entries, not Lookup's: the catalogue tests must see (and name) an entry Guard refuses.
		c := catalogue[n]
		c.Name = n
		out = append(out, c)
	}
	return out
}
