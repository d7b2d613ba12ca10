package vault

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartstest"
	"github.com/platform-team/platform/internal/mockgraph"
)

const (
	issuer      = "oidc.eks.eu-west-1.amazonaws.com/id/ABC"
	providerArn = "arn:aws:iam::111122223333:oidc-provider/" + issuer
)

func unknownString() pulumi.StringOutput {
	return pulumi.UnsafeUnknownOutput(nil).ApplyT(func(any) string { return "" }).(pulumi.StringOutput)
}

func run(t *testing.T, args Args, stack string, unknownCluster bool) (mockgraph.Graph, error) {
	t.Helper()
	g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		ap, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-west-1")})
		if err != nil {
			return err
		}
		kp, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		args.AWSProvider, args.KubeProvider, args.Region = ap, kp, "eu-west-1"
		if unknownCluster {
			args.ClusterName, args.OidcProviderArn, args.OidcIssuer = unknownString(), unknownString(), unknownString()
		} else {
			args.ClusterName, args.OidcProviderArn, args.OidcIssuer = pulumi.String("platform-"+stack), pulumi.String(providerArn), pulumi.String(issuer)
		}
		_, err = NewVault(ctx, stack+"-vault", &args)
		return err
	}, mockgraph.Options{Stack: stack})
	return g, err
}

func release(t *testing.T, g mockgraph.Graph, stack string) (mockgraph.Resource, map[string]any) {
	t.Helper()
	r := g.ByName(t, stack+"-vault-vault")
	chartstest.AssertCatalogue(t, r.Type, r.Inputs, charts.Vault)
	v := chartstest.Values(t, r.Inputs)
	chartstest.AssertKnownKeys(t, charts.Vault, v)
	return r, v
}

func TestProdIsHARaftWithKMSSealAndTLS(t *testing.T) {
	g, err := run(t, Args{Replicas: 3, Injector: true, ProtectUnsealKey: true}, "prod", false)
	require.NoError(t, err)
	r, v := release(t, g, "prod")
	require.Equal(t, chartstest.ReleaseV3, r.Type, "vault is a Helm release (helm history/rollback for a stateful service)")
	require.NotEmpty(t, r.Provider)
	require.Equal(t, true, chartstest.Lookup(v, "server", "ha", "enabled"))
	require.EqualValues(t, 3, chartstest.Lookup(v, "server", "ha", "replicas"))
	require.Equal(t, true, chartstest.Lookup(v, "server", "ha", "raft", "enabled"))
	require.Equal(t, false, chartstest.Lookup(v, "server", "dev", "enabled"))
	require.Equal(t, false, chartstest.Lookup(v, "global", "tlsDisable"))
	require.Equal(t, true, chartstest.Lookup(v, "server", "auditStorage", "enabled"))
	require.Equal(t, ImageTag, chartstest.Lookup(v, "server", "image", "tag"))

	cfg := chartstest.Lookup(v, "server", "ha", "raft", "config").(string)
	require.Contains(t, cfg, `seal "awskms"`)
	require.Contains(t, cfg, `region = "eu-west-1"`)
	require.Contains(t, cfg, `kms_key_id = "`)
	require.Contains(t, cfg, `storage "raft"`)
	require.Contains(t, cfg, `tls_cert_file = "/vault/userconfig/vault-tls/tls.crt"`)
	require.NotContains(t, cfg, "tls_disable")
	require.Equal(t, 3, strings.Count(cfg, "retry_join"))

	key := g.Only(t, "aws:kms/key:Key")
	require.True(t, key.Inputs["enableKeyRotation"].BoolValue())
	require.True(t, key.Protect, "prod unseal key is protected")
	require.EqualValues(t, 30, key.Inputs["deletionWindowInDays"].NumberValue())
}

func TestDevIsSingleReplica(t *testing.T) {
	g, err := run(t, Args{Replicas: 1, KMSDeletionWindowDays: 7}, "dev", false)
	require.NoError(t, err)
	_, v := release(t, g, "dev")
	require.EqualValues(t, 1, chartstest.Lookup(v, "server", "ha", "replicas"))
	cfg := chartstest.Lookup(v, "server", "ha", "raft", "config").(string)
	require.Equal(t, 1, strings.Count(cfg, "retry_join"))
	require.Contains(t, cfg, `seal "awskms"`, "dev auto-unseals too")
	require.False(t, g.Only(t, "aws:kms/key:Key").Protect)
}

func TestUnsealRoleTrustsOnlyVaultAndUsesOnlyItsKey(t *testing.T) {
	g, err := run(t, Args{Replicas: 3}, "prod", false)
	require.NoError(t, err)
	var trust struct {
		Statement []struct {
			Principal map[string]string
			Condition map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(g.ByName(t, "prod-vault-unseal-irsa").Inputs["assumeRolePolicy"].StringValue()), &trust))
	require.Len(t, trust.Statement, 1)
	require.Equal(t, "system:serviceaccount:vault:vault", trust.Statement[0].Condition["StringEquals"][issuer+":sub"])
	require.Equal(t, "sts.amazonaws.com", trust.Statement[0].Condition["StringEquals"][issuer+":aud"])
	var pol struct {
		Statement []struct {
			Action   []string
			Resource []string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(g.ByName(t, "prod-vault-unseal-irsa-policy").Inputs["policy"].StringValue()), &pol))
	require.Len(t, pol.Statement, 1)
	require.ElementsMatch(t, []string{"kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"}, pol.Statement[0].Action)
	require.Len(t, pol.Statement[0].Resource, 1)
	require.True(t, strings.HasPrefix(pol.Statement[0].Resource[0], "arn:aws:kms:"), pol.Statement[0].Resource[0])
	// The chart's server service account carries the role.
	_, v := release(t, g, "prod")
	require.Equal(t, ServiceAccount, chartstest.Lookup(v, "server", "serviceAccount", "name"))
	require.NotEmpty(t, chartstest.Lookup(v, "server", "serviceAccount", "annotations", "eks.amazonaws.com/role-arn"))
}

func TestTLSKeyIsSecret(t *testing.T) {
	g, err := run(t, Args{Replicas: 1}, "dev", false)
	require.NoError(t, err)
	sec := g.ByName(t, "dev-vault-tls-secret")
	require.True(t, secretAt(sec.Inputs["stringData"], "tls.key"), "private key must be a secret input")
	require.Contains(t, DNSNames("vault"), "*.vault-internal")
	require.Contains(t, DNSNames("vault"), "vault.vault.svc")
	for _, r := range g.OfType("tls:index/privateKey:PrivateKey") {
		require.NotEmpty(t, r.Provider, "tls resources use the explicit tls provider")
	}
}

// Every cluster output unknown, as in a first preview. The recorder is not put in preview mode here: then
// the TLS keys would be unknown *secrets*, which the SDK's mock monitor cannot marshal (it unmarshals inputs
// without KeepUnknowns: "malformed RPC secret"); the real engine handles them.
func TestEvaluatesWithUnknownClusterOutputs(t *testing.T) {
	g, err := run(t, Args{Replicas: 3}, "prod", true)
	require.NoError(t, err)
	require.Len(t, g.OfType(chartstest.ReleaseV3), 1)
}

func TestValidationReportsEveryProblem(t *testing.T) {
	a := Args{Replicas: 2, KMSDeletionWindowDays: 90}
	a.applyDefaults()
	err := ValidateArgs(&a)
	for _, want := range []string{"awsProvider is required", "kubeProvider is required", "clusterName is required",
		"region is required", "replicas must be odd and >= 1 for a raft quorum (got 2)", "kmsDeletionWindowDays must be within [7, 30] (got 90)"} {
		require.ErrorContains(t, err, want)
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

// Clients (External Secrets, the second stage) reach Vault through the active node's Service: the "vault" Service
// includes sealed and standby pods.
func TestAddressIsTheActiveService(t *testing.T) {
	var addr string
	_, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		ap, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-west-1")})
		if err != nil {
			return err
		}
		kp, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		a := Args{Replicas: 3}
		a.AWSProvider, a.KubeProvider, a.Region = ap, kp, "eu-west-1"
		a.ClusterName, a.OidcProviderArn, a.OidcIssuer = pulumi.String("platform-prod"), pulumi.String(providerArn), pulumi.String(issuer)
		v, err := NewVault(ctx, "prod-vault", &a)
		if err != nil {
			return err
		}
		// Exported so the run waits for the apply before it ends.
		ctx.Export("address", v.Address.ApplyT(func(s string) string { addr = s; return s }))
		return nil
	}, mockgraph.Options{Stack: "prod"})
	require.NoError(t, err)
	require.Equal(t, "https://vault-active.vault.svc:8200", addr)
	require.Contains(t, DNSNames("vault"), "vault-active.vault.svc", "the certificate covers the active Service")
}

func TestMonitoringScrapesEveryPodAndAlertsOnSealedAndNoLeader(t *testing.T) {
	g, err := run(t, Args{Replicas: 3, Monitoring: true}, "prod", false)
	require.NoError(t, err)
	_, v := release(t, g, "prod")
	require.Equal(t, true, chartstest.Lookup(v, "serverTelemetry", "serviceMonitor", "enabled"))
	require.Equal(t, "true", chartstest.Lookup(v, "serverTelemetry", "serviceMonitor", "matchLabels", "vault-internal"),
		"every pod, not only the active one")
	require.Equal(t, TLSSecretName, chartstest.Lookup(v, "serverTelemetry", "serviceMonitor", "tlsConfig", "ca", "secret", "name"))
	require.Equal(t, true, chartstest.Lookup(v, "serverTelemetry", "prometheusRules", "enabled"))
	rules := chartstest.Lookup(v, "serverTelemetry", "prometheusRules", "rules").([]any)
	names := map[string]bool{}
	for _, r := range rules {
		m := r.(map[string]any)
		names[m["alert"].(string)] = true
		require.Equal(t, "vault", m["labels"].(map[string]any)["namespace"], "namespaced Alertmanager routing needs the namespace label")
	}
	require.True(t, names["VaultSealed"] && names["VaultNoLeader"] && names["VaultDown"], "%v", names)

	g, err = run(t, Args{Replicas: 1, KMSDeletionWindowDays: 7}, "dev", false)
	require.NoError(t, err)
	_, v = release(t, g, "dev")
	require.Equal(t, false, chartstest.Lookup(v, "serverTelemetry", "serviceMonitor", "enabled"), "off unless the CRDs are there")
}

// Outside prod the raft and audit PVCs (and their EBS volumes) go with the StatefulSet, so a teardown leaves
// nothing behind; prod keeps them. Scaling down never deletes one.
func TestVolumesOutliveTheStatefulSetOnlyInProd(t *testing.T) {
	for _, keep := range []bool{false, true} {
		g, err := run(t, Args{Replicas: 3, KeepVolumes: keep}, "staging", false)
		require.NoError(t, err)
		_, v := release(t, g, "staging")
		want := map[string]any{"whenDeleted": "Delete", "whenScaled": "Retain"}
		if keep {
			want["whenDeleted"] = "Retain"
		}
		require.Equal(t, want, chartstest.Lookup(v, "server", "persistentVolumeClaimRetentionPolicy"))
	}
}

// The in-VPC CI runner reaches the active node through an internal NLB limited to the given ranges; without
// the option there is no load balancer at all.
func TestInternalLoadBalancerPublishesOnlyTheActiveNodeInsideTheVPC(t *testing.T) {
	g, err := run(t, Args{Replicas: 3, InternalLoadBalancer: &InternalLoadBalancer{SourceRanges: []string{"10.30.0.0/16"}}}, "prod", false)
	require.NoError(t, err)
	svc := g.ByName(t, "prod-vault-ci-service")
	require.Equal(t, "kubernetes:core/v1:Service", svc.Type)
	meta := svc.Inputs["metadata"].ObjectValue()
	require.Equal(t, CIServiceName, meta["name"].StringValue())
	ann := meta["annotations"].ObjectValue()
	require.Equal(t, "true", ann["service.beta.kubernetes.io/aws-load-balancer-internal"].StringValue(), "never internet-facing")
	require.Equal(t, "nlb", ann["service.beta.kubernetes.io/aws-load-balancer-type"].StringValue())
	spec := svc.Inputs["spec"].ObjectValue()
	require.Equal(t, "LoadBalancer", spec["type"].StringValue())
	require.Equal(t, []any{"10.30.0.0/16"}, spec["loadBalancerSourceRanges"].Mappable())
	port := spec["ports"].ArrayValue()[0].ObjectValue()
	require.EqualValues(t, 443, port["port"].NumberValue(), "the CI runner may only leave on HTTPS (443)")
	require.EqualValues(t, 8200, port["targetPort"].NumberValue())
	sel := spec["selector"].Mappable().(map[string]any)
	require.Equal(t, "true", sel["vault-active"], "only the unsealed leader: a sealed or standby pod never answers CI")
	require.Equal(t, "server", sel["component"])
	require.Contains(t, DNSNames("vault"), CIServerName("vault"), "the certificate covers the name CI verifies")

	g, err = run(t, Args{Replicas: 3}, "prod", false)
	require.NoError(t, err)
	require.Empty(t, g.OfType("kubernetes:core/v1:Service"), "no load balancer unless asked for")

	_, err = run(t, Args{Replicas: 3, InternalLoadBalancer: &InternalLoadBalancer{SourceRanges: []string{"0.0.0.0/0"}}}, "prod", false)
	require.ErrorContains(t, err, `internalLoadBalancer.sourceRanges: "0.0.0.0/0" is not a CIDR narrower than /0`)
}
