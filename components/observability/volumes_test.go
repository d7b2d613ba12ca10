package observability

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartstest"
)

// Outside prod every volume the observability workloads claim goes with the workload, so a destroy leaves no EBS
// volume behind; prod (KeepVolumes) keeps them. Scaling down deletes none, except Tempo's, whose chart has one
// switch for both.
func TestObservabilityVolumesGoWithTheWorkloadOnlyOutsideProd(t *testing.T) {
	for _, keep := range []bool{false, true} {
		a := devArgs()
		a.GrafanaPersistence, a.KeepVolumes = true, keep
		g, _, err := run(t, a, false)
		require.NoError(t, err)
		kps := chartstest.Values(t, g.ByName(t, "dev-observability-kps").Inputs)
		loki := chartstest.Values(t, g.ByName(t, "dev-observability-loki").Inputs)
		tempo := chartstest.Values(t, g.ByName(t, "dev-observability-tempo").Inputs)
		// The values-key check for this variant (the grafana annotations exist only with keep).
		chartstest.AssertKnownKeys(t, charts.KubePrometheusStack, kps)
		chartstest.AssertKnownKeys(t, charts.Loki, loki)
		chartstest.AssertKnownKeys(t, charts.Tempo, tempo)

		want := map[string]any{"whenDeleted": "Delete", "whenScaled": "Retain"}
		if keep {
			want["whenDeleted"] = "Retain"
		}
		require.Equal(t, want, chartstest.Lookup(kps, "prometheus", "prometheusSpec", "persistentVolumeClaimRetentionPolicy"), "keep=%v", keep)
		require.Equal(t, want, chartstest.Lookup(kps, "alertmanager", "alertmanagerSpec", "persistentVolumeClaimRetentionPolicy"), "keep=%v", keep)

		require.Equal(t, true, chartstest.Lookup(loki, "singleBinary", "persistence", "enableStatefulSetAutoDeletePVC"))
		require.Equal(t, want["whenDeleted"], chartstest.Lookup(loki, "singleBinary", "persistence", "whenDeleted"), "keep=%v", keep)
		require.Equal(t, "Retain", chartstest.Lookup(loki, "singleBinary", "persistence", "whenScaled"))

		require.Equal(t, !keep, chartstest.Lookup(tempo, "persistence", "enableStatefulSetAutoDeletePVC"), "keep=%v", keep)

		// Grafana's claim is a release object: the uninstall deletes it unless Helm is told to keep it.
		var annotation any
		if keep {
			annotation = "keep"
		}
		require.Equal(t, annotation, chartstest.Lookup(kps, "grafana", "persistence", "annotations", HelmKeepAnnotation), "keep=%v", keep)
	}
	// Without persistence there is no claim to keep.
	a := devArgs()
	a.KeepVolumes = true
	g, _, err := run(t, a, false)
	require.NoError(t, err)
	kps := chartstest.Values(t, g.ByName(t, "dev-observability-kps").Inputs)
	require.Nil(t, chartstest.Lookup(kps, "grafana", "persistence", "annotations"))
}

// The pinned archives carry the values to the objects that own the claims: the Prometheus and Alertmanager custom
// resources (whose CRDs declare the field the operator puts on the StatefulSet it generates), Loki's and Tempo's
// StatefulSets, and Grafana's standalone claim.
func TestVolumeRetentionKeysReachTheRenderedObjects(t *testing.T) {
	kps := chartFiles(t, charts.KubePrometheusStack)
	for crd, tmpl := range map[string]string{
		"kube-prometheus-stack/charts/crds/crds/crd-prometheuses.yaml":  "kube-prometheus-stack/templates/prometheus/prometheus.yaml",
		"kube-prometheus-stack/charts/crds/crds/crd-alertmanagers.yaml": "kube-prometheus-stack/templates/alertmanager/alertmanager.yaml",
	} {
		var doc struct {
			Spec struct {
				Versions []struct {
					Name   string
					Schema struct {
						OpenAPIV3Schema struct {
							Properties struct {
								Spec struct {
									Properties map[string]struct {
										Properties map[string]any
									}
								}
							}
						} `yaml:"openAPIV3Schema"`
					}
				}
			}
		}
		require.NoError(t, yaml.Unmarshal(kps[crd], &doc), crd)
		require.NotEmpty(t, doc.Spec.Versions, crd)
		for _, v := range doc.Spec.Versions {
			p := v.Schema.OpenAPIV3Schema.Properties.Spec.Properties["persistentVolumeClaimRetentionPolicy"].Properties
			require.Contains(t, p, "whenDeleted", "%s %s", crd, v.Name)
			require.Contains(t, p, "whenScaled", "%s %s", crd, v.Name)
		}
		text := string(kps[tmpl])
		spec := "prometheusSpec"
		if strings.Contains(tmpl, "alertmanager") {
			spec = "alertmanagerSpec"
		}
		i := strings.Index(text, "with .Values."+strings.TrimSuffix(spec, "Spec")+"."+spec+".persistentVolumeClaimRetentionPolicy")
		require.GreaterOrEqual(t, i, 0, "%s no longer reads %s.persistentVolumeClaimRetentionPolicy", tmpl, spec)
		require.Contains(t, text[i:i+200], "persistentVolumeClaimRetentionPolicy:", tmpl)
	}
	grafanaPVC := string(kps["kube-prometheus-stack/charts/grafana/templates/pvc.yaml"])
	require.Contains(t, grafanaPVC, "kind: PersistentVolumeClaim")
	require.Contains(t, grafanaPVC, "with .Values.persistence.annotations", "the claim's annotations come from persistence.annotations")

	loki := chartFiles(t, charts.Loki)
	require.Contains(t, string(loki["loki/templates/monolithic/workload.yaml"]), "$component := .Values.singleBinary")
	workload := string(loki["loki/templates/_workload.tpl"])
	i := strings.Index(workload, "$component.persistence.enableStatefulSetAutoDeletePVC }}")
	require.GreaterOrEqual(t, i, 0, "loki's StatefulSet no longer gates the retention policy on enableStatefulSetAutoDeletePVC")
	block := workload[i : i+300]
	require.Contains(t, block, "whenDeleted: {{ $component.persistence.whenDeleted }}")
	require.Contains(t, block, "whenScaled: {{ $component.persistence.whenScaled }}")

	tempo := string(chartFiles(t, charts.Tempo)["tempo/templates/statefulset.yaml"])
	i = strings.Index(tempo, ".Values.persistence.enableStatefulSetAutoDeletePVC")
	require.GreaterOrEqual(t, i, 0)
	require.Contains(t, tempo[i:i+200], "whenDeleted: Delete")
}
