package pack_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/policies/pack"
)

const (
	release = "kubernetes:helm.sh/v3:Release"
	chartT  = "kubernetes:helm.sh/v4:Chart"
	peerT   = "kubernetes:security.istio.io/v1:PeerAuthentication"
	vaultRT = "vault:kubernetes/authBackendRole:AuthBackendRole"
)

const prodRaft = `ui = true
listener "tcp" {
  address = "[::]:8200"
  tls_cert_file = "/vault/userconfig/tls/tls.crt"
  tls_key_file  = "/vault/userconfig/tls/tls.key"
}
storage "raft" { path = "/vault/data" }
seal "awskms" {
  region     = "eu-west-1"
  kms_key_id = "alias/vault-unseal"
}`

func vaultValues() obj {
	return obj{
		"global": obj{"tlsDisable": false},
		"server": obj{"ha": obj{"enabled": true, "replicas": 3, "raft": obj{"enabled": true, "config": prodRaft}}},
	}
}

func helm(typ, chart, version, repo string, values obj) pack.Resource {
	in := obj{"chart": chart, "version": version, "values": values}
	if repo != "" {
		in["repositoryOpts"] = obj{"repo": repo}
	}
	return mk(typ, chart, in)
}

func vault(values obj) []pack.Resource {
	return one(helm(release, "vault", "0.30.1", "https://helm.releases.hashicorp.com", values))
}

func kps(values obj) []pack.Resource {
	return one(helm(release, "kube-prometheus-stack", "67.8.0", "https://prometheus-community.github.io/helm-charts", values))
}

func goodKPSValues() obj {
	return obj{
		"prometheus":   obj{"prometheusSpec": obj{"storageSpec": obj{"volumeClaimTemplate": obj{"spec": obj{"storageClassName": "gp3"}}}}},
		"alertmanager": obj{"alertmanagerSpec": obj{"storage": obj{"volumeClaimTemplate": obj{"spec": obj{"storageClassName": "gp3"}}}}},
		"grafana":      obj{"adminPassword": secret("hunter2-long-and-random"), "image": obj{"tag": "11.4.0"}},
	}
}

func peer(ns, mode string, selector bool) pack.Resource {
	in := obj{"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
		"metadata": obj{"name": "default", "namespace": ns}, "spec": obj{"mtls": obj{"mode": mode}}}
	if selector {
		setPath(in, "spec.selector", obj{"matchLabels": obj{"app": "legacy"}})
	}
	return mk(peerT, ns+"-"+mode, in)
}

func authRole(names, namespaces arr, ttl, maxTTL any) []pack.Resource {
	in := obj{"backend": "kubernetes", "roleName": "team-a", "boundServiceAccountNames": names, "boundServiceAccountNamespaces": namespaces}
	if ttl != nil {
		in["tokenTtl"] = ttl
	}
	if maxTTL != nil {
		in["tokenMaxTtl"] = maxTTL
	}
	return one(mk(vaultRT, "team-a", in))
}

func init() {
	istiod := helm(release, "istiod", "1.27.3", "https://istio-release.storage.googleapis.com/charts", obj{})

	addTable("helm-chart-pinned", [3]pack.Level{M, M, M},
		tc{name: "range", res: one(helm(release, "keda", "^2.17", "https://kedacore.github.io/charts", obj{})), want: violates, msg: `version is "^2.17"`},
		tc{name: "unset", res: one(helm(chartT, "loki", "", "https://grafana.github.io/helm-charts", obj{})), want: violates, msg: "version is not set"},
		tc{name: "exact", res: one(helm(release, "keda", "2.17.2", "https://kedacore.github.io/charts", obj{})), want: passes},
		tc{name: "chart-component-without-inputs", res: one(mk(chartT, "istiod", obj{})), want: passes},
		tc{name: "v-prefixed", res: one(helm(chartT, "gpu-operator", "v25.3.0", "https://helm.ngc.nvidia.com/nvidia", obj{})), want: passes},
		tc{name: "unknown", res: one(mk(release, "keda", obj{"chart": "keda", "version": unk, "repositoryOpts": obj{"repo": "https://kedacore.github.io/charts"}})), want: undecided},
	)
	addTable("helm-allowed-repositories", [3]pack.Level{M, M, M},
		tc{name: "third-party", res: one(helm(release, "grafana", "8.8.2", "https://charts.bitnami.com/bitnami", obj{})), want: violates, msg: `comes from "https://charts.bitnami.com/bitnami"`},
		tc{name: "alias-only", res: one(helm(release, "bitnami/redis", "20.0.0", "", obj{})), want: violates, msg: "names no repository"},
		tc{name: "oci-not-allowed", res: one(helm(chartT, "oci://registry-1.docker.io/bitnamicharts/redis", "20.0.0", "", obj{})), want: violates},
		tc{name: "allowed-trailing-slash", res: one(helm(release, "vault", "0.30.1", "https://helm.releases.hashicorp.com/", obj{})), want: passes},
		tc{name: "local", res: one(helm(chartT, "./charts/canary", "0.1.0", "", obj{})), want: passes},
		tc{name: "chart-component-without-inputs", res: one(mk(chartT, "istiod", obj{})), want: passes},
		tc{name: "unknown", res: one(mk(release, "x", obj{"chart": "vault", "repositoryOpts": obj{"repo": unk}})), want: undecided},
	)
	addTable("no-latest-images", [3]pack.Level{A, M, M},
		tc{name: "deployment-latest", res: one(mk("kubernetes:apps/v1:Deployment", "canary", obj{"spec": obj{"template": obj{"spec": obj{
			"containers": arr{obj{"name": "app", "image": "ghcr.io/acme/app:latest"}}}}}})), want: violates, msg: "uses the latest tag"},
		tc{name: "pod-untagged", res: one(mk("kubernetes:core/v1:Pod", "debug", obj{"spec": obj{"containers": arr{obj{"name": "c", "image": "busybox"}}}})), want: violates, msg: "has no tag"},
		tc{name: "values-tag-latest", res: kps(with(goodKPSValues(), "grafana.image.tag", "latest")), want: violates, msg: "values.grafana.image.tag"},
		tc{name: "pinned", res: one(mk("kubernetes:apps/v1:Deployment", "canary", obj{"spec": obj{"template": obj{"spec": obj{
			"containers":     arr{obj{"name": "app", "image": "ghcr.io/acme/app:1.4.2"}},
			"initContainers": arr{obj{"name": "init", "image": "registry.k8s.io/pause@sha256:abc"}}}}}})), want: passes},
		tc{name: "registry-port-is-not-a-tag", res: one(mk("kubernetes:core/v1:Pod", "p", obj{"spec": obj{"containers": arr{obj{"name": "c", "image": "registry:5000/app:2.0"}}}})), want: passes},
		tc{name: "values-pinned", res: kps(goodKPSValues()), want: passes},
		tc{name: "unknown-image", res: one(mk("kubernetes:core/v1:Pod", "p", obj{"spec": obj{"containers": arr{obj{"name": "c", "image": unk}}}})), want: undecided},
		// Istio's gateway chart renders its proxy as image "auto", which the injector replaces.
		tc{name: "istio-gateway-auto-image", res: one(gatewayDeployment("istio-proxy", "auto", "true")), want: passes},
		tc{name: "auto-image-without-injection", res: one(gatewayDeployment("istio-proxy", "auto", "false")), want: violates, msg: `image "auto" has no tag`},
		tc{name: "auto-image-in-another-container", res: one(gatewayDeployment("app", "auto", "true")), want: violates, msg: `image "auto" has no tag`},
		tc{name: "untagged-image-in-injected-pod", res: one(gatewayDeployment("istio-proxy", "docker.io/istio/proxyv2", "true")), want: violates, msg: "has no tag"},
		tc{name: "injection-label-unknown", res: one(mk("kubernetes:apps/v1:Deployment", "gw", obj{"spec": obj{"template": obj{
			"metadata": obj{"labels": unk},
			"spec":     obj{"containers": arr{obj{"name": "istio-proxy", "image": "auto"}}}}}})), want: undecided},
	)
	addTable("helm-values-secrets", [3]pack.Level{M, M, M},
		tc{name: "plain-grafana-password", res: kps(with(goodKPSValues(), "grafana.adminPassword", "hunter2")), want: violates, msg: "values.grafana.adminPassword is a plaintext string"},
		tc{name: "plain-s3-secret-key", res: one(helm(release, "loki", "6.24.0", "https://grafana.github.io/helm-charts", obj{"loki": obj{"storage": obj{"s3": obj{"secretAccessKey": "abc"}}}})), want: violates},
		tc{name: "secret-value", res: kps(goodKPSValues()), want: passes},
		tc{name: "existing-secret-reference", res: kps(with(goodKPSValues(), "grafana.adminPassword", nil, "grafana.admin", obj{"existingSecret": "grafana-admin", "passwordKey": "admin-password"})), want: passes},
		tc{name: "unknown-values", res: one(mk(release, "grafana", obj{"chart": "grafana", "values": unk})), want: undecided},
	)
	addTable("mesh-mtls-strict", [3]pack.Level{A, M, M},
		tc{name: "permissive", res: one(peer("legacy", "PERMISSIVE", true)), want: violates, msg: `spec.mtls.mode is "PERMISSIVE"`},
		tc{name: "port-level-disable", res: one(mk(peerT, "p", obj{"spec": obj{"mtls": obj{"mode": "STRICT"}, "portLevelMtls": obj{"8080": obj{"mode": "DISABLE"}}}})), want: violates, msg: "spec.portLevelMtls.8080.mode"},
		tc{name: "strict", res: one(peer("istio-system", "STRICT", false)), want: passes},
		tc{name: "unknown", res: one(mk(peerT, "p", obj{"spec": obj{"mtls": obj{"mode": unk}}})), want: undecided},
	)
	addTable("mesh-wide-strict-mtls", [3]pack.Level{A, M, M},
		tc{name: "istiod-without-policy", res: stack(istiod), want: violates, msg: "istiod is installed"},
		tc{name: "rendered-istiod-deployment", res: stack(mk(chartT, "istiod", obj{}), mk("kubernetes:apps/v1:Deployment", "istiod",
			obj{"metadata": obj{"name": "istiod-1-27", "namespace": "istio-system"}})), want: violates},
		tc{name: "only-namespaced-strict", res: stack(istiod, peer("apps", "STRICT", false), peer("istio-system", "STRICT", true)), want: violates},
		tc{name: "mesh-wide", res: stack(istiod, peer("istio-system", "STRICT", false)), want: passes},
		tc{name: "no-istio", res: stack(peer("apps", "PERMISSIVE", false)), want: passes},
		tc{name: "unknown-namespace", res: stack(istiod, mk(peerT, "p", obj{"metadata": obj{"namespace": unk}, "spec": obj{"mtls": obj{"mode": "STRICT"}}})), want: undecided},
	)
	addTable("vault-ha-raft", [3]pack.Level{D, A, M},
		tc{name: "standalone", res: vault(obj{"server": obj{"standalone": obj{"enabled": true}}}), want: violates, msg: "values.server.ha.enabled is not set"},
		tc{name: "two-replicas", res: vault(with(vaultValues(), "server.ha.replicas", 2)), want: violates, msg: "values.server.ha.replicas is 2"},
		tc{name: "ha-raft", res: vault(vaultValues()), want: passes},
		tc{name: "other-chart", res: kps(goodKPSValues()), want: passes},
		tc{name: "unknown", res: vault(with(vaultValues(), "server.ha.enabled", unk)), want: undecided},
	)
	addTable("vault-auto-unseal-kms", [3]pack.Level{D, A, M},
		tc{name: "shamir", res: vault(with(vaultValues(), "server.ha.raft.config", strings.Replace(prodRaft, `seal "awskms"`, `# no seal`, 1))), want: violates, msg: `seal "awskms"`},
		tc{name: "kms", res: vault(vaultValues()), want: passes},
		tc{name: "unknown-config", res: vault(with(vaultValues(), "server.ha.raft.config", unkOutput)), want: undecided},
	)
	addTable("vault-tls", [3]pack.Level{A, A, M},
		tc{name: "chart-default", res: vault(with(vaultValues(), "global", nil)), want: violates, msg: "true in the chart when not set"},
		tc{name: "listener-tls-disable", res: vault(with(vaultValues(), "server.ha.raft.config", prodRaft+"\nlistener \"tcp\" { tls_disable = 1 }")), want: violates, msg: "sets tls_disable"},
		tc{name: "tls", res: vault(vaultValues()), want: passes},
		tc{name: "unknown", res: vault(with(vaultValues(), "global.tlsDisable", unk)), want: undecided},
	)
	addTable("vault-dev-mode-off", [3]pack.Level{A, M, M},
		tc{name: "dev", res: vault(with(vaultValues(), "server.dev.enabled", true)), want: violates, msg: "values.server.dev.enabled is true"},
		tc{name: "off", res: vault(vaultValues()), want: passes},
		tc{name: "unknown", res: vault(with(vaultValues(), "server.dev.enabled", unk)), want: undecided},
	)
	addTable("vault-k8s-auth-role-scoped", [3]pack.Level{M, M, M},
		tc{name: "any-sa", res: authRole(arr{"*"}, arr{"team-a"}, 3600, 86400), want: violates, msg: `boundServiceAccountNames contains "*"`},
		tc{name: "glob-namespace", res: authRole(arr{"app"}, arr{"team-*"}, 3600, 86400), want: violates},
		tc{name: "scoped", res: authRole(arr{"app"}, arr{"team-a"}, 3600, 86400), want: passes},
		tc{name: "unknown", res: authRole(arr{"app"}, arr{unk}, 3600, 86400), want: undecided},
	)
	addTable("vault-k8s-auth-role-ttl", [3]pack.Level{A, M, M},
		tc{name: "unbounded", res: authRole(arr{"app"}, arr{"team-a"}, nil, nil), want: violates, msg: "tokenTtl is not set"},
		tc{name: "too-long", res: authRole(arr{"app"}, arr{"team-a"}, 3600, 30*86400), want: violates, msg: "above the 86400 allowed"},
		tc{name: "bounded", res: authRole(arr{"app"}, arr{"team-a"}, 900, 3600), want: passes},
		tc{name: "unknown", res: authRole(arr{"app"}, arr{"team-a"}, unk, 3600), want: undecided},
	)
	addTable("observability-persistence", [3]pack.Level{D, A, M},
		tc{name: "ephemeral", res: kps(with(goodKPSValues(), "prometheus.prometheusSpec.storageSpec", nil)), want: violates, msg: "values.prometheus.prometheusSpec.storageSpec is not set"},
		tc{name: "persistent", res: kps(goodKPSValues()), want: passes},
		tc{name: "unknown", res: kps(with(goodKPSValues(), "alertmanager.alertmanagerSpec.storage", unk)), want: undecided},
	)
}

// TestSecretsNeverPrinted: no message ever contains a secret's value, even when a policy reports on it.
func TestSecretsNeverPrinted(t *testing.T) {
	const s = "sup3r-s3cret-value"
	res := []pack.Resource{
		mk("pulumi:providers:aws", "aws", obj{"accessKey": secret(s), "secretKey": secret(s)}),
		mk(kmsKey, "k", obj{"policy": secret(worldKey), "description": secret(s)}),
		helm(release, "grafana", "8.8.2", "https://grafana.github.io/helm-charts", obj{"adminPassword": s, "image": obj{"tag": secret(s)}}),
		mk(eksCluster, "c", obj{"version": secret(s), "vpcConfig": obj{"endpointPublicAccess": true, "publicAccessCidrs": secret(arr{"0.0.0.0/0"})}}),
	}
	ds := pack.Evaluate(pack.Prod, pack.Config{}, res)
	require.NotEmpty(t, ds)
	for _, d := range ds {
		assert.NotContains(t, d.Message, s, d.PolicyID)
	}
	var sawRedacted bool
	for _, d := range ds {
		sawRedacted = sawRedacted || strings.Contains(d.Message, "[secret]")
	}
	assert.True(t, sawRedacted, "a secret value in a message is shown as [secret]")
}

// gatewayDeployment is a Deployment as Istio's gateway chart renders it, with the sidecar.istio.io/inject
// label set to inject and one container.
func gatewayDeployment(container, image, inject string) pack.Resource {
	return mk("kubernetes:apps/v1:Deployment", "istio-ingressgateway", obj{"spec": obj{"template": obj{
		"metadata": obj{"labels": obj{"sidecar.istio.io/inject": inject, "istio.io/rev": "stable"}},
		"spec":     obj{"containers": arr{obj{"name": container, "image": image}}}}}})
}
