package admission

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartmirror"
	"github.com/platform-team/platform/internal/charts/chartstest"
	"github.com/platform-team/platform/internal/config"
	"github.com/platform-team/platform/internal/mockgraph"
)

const (
	chartType  = chartstest.ChartV4
	policyType = "kubernetes:kyverno.io/v1:ClusterPolicy"
	excType    = "kubernetes:kyverno.io/v2:PolicyException"
)

func baseArgs() Args {
	return Args{
		Registries:         []string{"ghcr.io", "111111111111.dkr.ecr.us-west-2.amazonaws.com"},
		GPUNamespaces:      []string{"inference"},
		PlatformNamespaces: []string{"istio-system", "vault"},
	}
}

func run(t *testing.T, args Args) (mockgraph.Graph, error) {
	t.Helper()
	g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		kp, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		args.KubeProvider = kp
		_, err = NewAdmission(ctx, "dev-admission", &args)
		return err
	}, mockgraph.Options{})
	return g, err
}

func plainInputs(t *testing.T, inputs resource.PropertyMap, key string) any {
	t.Helper()
	b, err := json.Marshal(inputs[resource.PropertyKey(key)].Mappable())
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func TestEngineFromCatalogueInRestrictedNamespace(t *testing.T) {
	g, err := run(t, baseArgs())
	require.NoError(t, err)
	c := g.Named(t, chartType, "dev-admission-kyverno")
	chartstest.AssertCatalogue(t, c.Type, c.Inputs, charts.Kyverno)
	v := chartstest.Values(t, c.Inputs)
	chartstest.AssertKnownKeys(t, charts.Kyverno, v)
	require.Equal(t, DefaultNamespace, c.Inputs["namespace"].StringValue())
	require.NotEmpty(t, c.Provider)
	ns := g.Only(t, "kubernetes:core/v1:Namespace")
	labels := ns.Inputs["metadata"].ObjectValue()["labels"].ObjectValue()
	require.Equal(t, "restricted", labels["pod-security.kubernetes.io/enforce"].StringValue())
	require.Contains(t, c.DependsOn, ns.URN, "the chart waits for its namespace")
}

// HA in prod: more replicas, and a PodDisruptionBudget only above one replica (the chart renders one when
// enabled or replicas > 1, so replicas 1 must also say enabled: false).
func TestReplicasAndBudgets(t *testing.T) {
	for _, tc := range []struct{ admission, controllers int }{{1, 1}, {3, 2}} {
		a := baseArgs()
		a.AdmissionReplicas, a.ControllerReplicas = tc.admission, tc.controllers
		g, err := run(t, a)
		require.NoError(t, err)
		v := chartstest.Values(t, g.Named(t, chartType, "dev-admission-kyverno").Inputs)
		chartstest.AssertKnownKeys(t, charts.Kyverno, v)
		want := map[string]int{"admissionController": tc.admission, "backgroundController": tc.controllers,
			"cleanupController": tc.controllers, "reportsController": tc.controllers}
		for ctrl, n := range want {
			require.EqualValues(t, n, chartstest.Lookup(v, ctrl, "replicas"), ctrl)
			require.Equal(t, n > 1, chartstest.Lookup(v, ctrl, "podDisruptionBudget", "enabled"), ctrl)
		}
	}
}

// The webhooks' namespaceSelector leaves out Kubernetes', the engine's and the platform's namespaces.
func TestWebhooksNeverSeeThePlatformNamespaces(t *testing.T) {
	g, err := run(t, baseArgs())
	require.NoError(t, err)
	v := chartstest.Values(t, g.Named(t, chartType, "dev-admission-kyverno").Inputs)
	exprs := chartstest.Lookup(v, "config", "webhooks", "namespaceSelector", "matchExpressions").([]any)
	require.Len(t, exprs, 1)
	e := exprs[0].(map[string]any)
	require.Equal(t, "kubernetes.io/metadata.name", e["key"])
	require.Equal(t, "NotIn", e["operator"])
	require.Equal(t, []any{"istio-system", "kube-node-lease", "kube-public", "kube-system", "kyverno", "vault"}, e["values"])
	require.Equal(t, true, chartstest.Lookup(v, "config", "excludeKyvernoNamespace"))
	require.Equal(t, true, chartstest.Lookup(v, "features", "policyExceptions", "enabled"))
	require.Equal(t, DefaultNamespace, chartstest.Lookup(v, "features", "policyExceptions", "namespace"))
}

// The chart turns config.webhooks into the webhooks' namespaceSelector only through its kyverno.config.webhooks
// helper, which keeps the given matchExpressions and appends the engine's namespace. Read from the pinned archive,
// so a chart that stops doing so fails here rather than silently leaving the platform's namespaces in scope.
func TestChartAppliesTheWebhookNamespaceSelector(t *testing.T) {
	dir, err := chartmirror.Dir()
	require.NoError(t, err)
	c, err := charts.Lookup(charts.Kyverno)
	require.NoError(t, err)
	files, err := chartmirror.Files(dir, c.Chart, c.Version)
	require.NoError(t, err)
	helpers := string(files["kyverno/templates/config/_helpers.tpl"])
	cm := string(files["kyverno/templates/config/configmap.yaml"])
	require.Contains(t, cm, `{{- if and .Values.config.webhooks .Values.config.excludeKyvernoNamespace }}`)
	require.Contains(t, cm, `webhooks: {{ include "kyverno.config.webhooks" . | quote }}`)
	require.Contains(t, helpers, `{{- $matchExpressions := default (list) $namespaceSelector.matchExpressions }}`)
	require.Contains(t, helpers, `(append $matchExpressions $excludeDefault)`)
}

// The component creates exactly the objects Policies and PolicyExceptions return (what the CLI tests evaluate),
// after the chart that defines their kinds.
func TestPoliciesAndExceptionsAreTheTestedBytesAfterTheChart(t *testing.T) {
	a := baseArgs()
	a.Enforce = true
	a.Exceptions = []Exception{{ID: "exc-1", Rule: RuleDisallowHostPath, Namespaces: []string{"node-agents"}, Reason: "PLAT-7"}}
	g, err := run(t, a)
	require.NoError(t, err)
	chart := g.Named(t, chartType, "dev-admission-kyverno")
	d := a.withDefaults()
	rules := d.Rules()

	require.Len(t, g.OfType(policyType), len(RuleIDs))
	for i, want := range Policies(rules) {
		p := g.Named(t, policyType, "dev-admission-policy-"+RuleIDs[i])
		require.Equal(t, RuleIDs[i], p.Inputs["metadata"].ObjectValue()["name"].StringValue())
		require.Equal(t, roundTrip(t, want["spec"]), plainInputs(t, p.Inputs, "spec"), RuleIDs[i])
		require.Contains(t, p.DependsOn, chart.URN, "%s must wait for the chart's CRDs", p.Name)
	}
	excs := g.OfType(excType)
	require.Len(t, excs, 1)
	e := excs[0]
	md := e.Inputs["metadata"].ObjectValue()
	require.Equal(t, "exc-1", md["name"].StringValue())
	require.Equal(t, DefaultNamespace, md["namespace"].StringValue())
	require.Equal(t, "PLAT-7", md["annotations"].ObjectValue()[exceptionReasonAnnotation].StringValue())
	require.Equal(t, roundTrip(t, PolicyExceptions(rules, DefaultNamespace)[0]["spec"]), plainInputs(t, e.Inputs, "spec"))
	require.Contains(t, e.DependsOn, chart.URN)
}

func TestValidation(t *testing.T) {
	a := baseArgs()
	a.Registries = nil
	a.AdmissionReplicas = -1
	a.Exceptions = []Exception{{ID: "x", Rule: "nope", Namespaces: []string{"a"}, Reason: "r"}, {ID: "y", Rule: RuleDisallowHostPath}}
	_, err := run(t, a)
	require.Error(t, err)
	for _, want := range []string{"admissionReplicas must be >= 1", "registries: at least one registry", `exception "x": rule "nope" is not one of`, `exception "y" needs namespaces and a reason`} {
		require.ErrorContains(t, err, want)
	}
	b := baseArgs()
	require.ErrorContains(t, ValidateArgs(&b), "kubeProvider is required")
}

// config validates exceptions against config.AdmissionRules; it must be the same list.
func TestRuleIDsMatchConfig(t *testing.T) {
	require.Equal(t, RuleIDs, config.AdmissionRules)
	for _, id := range RuleIDs {
		require.NotEmpty(t, ruleDescriptions[id], id)
	}
}

// The kyverno-api subchart writes its labels and annotations through toYaml, so empty maps render as `{}` on its
// 11 CRDs; the API server stores no empty map, and every preview would then plan an update of those CRDs (the e2e
// test's second preview caught it). The values give both a non-empty map.
func TestKyvernoAPICRDsRenderNoEmptyMetadataMaps(t *testing.T) {
	dir, err := chartmirror.Dir()
	require.NoError(t, err)
	c, err := charts.Lookup(charts.Kyverno)
	require.NoError(t, err)
	files, err := chartmirror.Files(dir, c.Chart, c.Version)
	require.NoError(t, err)
	helpers := string(files["kyverno/charts/kyverno-api/templates/_helpers.tpl"])
	require.Contains(t, helpers, `tpl (toYaml .Values.labels) .`)
	require.Contains(t, helpers, `tpl (toYaml .Values.annotations) .`)

	a := baseArgs()
	api, ok := Values(&a)["kyverno-api"].(map[string]any)
	require.True(t, ok, "values for the kyverno-api subchart")
	for _, k := range []string{"labels", "annotations"} {
		m, _ := api[k].(map[string]any)
		require.NotEmpty(t, m, "kyverno-api.%s must not be empty", k)
	}
}
