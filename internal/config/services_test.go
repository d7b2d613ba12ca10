package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func servicesFrom(t *testing.T, env Environment, raw map[string]string) (*Services, []string) {
	t.Helper()
	// The services are read by the same Parse as everything else, on top of a valid foundation.
	st := validStack(env)
	st["cluster"].(obj)["kubernetesVersion"] = "1.33"
	for k, v := range raw {
		st[k] = v
	}
	c, err := Parse(st.source())
	if err == nil {
		return &c.Services, nil
	}
	ve, ok := err.(*ValidationError)
	require.True(t, ok, "want *ValidationError, got %T: %v", err, err)
	var out []string
	for _, p := range ve.Problems {
		out = append(out, p.String())
	}
	return nil, out
}

func TestServiceDefaultsPerEnvironment(t *testing.T) {
	for _, tc := range []struct {
		env                               Environment
		vault, prom, istiodMin, amReplica int
		persist                           bool
	}{
		{Dev, 1, 1, 1, 1, false},
		{Staging, 3, 1, 2, 2, true},
		{Prod, 3, 2, 2, 3, true},
	} {
		s, problems := servicesFrom(t, tc.env, nil)
		require.Empty(t, problems, tc.env)
		require.Equal(t, tc.vault, s.Vault.Replicas, tc.env)
		require.Equal(t, tc.prom, s.Observability.PrometheusReplicas, tc.env)
		require.Equal(t, tc.istiodMin, s.Mesh.IstiodMinReplicas, tc.env)
		require.Equal(t, tc.amReplica, s.Observability.AlertmanagerReplicas, tc.env)
		require.Equal(t, tc.persist, *s.Observability.GrafanaPersistence, tc.env)
		require.True(t, *s.GPURuntime.DCGMExporter)
		require.Equal(t, "v1.33.6", s.ClusterAutoscalerImageTag("1.33"))
	}
}

func TestServiceProblemsAreReportedWithPaths(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  Environment
		raw  map[string]string
		want string
	}{
		{"even vault in prod", Prod, map[string]string{"vault": `{"replicas":2}`}, "vault.replicas: must be an odd number >= 3 in prod"},
		{"single vault in staging", Staging, map[string]string{"vault": `{"replicas":1}`}, "vault.replicas: must be an odd number >= 3 in staging"},
		{"even vault in dev", Dev, map[string]string{"vault": `{"replicas":2}`}, "vault.replicas: must be odd"},
		{"short kms window in prod", Prod, map[string]string{"vault": `{"kmsDeletionWindowDays":7}`}, "vault.kmsDeletionWindowDays: must be 30 in prod"},
		{"configure without address", Dev, map[string]string{"vault": `{"configure":true}`}, "vault.address: required when configure is true"},
		{"wildcard team namespace", Dev, map[string]string{"vault": `{"teams":{"payments":{"namespaces":["*"],"serviceAccounts":["api"]}}}`}, `vault.teams.payments.namespaces[0]: "*" must be one namespace name`},
		{"wildcard team sa", Dev, map[string]string{"vault": `{"teams":{"payments":{"namespaces":["pay"],"serviceAccounts":["*"]}}}`}, `vault.teams.payments.serviceAccounts[0]: "*" must be one service account name`},
		{"unbounded ttl", Dev, map[string]string{"vault": `{"teams":{"payments":{"namespaces":["pay"],"serviceAccounts":["api"],"tokenTtlSeconds":999999}}}`}, "vault.teams.payments.tokenTtlSeconds: must be within (0, 86400]"},
		{"team without accounts", Dev, map[string]string{"vault": `{"teams":{"payments":{"namespaces":["pay"]}}}`}, "vault.teams.payments.serviceAccounts: required"},
		{"public gateway without ranges", Dev, map[string]string{"mesh": `{"internetFacing":true}`}, "mesh.loadBalancerSourceRanges: required when internetFacing"},
		{"gateway open to world", Dev, map[string]string{"mesh": `{"internetFacing":true,"loadBalancerSourceRanges":["0.0.0.0/0"]}`}, "mesh.loadBalancerSourceRanges[0]: 0.0.0.0/0 opens the gateway"},
		{"bad cidr", Dev, map[string]string{"mesh": `{"loadBalancerSourceRanges":["10.0.0.0/33"]}`}, `mesh.loadBalancerSourceRanges[0]: "10.0.0.0/33" is not a CIDR`},
		{"istiod min > max", Dev, map[string]string{"mesh": `{"istiodMinReplicas":4,"istiodMaxReplicas":2}`}, "mesh.istiodMaxReplicas: must be >= istiodMinReplicas (4), got 2"},
		{"single istiod in prod", Prod, map[string]string{"mesh": `{"istiodMinReplicas":1}`}, "mesh.istiodMinReplicas: must be >= 2 in prod"},
		{"sampling over 100", Dev, map[string]string{"mesh": `{"tracingSamplingPercent":120}`}, "mesh.tracingSamplingPercent: must be within [0, 100]"},
		{"two revisions without saying where the tag points", Dev, map[string]string{"mesh": `{"revisions":[{"version":"1.30.3"},{"name":"canary"}]}`},
			"mesh.tagRevision: required with more than one revision"},
		{"tag on a revision that is not installed", Dev, map[string]string{"mesh": `{"revisions":[{"name":"new"}],"tagRevision":"old"}`},
			`mesh.tagRevision: "old" is not one of mesh.revisions`},
		{"revision of an istiod the catalogue does not offer", Dev, map[string]string{"mesh": `{"revisions":[{"version":"1.19.0"}]}`},
			`mesh.revisions[0].version: "1.19.0" is not an istiod version the catalogue offers; use one of 1.30.3`},
		{"revision listed twice", Dev, map[string]string{"mesh": `{"revisions":[{"name":"a"},{"name":"a"}],"tagRevision":"a"}`},
			`mesh.revisions[1].name: "a" is listed twice`},
		{"bad retention", Dev, map[string]string{"observability": `{"prometheusRetention":"two weeks"}`}, `observability.prometheusRetention: "two weeks" is not a Prometheus duration`},
		{"grafana ephemeral in prod", Prod, map[string]string{"observability": `{"grafanaPersistence":false}`}, "observability.grafanaPersistence: must be true in prod"},
		{"single prometheus in prod", Prod, map[string]string{"observability": `{"prometheusReplicas":1}`}, "observability.prometheusReplicas: must be >= 2 in prod"},
		{"slo objective 100", Dev, map[string]string{"observability": `{"slos":[{"service":"api","namespace":"shop","objective":100}]}`}, "observability.slos[0].objective: must be a percentage strictly between 0 and 100"},
		{"slo bad service", Dev, map[string]string{"observability": `{"slos":[{"service":"API","namespace":"shop","objective":99}]}`}, `observability.slos[0].service: "API" must be a Kubernetes service name`},
		{"duplicate slo", Dev, map[string]string{"observability": `{"slos":[{"service":"api","namespace":"shop","objective":99},{"service":"api","namespace":"shop","objective":99.9}]}`}, "observability.slos[1]: duplicate SLO for shop/api"},
		{"slo latency not a bucket", Dev, map[string]string{"observability": `{"slos":[{"service":"api","namespace":"shop","objective":99,"latencyThresholdMs":300}]}`}, "observability.slos[0].latencyThresholdMs: 300 is not a boundary"},
		{"latest autoscaler", Dev, map[string]string{"autoscaling": `{"clusterAutoscalerImageTag":"latest"}`}, `autoscaling.clusterAutoscalerImageTag: "latest" must be a pinned release tag`},
		{"autoscaler minor mismatch", Dev, map[string]string{"autoscaling": `{"clusterAutoscalerImageTag":"v1.31.0"}`}, "autoscaling.clusterAutoscalerImageTag: v1.31.0 does not match cluster.kubernetesVersion 1.33"},
		{"unknown expander", Dev, map[string]string{"autoscaling": `{"expander":"cheapest"}`}, `autoscaling.expander: "cheapest" is not one of`},
		{"bad scale down time", Dev, map[string]string{"autoscaling": `{"scaleDownUnneededTime":"10 minutes"}`}, `autoscaling.scaleDownUnneededTime: "10 minutes" is not a duration`},
		{"misspelled key", Dev, map[string]string{"vault": `{"replica":3}`}, `vault: unknown field "replica"`},
		{"wrong type", Dev, map[string]string{"mesh": `{"internetFacing":"yes"}`}, "mesh: internetFacing: expected bool"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := servicesFrom(t, tc.env, tc.raw)
			require.NotEmpty(t, problems)
			joined := strings.Join(problems, "\n")
			require.Contains(t, joined, tc.want)
		})
	}
}

func TestEveryServiceProblemAtOnce(t *testing.T) {
	_, problems := servicesFrom(t, Prod, map[string]string{
		"vault":         `{"replicas":2}`,
		"mesh":          `{"internetFacing":true}`,
		"observability": `{"prometheusRetention":"x"}`,
		"autoscaling":   `{"expander":"x"}`,
	})
	require.Len(t, problems, 4, "%v", problems)
}

func TestDecodeProblemsForEveryKeyAtOnce(t *testing.T) {
	_, problems := servicesFrom(t, Dev, map[string]string{"vault": `{"replica":3}`, "mesh": `[1]`})
	require.Len(t, problems, 2, "%v", problems)
}

func TestMeshRevisionsDefaultToOneOfTheCataloguesIstiodWithTheTagOnIt(t *testing.T) {
	s, problems := servicesFrom(t, Dev, nil)
	require.Empty(t, problems)
	require.Equal(t, []MeshRevision{{Name: "1-30-3", Version: "1.30.3"}}, s.Mesh.Revisions)
	require.Equal(t, "1-30-3", s.Mesh.TagRevision)

	s, problems = servicesFrom(t, Dev, map[string]string{"mesh": `{"revisions":[{"version":"1.30.3"},{"name":"canary"}],"tagRevision":"1-30-3"}`})
	require.Empty(t, problems)
	require.Equal(t, []MeshRevision{{Name: "1-30-3", Version: "1.30.3"}, {Name: "canary", Version: "1.30.3"}}, s.Mesh.Revisions)
}

// A stack with an in-VPC CI runner runs Vault's second stage from it: an internal load balancer gives the
// runner an address, and the JWT role binds this repository's deploy job in this environment.
func TestAStackWithACIRunnerConfiguresVaultFromCI(t *testing.T) {
	s, problems := servicesFrom(t, Prod, map[string]string{"vault": `{"replicas":3,"configure":true}`})
	require.Empty(t, problems, "configure needs no address when the internal load balancer gives one")
	require.True(t, *s.Vault.InternalLoadBalancer)
	require.NotNil(t, s.Vault.CIAuth)
	require.Equal(t, "vault-prod", s.Vault.CIAuth.BoundAudience)
	require.Equal(t, map[string]string{"repository": "platform-team/platform", "environment": "prod"}, s.Vault.CIAuth.BoundClaims)
	require.Equal(t, 3600, s.Vault.CIAuth.TokenTTLSeconds)

	d, problems := servicesFrom(t, Dev, nil)
	require.Empty(t, problems)
	require.False(t, *d.Vault.InternalLoadBalancer, "dev has no in-VPC runner: no load balancer")
	require.Nil(t, d.Vault.CIAuth)
}

func TestVaultCIAuthProblemsAreReportedWithPaths(t *testing.T) {
	_, problems := servicesFrom(t, Dev, map[string]string{"vault": `{"address":"http://vault:8200",` +
		`"ciAuth":{"boundAudience":" ","boundClaims":{"repository":"acme/platform"},"tokenTtlSeconds":86400}}`})
	require.Equal(t, []string{
		`vault.address: must be Vault's https:// address reachable from where pulumi runs (got "http://vault:8200")`,
		"vault.ciAuth.boundAudience: required: the audience CI requests for its OIDC token (e.g. vault-prod)",
		"vault.ciAuth.boundClaims.environment: required: a deployer login must come from this repository's deploy job in this environment",
		"vault.ciAuth.tokenTtlSeconds: must be within [60, 7200]: one run's token (got 86400)",
	}, problems)
}
