package observability

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartstest"
	"github.com/platform-team/platform/internal/clusterref"
	"github.com/platform-team/platform/internal/mockgraph"
)

const (
	issuer      = "oidc.eks.eu-west-1.amazonaws.com/id/ABC"
	providerArn = "arn:aws:iam::111122223333:oidc-provider/" + issuer
)

func devArgs() Args {
	return Args{
		Ref: clusterref.Ref{Region: "eu-west-1"}, PrometheusReplicas: 1, PrometheusRetention: "7d", PrometheusStorageGiB: 20,
		AlertmanagerReplicas: 1, LogRetentionDays: 7, TraceRetentionDays: 3,
		SLOs: []SLO{{Service: "checkout", Namespace: "shop", Objective: 99.9, LatencyThresholdMs: 250}},
	}
}

func unknownString() pulumi.StringOutput {
	return pulumi.UnsafeUnknownOutput(nil).ApplyT(func(any) string { return "" }).(pulumi.StringOutput)
}

func run(t *testing.T, args Args, preview bool) (mockgraph.Graph, *Observability, error) {
	t.Helper()
	var comp *Observability
	g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		ap, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-west-1")})
		if err != nil {
			return err
		}
		kp, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		args.AWSProvider, args.KubeProvider = ap, kp
		if preview {
			args.ClusterName, args.OidcProviderArn, args.OidcIssuer = unknownString(), unknownString(), unknownString()
		} else {
			args.ClusterName, args.OidcProviderArn, args.OidcIssuer = pulumi.String("platform-dev"), pulumi.String(providerArn), pulumi.String(issuer)
		}
		comp, err = NewObservability(ctx, "dev-observability", &args)
		if err == nil {
			ctx.Export("grafanaAdminPassword", comp.GrafanaAdminPassword)
		}
		return err
	}, mockgraph.Options{Preview: preview})
	return g, comp, err
}

func TestChartsComeFromCatalogueWithVerifiedKeys(t *testing.T) {
	g, _, err := run(t, devArgs(), false)
	require.NoError(t, err)
	for name, chart := range map[string]string{
		"dev-observability-kps": charts.KubePrometheusStack, "dev-observability-loki": charts.Loki,
		"dev-observability-tempo": charts.Tempo, "dev-observability-otel-collector": charts.OpenTelemetryCollect,
	} {
		r := g.ByName(t, name)
		chartstest.AssertCatalogue(t, r.Type, r.Inputs, chart)
		chartstest.AssertKnownKeys(t, chart, chartstest.Values(t, r.Inputs))
		require.NotEmpty(t, r.Provider, name)
	}
	// The deliberate helm resource choice: the stateful, hook-heavy stack is a Helm release.
	require.Equal(t, chartstest.ReleaseV3, g.ByName(t, "dev-observability-kps").Type)
	kps := g.ByName(t, "dev-observability-kps").Inputs
	require.True(t, kps["atomic"].BoolValue())
}

func TestEnvironmentSizingReachesValues(t *testing.T) {
	a := devArgs()
	a.PrometheusReplicas, a.PrometheusRetention, a.AlertmanagerReplicas, a.GrafanaPersistence = 2, "30d", 3, true
	g, _, err := run(t, a, false)
	require.NoError(t, err)
	v := chartstest.Values(t, g.ByName(t, "dev-observability-kps").Inputs)
	require.EqualValues(t, 2, chartstest.Lookup(v, "prometheus", "prometheusSpec", "replicas"))
	require.Equal(t, "30d", chartstest.Lookup(v, "prometheus", "prometheusSpec", "retention"))
	require.EqualValues(t, 3, chartstest.Lookup(v, "alertmanager", "alertmanagerSpec", "replicas"))
	require.Equal(t, true, chartstest.Lookup(v, "grafana", "persistence", "enabled"))
	require.Equal(t, "20Gi", chartstest.Lookup(v, "prometheus", "prometheusSpec", "storageSpec", "volumeClaimTemplate", "spec", "resources", "requests", "storage"))
	loki := chartstest.Values(t, g.ByName(t, "dev-observability-loki").Inputs)
	require.Equal(t, "7d", chartstest.Lookup(loki, "loki", "limits_config", "retention_period"))
	tempo := chartstest.Values(t, g.ByName(t, "dev-observability-tempo").Inputs)
	require.Equal(t, "72h", chartstest.Lookup(tempo, "tempo", "retention"))
}

func TestGrafanaPasswordIsSecretEverywhere(t *testing.T) {
	g, comp, err := run(t, devArgs(), false)
	require.NoError(t, err)
	require.NotNil(t, comp)
	// Generated, not taken from values.
	g.Only(t, "random:index/randomPassword:RandomPassword")
	sec := g.ByName(t, "dev-observability-grafana-admin")
	require.True(t, secretAt(sec.Inputs["stringData"], "admin-password"), "password must be a secret input")
	// The chart reads the Secret; the password itself is not in the values.
	v := chartstest.Values(t, g.ByName(t, "dev-observability-kps").Inputs)
	require.Equal(t, "grafana-admin", chartstest.Lookup(v, "grafana", "admin", "existingSecret"))
	require.Nil(t, chartstest.Lookup(v, "grafana", "adminPassword"))
	res, err := internals.UnsafeAwaitOutput(context.Background(), comp.GrafanaAdminPassword)
	require.NoError(t, err)
	require.True(t, res.Secret, "the component output must be a secret")
}

func TestGivenPasswordStaysSecret(t *testing.T) {
	a := devArgs()
	a.GrafanaAdminPassword = pulumi.ToSecret(pulumi.String("correct-horse")).(pulumi.StringOutput)
	g, _, err := run(t, a, false)
	require.NoError(t, err)
	require.Empty(t, g.OfType("random:index/randomPassword:RandomPassword"))
	sec := g.ByName(t, "dev-observability-grafana-admin")
	require.True(t, secretAt(sec.Inputs["stringData"], "admin-password"))
}

func TestBucketsEncryptedPrivateTLSOnlyAndBounded(t *testing.T) {
	g, _, err := run(t, devArgs(), false)
	require.NoError(t, err)
	buckets := g.OfType("aws:s3/bucketV2:BucketV2")
	require.Len(t, buckets, 3)
	for _, b := range buckets {
		name := b.Name
		pab := g.ByName(t, name+"-public-access")
		for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
			require.True(t, pab.Inputs[resource.PropertyKey(k)].BoolValue(), "%s %s", name, k)
		}
		enc := g.ByName(t, name+"-encryption").Inputs["rules"].ArrayValue()[0].ObjectValue()
		def := enc["applyServerSideEncryptionByDefault"].ObjectValue()
		require.Equal(t, "aws:kms", def["sseAlgorithm"].StringValue(), name)
		require.NotEmpty(t, def["kmsMasterKeyId"].StringValue(), name)
		pol := g.ByName(t, name+"-tls-only").Inputs["policy"].StringValue()
		require.Contains(t, pol, `"aws:SecureTransport":"false"`)
		require.Contains(t, pol, `"Effect":"Deny"`)
		lc := g.ByName(t, name+"-lifecycle").Inputs["rules"].ArrayValue()
		require.NotEmpty(t, lc)
		require.NotEmpty(t, b.Provider)
	}
	// Data buckets expire one day past retention; the ruler bucket (configuration) is versioned instead.
	expiry := func(name string) float64 {
		for _, r := range g.ByName(t, name+"-lifecycle").Inputs["rules"].ArrayValue() {
			if e, ok := r.ObjectValue()["expiration"]; ok {
				return e.ObjectValue()["days"].NumberValue()
			}
		}
		return 0
	}
	require.EqualValues(t, 8, expiry("dev-observability-logs"))
	require.EqualValues(t, 4, expiry("dev-observability-traces"))
	require.EqualValues(t, 0, expiry("dev-observability-logs-ruler"))
	v := g.Only(t, "aws:s3/bucketVersioningV2:BucketVersioningV2")
	require.Equal(t, "dev-observability-logs-ruler-versioning", v.Name)
	require.Equal(t, "Enabled", v.Inputs["versioningConfiguration"].ObjectValue()["status"].StringValue())

	key := g.Only(t, "aws:kms/key:Key")
	require.True(t, key.Inputs["enableKeyRotation"].BoolValue())
	require.False(t, key.Protect, "dev data is not protected")
}

func TestProdDataIsProtected(t *testing.T) {
	a := devArgs()
	a.ProtectData = true
	g, _, err := run(t, a, false)
	require.NoError(t, err)
	require.True(t, g.Only(t, "aws:kms/key:Key").Protect)
	for _, b := range g.OfType("aws:s3/bucketV2:BucketV2") {
		require.True(t, b.Protect, b.Name)
		require.False(t, b.Inputs["forceDestroy"].BoolValue(), "prod's %s keeps its data on destroy", b.Name)
	}
}

// Outside prod a destroy finishes even with data in the buckets, the versioned ruler bucket included.
func TestDevBucketsCanBeDestroyedWithTheirData(t *testing.T) {
	g, _, err := run(t, devArgs(), false)
	require.NoError(t, err)
	buckets := g.OfType("aws:s3/bucketV2:BucketV2")
	require.Len(t, buckets, 3)
	for _, b := range buckets {
		require.True(t, b.Inputs["forceDestroy"].BoolValue(), "%s must be force-destroyed outside prod", b.Name)
	}
}

func TestIRSARolesTrustOnlyTheirServiceAccount(t *testing.T) {
	g, _, err := run(t, devArgs(), false)
	require.NoError(t, err)
	for name, sa := range map[string]string{"dev-observability-loki-irsa": "loki", "dev-observability-tempo-irsa": "tempo"} {
		var doc struct {
			Statement []struct {
				Principal map[string]string
				Condition map[string]map[string]string
			}
		}
		require.NoError(t, json.Unmarshal([]byte(g.ByName(t, name).Inputs["assumeRolePolicy"].StringValue()), &doc))
		require.Len(t, doc.Statement, 1)
		require.Equal(t, providerArn, doc.Statement[0].Principal["Federated"])
		require.Equal(t, "system:serviceaccount:observability:"+sa, doc.Statement[0].Condition["StringEquals"][issuer+":sub"])
		require.Equal(t, "sts.amazonaws.com", doc.Statement[0].Condition["StringEquals"][issuer+":aud"])

		pol := g.ByName(t, name+"-policy").Inputs["policy"].StringValue()
		require.NotContains(t, pol, `"Resource":"*"`, "storage access is scoped to exact buckets and key")
	}
	// The chart's service account names match what the roles trust.
	loki := chartstest.Values(t, g.ByName(t, "dev-observability-loki").Inputs)
	require.Equal(t, LokiServiceAccount, chartstest.Lookup(loki, "serviceAccount", "name"))
	tempo := chartstest.Values(t, g.ByName(t, "dev-observability-tempo").Inputs)
	require.Equal(t, TempoServiceAccount, chartstest.Lookup(tempo, "serviceAccount", "name"))
}

func TestCollectorFansOutToTempoPrometheusLoki(t *testing.T) {
	g, _, err := run(t, devArgs(), false)
	require.NoError(t, err)
	v := chartstest.Values(t, g.ByName(t, "dev-observability-otel-collector").Inputs)
	require.Equal(t, "deployment", v["mode"])
	pipes := chartstest.Lookup(v, "config", "service", "pipelines").(map[string]any)
	require.Equal(t, []any{"otlp/tempo"}, pipes["traces"].(map[string]any)["exporters"])
	require.Equal(t, []any{"prometheusremotewrite"}, pipes["metrics"].(map[string]any)["exporters"])
	require.Equal(t, []any{"otlphttp/loki"}, pipes["logs"].(map[string]any)["exporters"])
	exp := chartstest.Lookup(v, "config", "exporters").(map[string]any)
	require.Equal(t, "tempo.observability.svc.cluster.local:4317", exp["otlp/tempo"].(map[string]any)["endpoint"])
	require.Equal(t, "http://kps-prometheus.observability.svc.cluster.local:9090/api/v1/write", exp["prometheusremotewrite"].(map[string]any)["endpoint"])
	require.Equal(t, "http://loki-gateway.observability.svc.cluster.local/otlp", exp["otlphttp/loki"].(map[string]any)["endpoint"])
	kps := chartstest.Values(t, g.ByName(t, "dev-observability-kps").Inputs)
	require.Equal(t, true, chartstest.Lookup(kps, "prometheus", "prometheusSpec", "enableRemoteWriteReceiver"))
}

func TestGrafanaCorrelatesTracesLogsMetrics(t *testing.T) {
	g, _, err := run(t, devArgs(), false)
	require.NoError(t, err)
	v := chartstest.Values(t, g.ByName(t, "dev-observability-kps").Inputs)
	ds := map[string]map[string]any{}
	for _, d := range chartstest.Lookup(v, "grafana", "additionalDataSources").([]any) {
		m := d.(map[string]any)
		ds[m["uid"].(string)] = m
	}
	require.Equal(t, LokiUID, chartstest.Lookup(ds[TempoUID], "jsonData", "tracesToLogsV2", "datasourceUid"))
	require.Equal(t, PrometheusUID, chartstest.Lookup(ds[TempoUID], "jsonData", "tracesToMetrics", "datasourceUid"))
	derived := chartstest.Lookup(ds[LokiUID], "jsonData", "derivedFields").([]any)[0].(map[string]any)
	require.Equal(t, TempoUID, derived["datasourceUid"])
	require.Equal(t, TempoUID, chartstest.Lookup(v, "grafana", "sidecar", "datasources", "exemplarTraceIdDestinations", "datasourceUid"))
}

func TestSLOAlertsReachPrometheus(t *testing.T) {
	g, _, err := run(t, devArgs(), false)
	require.NoError(t, err)
	v := chartstest.Values(t, g.ByName(t, "dev-observability-kps").Inputs)
	group := chartstest.Lookup(v, "additionalPrometheusRulesMap", "slo-shop-checkout")
	require.NotNil(t, group)
	rules := group.(map[string]any)["groups"].([]any)[0].(map[string]any)["rules"].([]any)
	var alerts int
	for _, r := range rules {
		if _, ok := r.(map[string]any)["alert"]; ok {
			alerts++
		}
	}
	require.Equal(t, 5, alerts, "four burn-rate alerts and one for absent metrics")
}

func TestNamespacePrivilegedWithReason(t *testing.T) {
	g, _, err := run(t, devArgs(), false)
	require.NoError(t, err)
	md := g.Only(t, "kubernetes:core/v1:Namespace").Inputs["metadata"].ObjectValue()
	require.Equal(t, "privileged", md["labels"].ObjectValue()["pod-security.kubernetes.io/enforce"].StringValue())
	require.Contains(t, md["annotations"].ObjectValue()["platform.io/pod-security-reason"].StringValue(), "node-exporter")
}

// A first preview has no cluster: every cluster output is unknown. The Grafana password is given here because
// the SDK's mock monitor cannot marshal an unknown *secret* input (it unmarshals without KeepUnknowns), which
// the generated password would be in a preview; the real engine handles it.
func TestEvaluatesWithUnknownClusterOutputs(t *testing.T) {
	a := devArgs()
	a.GrafanaAdminPassword = pulumi.ToSecret(pulumi.String("stand-in")).(pulumi.StringOutput)
	g, _, err := run(t, a, true)
	require.NoError(t, err)
	require.Len(t, g.OfType("aws:s3/bucketV2:BucketV2"), 3)
	require.Len(t, g.OfType(chartstest.ChartV4), 3)
	require.Len(t, g.OfType(chartstest.ReleaseV3), 1)
}

func TestValidationReportsEveryProblem(t *testing.T) {
	a := Args{PrometheusRetention: "forever", KMSDeletionWindowDays: 3,
		SLOs: []SLO{{Service: "a", Namespace: "b", Objective: 100}, {Service: "a", Namespace: "b", Objective: 99, LatencyThresholdMs: 300}}}
	a.applyDefaults()
	err := ValidateArgs(&a)
	require.Error(t, err)
	for _, want := range []string{"awsProvider is required", "kubeProvider is required", "clusterName is required",
		"region is required", `prometheusRetention "forever"`, "prometheusReplicas must be >= 1", "kmsDeletionWindowDays must be within [7, 30]",
		"slos[0]: objective 100", "slos[1]: latencyThresholdMs 300 is not an Istio latency bucket", "slos[1]: duplicate SLO for b/a"} {
		require.True(t, strings.Contains(err.Error(), want), "missing %q in %v", want, err)
	}
}

// secretAt reports whether key of an object input is secret, either itself or because the whole object is
// (the SDK marks a map secret when any element is).
func secretAt(v resource.PropertyValue, key string) bool {
	if v.IsSecret() {
		return true
	}
	return v.IsObject() && v.ObjectValue()[resource.PropertyKey(key)].IsSecret()
}
