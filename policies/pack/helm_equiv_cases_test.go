package pack_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"

	"github.com/platform-team/platform/policies/pack"
)

// Equivalence cases for the policies that read Helm charts, values and what charts render: what Helm, the chart or
// Kubernetes treats as the same thing gets the same verdict. Helm reads a version as a SemVer constraint, fetches
// an absolute chart URL from that URL whatever repositoryOpts says, and credential keys come in several spellings
// and as name/value env lists. In a real run a helm.sh/v4 Chart reaches the pack without inputs and its rendered
// objects (children whose URN names the Chart, labelled helm.sh/chart) carry the verdict.

// rendered is an object a v4 Chart rendered: its URN has the Chart as parent type and it carries Helm's label.
func rendered(typ, name string, in obj) pack.Resource {
	setPath(in, "metadata.labels", obj{"helm.sh/chart": "keda-2.20.2", "app.kubernetes.io/managed-by": "Helm"})
	r := mk(typ, name, in)
	r.URN = "urn:pulumi:prod::platform::" + chartT + "$" + typ + "::" + name
	r.Parent = urn(chartT, "keda")
	return r
}

const deploymentT = "kubernetes:apps/v1:Deployment"

func deployEnv(env arr) obj {
	return obj{"metadata": obj{"name": "app"}, "spec": obj{"template": obj{"spec": obj{
		"containers": arr{obj{"name": "app", "image": "ghcr.io/acme/app:1.0.0", "env": env}}}}}}
}

func init() {
	pin := func(name, version string, want outcome) tc {
		return tc{name: name, res: one(helm(chartT, "keda", version, "https://kedacore.github.io/charts", obj{})), want: want}
	}
	addEquivalences("helm-chart-pinned",
		pin("empty", "", violates),
		pin("blank", "  ", violates),
		pin("latest", "latest", violates),
		pin("star", "*", violates),
		pin("partial-is-a-range", "2.20", violates),
		pin("x-range", "2.20.x", violates),
		pin("tilde", "~2.20.2", violates),
		pin("caret", "^2.20.2", violates),
		pin("gte", ">=2.20.2", violates),
		pin("or", "2.20.2 || 2.20.3", violates),
		tc{name: "oci-without-version", res: one(helm(chartT, "oci://ghcr.io/acme/charts/app", "", "", obj{})), want: violates},
		tc{name: "v3-release-range", res: one(helm(release, "keda", "2.x", "https://kedacore.github.io/charts", obj{})), want: violates},
		pin("exact", "2.20.2", passes),
		pin("v-prefix", "v2.20.2", passes),
		pin("equals-is-exact", "=2.20.2", passes),
		pin("padded", " 2.20.2 ", passes),
		pin("prerelease", "2.21.0-rc.1", passes),
		tc{name: "archive-url", res: one(helm(chartT, "https://kedacore.github.io/charts/keda-2.20.2.tgz", "", "", obj{})), want: passes},
		tc{name: "component-without-inputs", res: one(mk(chartT, "keda", obj{})), want: passes},
		tc{name: "unknown", res: one(mk(chartT, "keda", obj{"chart": "keda", "version": unk})), want: undecided},
		tc{name: "unknown-chart", res: one(mk(chartT, "keda", obj{"chart": unkOutput, "version": "2.20.2"})), want: undecided},
	)

	repo := func(name, chart, repo string, want outcome) tc {
		return tc{name: name, res: one(helm(chartT, chart, "1.0.0", repo, obj{})), want: want}
	}
	addEquivalences("helm-allowed-repositories",
		// An absolute chart URL is fetched from that URL; repositoryOpts.repo does not change it.
		repo("https-archive-with-allowed-repo-opts", "https://charts.example.com/keda-2.20.2.tgz", "https://kedacore.github.io/charts", violates),
		repo("oci-with-allowed-repo-opts", "oci://registry.example.com/charts/keda", "https://kedacore.github.io/charts", violates),
		repo("http-archive", "http://kedacore.github.io/charts/keda-2.20.2.tgz", "", violates),
		repo("other-repo", "keda", "https://charts.example.com", violates),
		repo("path-case-differs", "keda", "https://kedacore.github.io/CHARTS", violates),
		repo("alias-only", "kedacore/keda", "", violates),
		repo("blank-repo", "keda", " ", violates),
		tc{name: "v3-release-absolute-url", res: one(helm(release, "https://charts.example.com/vault-0.34.1.tgz", "", "https://helm.releases.hashicorp.com", obj{})), want: violates},
		repo("allowed", "keda", "https://kedacore.github.io/charts", passes),
		repo("host-case-and-slash", "keda", "HTTPS://KedaCore.GitHub.io/charts/", passes),
		repo("allowed-archive-url", "https://kedacore.github.io/charts/keda-2.20.2.tgz", "", passes),
		repo("allowed-archive-url-other-repo-opts", "https://kedacore.github.io/charts/keda-2.20.2.tgz", "https://charts.example.com", passes),
		repo("local", "./charts/canary", "", passes),
		tc{name: "unknown-repo", res: one(mk(chartT, "keda", obj{"chart": "keda", "repositoryOpts": obj{"repo": unkOutput}})), want: undecided},
		tc{name: "unknown-chart", res: one(mk(chartT, "keda", obj{"chart": unk, "repositoryOpts": obj{"repo": "https://kedacore.github.io/charts"}})), want: undecided},
	)

	vals := func(name string, values obj, want outcome) tc {
		return tc{name: name, res: one(helm(chartT, "app", "1.0.0", "https://kedacore.github.io/charts", values)), want: want}
	}
	addEquivalences("helm-values-secrets",
		vals("camel", obj{"auth": obj{"adminPassword": "p"}}, violates),
		vals("snake", obj{"auth": obj{"admin_password": "p"}}, violates),
		vals("kebab", obj{"auth": obj{"admin-password": "p"}}, violates),
		vals("upper", obj{"auth": obj{"ADMIN_PASSWORD": "p"}}, violates),
		vals("api-key-kebab", obj{"api-key": "k"}, violates),
		vals("secret-access-key", obj{"s3": obj{"secret_access_key": "k"}}, violates),
		vals("client-secret", obj{"oidc": obj{"clientSecret": "s"}}, violates),
		vals("bearer-token", obj{"bearerToken": "t"}, violates),
		vals("passphrase", obj{"gpg": obj{"passphrase": "x"}}, violates),
		vals("in-a-list", obj{"users": arr{obj{"name": "a", "password": "p"}}}, violates),
		vals("env-list", obj{"extraEnv": arr{obj{"name": "DB_PASSWORD", "value": "p"}}}, violates),
		vals("env-list-token", obj{"env": arr{obj{"name": "GITHUB_TOKEN", "value": "ghp_x"}}}, violates),
		vals("env-map", obj{"env": obj{"DB_PASSWORD": "p"}}, violates),
		vals("secret-value", obj{"auth": obj{"adminPassword": secret("p")}}, passes),
		vals("env-list-secret", obj{"extraEnv": arr{obj{"name": "DB_PASSWORD", "value": secret("p")}}}, passes),
		vals("env-list-value-from", obj{"extraEnv": arr{obj{"name": "DB_PASSWORD", "valueFrom": obj{"secretKeyRef": obj{"name": "db", "key": "password"}}}}}, passes),
		vals("env-list-not-credential", obj{"extraEnv": arr{obj{"name": "LOG_LEVEL", "value": "debug"}}}, passes),
		vals("references", obj{"auth": obj{"existingSecret": "s", "passwordKey": "pw", "secret_name": "x", "token-file": "/var/run/token"}}, passes),
		vals("env-expansion", obj{"adminPassword": "${ADMIN_PASSWORD}", "apiToken": "$(API_TOKEN)"}, passes),
		vals("empty", obj{"adminPassword": ""}, passes),
		vals("unknown-secret-credential", obj{"adminPassword": resource.MakeSecret(unk)}, passes),
		vals("unknown-credential", obj{"adminPassword": unkOutput}, undecided),
		tc{name: "unknown-values", res: one(mk(chartT, "app", obj{"chart": "app", "values": unkOutput})), want: undecided},
		// What a real run sends for a v4 Chart: the rendered objects. Only Secret objects are marked secret.
		tc{name: "rendered-env-literal", res: one(rendered(deploymentT, "app", deployEnv(arr{obj{"name": "DB_PASSWORD", "value": "p"}}))), want: violates, msg: "env[DB_PASSWORD].value"},
		tc{name: "rendered-env-lower", res: one(rendered(deploymentT, "app", deployEnv(arr{obj{"name": "api-token", "value": "t"}}))), want: violates},
		tc{name: "rendered-env-marked-secret", res: one(rendered(deploymentT, "app", deployEnv(arr{obj{"name": "DB_PASSWORD", "value": secret("p")}}))), want: passes},
		tc{name: "rendered-configmap", res: one(rendered("kubernetes:core/v1:ConfigMap", "cfg", obj{"data": obj{"admin-password": "p", "log.level": "info"}})), want: violates, msg: "data.admin-password"},
		tc{name: "rendered-env-from-secret", res: one(rendered(deploymentT, "app", deployEnv(arr{obj{"name": "DB_PASSWORD", "valueFrom": obj{"secretKeyRef": obj{"name": "db", "key": "pw"}}}}))), want: passes},
		tc{name: "not-rendered-by-helm", res: one(mk(deploymentT, "app", deployEnv(arr{obj{"name": "DB_PASSWORD", "value": "p"}}))), want: passes},
		tc{name: "rendered-env-unknown", res: one(rendered(deploymentT, "app", deployEnv(arr{obj{"name": "DB_PASSWORD", "value": unk}}))), want: undecided},
		tc{name: "rendered-configmap-unknown", res: one(rendered("kubernetes:core/v1:ConfigMap", "cfg", obj{"data": unkOutput})), want: undecided},
	)

	img := func(name string, values obj, want outcome) tc {
		return tc{name: name, res: one(helm(chartT, "app", "1.0.0", "https://kedacore.github.io/charts", values)), want: want}
	}
	pod := func(name, list, image string, want outcome) tc {
		return tc{name: name, res: one(mk("kubernetes:core/v1:Pod", "p", obj{"spec": obj{list: arr{obj{"name": "c", "image": image}}}})), want: want}
	}
	addEquivalences("no-latest-images",
		img("values-image-latest", obj{"image": "ghcr.io/acme/app:latest"}, violates),
		img("values-image-untagged", obj{"sidecar": obj{"image": "ghcr.io/acme/app"}}, violates),
		img("values-tag-latest", obj{"image": obj{"repository": "ghcr.io/acme/app", "tag": "latest"}}, violates),
		img("values-tag-LATEST", obj{"image": obj{"repository": "ghcr.io/acme/app", "tag": "LATEST"}}, violates),
		img("values-imageTag", obj{"controller": obj{"imageTag": "latest"}}, violates),
		img("values-image_tag", obj{"controller": obj{"image_tag": "latest"}}, violates),
		img("values-empty-tag", obj{"image": "ghcr.io/acme/app:"}, violates),
		pod("pod-latest", "containers", "app:latest", violates),
		pod("pod-untagged", "containers", "docker.io/library/busybox", violates),
		pod("init-latest", "initContainers", "busybox:latest", violates),
		pod("ephemeral-latest", "ephemeralContainers", "busybox:latest", violates),
		tc{name: "rendered-deployment-latest", res: one(rendered(deploymentT, "app", obj{"spec": obj{"template": obj{"spec": obj{"containers": arr{obj{"name": "c", "image": "app:latest"}}}}}})), want: violates},
		img("values-pinned", obj{"image": obj{"repository": "ghcr.io/acme/app", "tag": "1.2.3"}}, passes),
		img("values-digest", obj{"image": "ghcr.io/acme/app@sha256:abc"}, passes),
		img("values-tag-not-image", obj{"release": obj{"tag": "latest"}}, passes),
		pod("registry-port", "containers", "registry:5000/app:2.0", passes),
		pod("tag-and-digest", "containers", "app:latest@sha256:abc", passes),
		img("values-without-images", obj{"x": 1}, passes),
		tc{name: "values-unknown", res: one(mk(chartT, "app", obj{"chart": "app", "values": unkOutput})), want: undecided},
		tc{name: "pod-image-unknown", res: one(mk("kubernetes:core/v1:Pod", "p", obj{"spec": obj{"containers": arr{obj{"name": "c", "image": unk}}}})), want: undecided},
	)

	storage := func(name string, spec any, want outcome) tc {
		return tc{name: name, res: kps(with(goodKPSValues(), "prometheus.prometheusSpec.storageSpec", spec)), want: want}
	}
	crd := func(name, kind string, st any, want outcome) tc {
		return tc{name: name, res: one(mk("kubernetes:monitoring.coreos.com/v1:"+kind, "p", obj{"spec": obj{"storage": st, "replicas": 1}})), want: want}
	}
	addEquivalences("observability-persistence",
		storage("unset", nil, violates),
		storage("empty", obj{}, violates),
		storage("emptyDir", obj{"emptyDir": obj{}}, violates),
		storage("emptyDir-memory", obj{"emptyDir": obj{"medium": "Memory", "sizeLimit": "10Gi"}}, violates),
		storage("ephemeral", obj{"ephemeral": obj{"volumeClaimTemplate": obj{"spec": obj{"storageClassName": "gp3"}}}}, violates),
		storage("only-mount-option", obj{"disableMountSubPath": true}, violates),
		crd("rendered-prometheus-emptyDir", "Prometheus", obj{"emptyDir": obj{}}, violates),
		crd("rendered-alertmanager-unset", "Alertmanager", nil, violates),
		storage("volume-claim-template", obj{"volumeClaimTemplate": obj{"spec": obj{"storageClassName": "gp3"}}}, passes),
		crd("rendered-prometheus-pvc", "Prometheus", obj{"volumeClaimTemplate": obj{"spec": obj{"storageClassName": "gp3"}}}, passes),
		tc{name: "other-chart", res: one(helm(release, "loki", "18.11.0", "https://grafana-community.github.io/helm-charts", obj{})), want: passes},
		storage("unknown", unkOutput, undecided),
		storage("unknown-template", obj{"volumeClaimTemplate": unkOutput}, undecided),
		crd("rendered-unknown", "Prometheus", unk, undecided),
	)
}

// TestChartComponentPoliciesSayWhereTheyAct: a policy that reads helm.sh/v4 Chart inputs, which a real run never
// sends, must say in policies/README.md what it judges instead.
func TestChartComponentPoliciesSayWhereTheyAct(t *testing.T) {
	for _, p := range pack.Policies() {
		for _, c := range p.Components {
			if c == chartT {
				assert.NotEmpty(t, p.RealRun, "%s reads v4 Chart inputs but does not say where it acts in a real run", p.ID)
			}
		}
	}
}
