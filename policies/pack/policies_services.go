package pack

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Platform-services policies: Helm charts and their values, images, Istio mTLS, Vault, observability.

var helmTypes = []string{tHelmRelease, tHelmChart}

var workloadTypes = []string{
	"kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet",
	"kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob", "kubernetes:core/v1:Pod",
}

func init() {
	register(
		&Policy{
			ID:          "helm-chart-pinned",
			Description: "Helm charts are pinned to an exact version (no ranges, no \"latest\").",
			Group:       "Platform services",
			Types:       helmTypes,
			Components:  []string{tHelmChart},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			RealRun:     "a `helm.sh/v3` Release's version input (Vault, kube-prometheus-stack). A v4 Chart arrives without inputs and its rendered objects only carry the version that was rendered, so the requested version is checked where the program builds it: `charts.Guard` refuses a catalogue entry that is not an exact version, and `go test ./internal/charts` runs this policy over every entry.",
			Fix:         "set version to the exact chart version from the chart catalogue (internal/charts).",
			check:       checkChartPinned,
		},
		&Policy{
			ID:          "helm-allowed-repositories",
			Description: "Helm charts come only from the allowed upstream repositories.",
			Group:       "Platform services",
			Types:       helmTypes,
			Components:  []string{tHelmChart},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Controls:    []Control{cis("5.1.4", "Minimize Container Registries to only those approved")},
			Params: []Param{{
				Name: "allowedRepositories", Type: StringArrayParam,
				Description: "Chart repository URLs (repositoryOpts.repo, or the oci:// prefix of chart) that may be used.",
				Default: same([]string{
					"https://aquasecurity.github.io/helm-charts",
					"https://charts.external-secrets.io",
					"https://grafana-community.github.io/helm-charts",
					"https://grafana.github.io/helm-charts",
					"https://helm.ngc.nvidia.com/nvidia",
					"https://helm.releases.hashicorp.com",
					"https://istio-release.storage.googleapis.com/charts",
					"https://kedacore.github.io/charts",
					"https://kubernetes-sigs.github.io/metrics-server",
					"https://kubernetes.github.io/autoscaler",
					"https://kyverno.github.io/kyverno/",
					"https://nvidia.github.io/dcgm-exporter/helm-charts",
					"https://nvidia.github.io/k8s-device-plugin",
					"https://open-telemetry.github.io/opentelemetry-helm-charts",
					"https://prometheus-community.github.io/helm-charts",
				}),
			}},
			RealRun: "a `helm.sh/v3` Release's chart and repositoryOpts.repo inputs. Nothing a v4 Chart sends names its repository, so `charts.Guard` (an absolute https repository, a plain chart name) and `go test ./internal/charts` (this policy over every catalogue entry) check it where the program builds it.",
			Fix:     "install from an allowed repository via the chart catalogue, or add the repository to allowedRepositories after review.",
			check:   checkAllowedRepos,
		},
		&Policy{
			ID:          "no-latest-images",
			Description: "Container images are pinned: a tag other than \"latest\" or a digest, in workloads and in Helm values.",
			Group:       "Platform services",
			Types:       append(append([]string{}, workloadTypes...), helmTypes...),
			Components:  []string{tHelmChart},
			Levels:      levels(Advisory, Mandatory, Mandatory),
			Controls:    []Control{eksBP("Image security: use immutable tags")},
			RealRun:     "every workload's containers, init and ephemeral containers, which includes the objects a v4 Chart renders; a `helm.sh/v3` Release's values input.",
			Fix:         "pin the image to a release tag or a digest (image@sha256:...).",
			check:       checkNoLatest,
		},
		&Policy{
			ID:          "helm-values-secrets",
			Description: "Credentials in Helm values (passwords, tokens, keys; env name/value lists too) are Pulumi secrets, and charts render them from Secrets, never into env values or ConfigMaps.",
			Group:       "Platform services",
			Types:       append(append([]string{"kubernetes:core/v1:ConfigMap"}, workloadTypes...), helmTypes...),
			Components:  []string{tHelmChart},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			RealRun:     "a `helm.sh/v3` Release's values input; for a v4 Chart, what it rendered: each container's env name/value in Deployments, StatefulSets, DaemonSets, Jobs, CronJobs and Pods, and ConfigMap data keys, for objects labelled `helm.sh/chart` or created under the Chart. The v4 Chart unwraps secrets before rendering, so a credential rendered outside a Secret is plaintext in state whatever values said.",
			Fix:         "pass the value as a secret (pulumi.ToSecret / secret config) or point the chart at an existing Kubernetes Secret (existingSecret, valueFrom.secretKeyRef).",
			check:       checkValuesSecrets,
		},
		&Policy{
			ID:          "mesh-mtls-strict",
			Description: "No Istio PeerAuthentication weakens mTLS to PERMISSIVE or DISABLE.",
			Group:       "Mesh",
			Types:       []string{tPeerAuthV1, tPeerAuthV1b1},
			Levels:      levels(Advisory, Mandatory, Mandatory),
			Fix:         "set spec.mtls.mode to STRICT (or UNSET to inherit the mesh-wide STRICT policy).",
			check:       checkPeerAuthStrict,
		},
		&Policy{
			ID:          "mesh-wide-strict-mtls",
			Description: "Whenever istiod is installed, a mesh-wide PeerAuthentication (root namespace, no selector) sets STRICT mTLS.",
			Group:       "Mesh",
			Types:       append([]string{tPeerAuthV1, tPeerAuthV1b1, "kubernetes:apps/v1:Deployment"}, helmTypes...),
			Stack:       true,
			Levels:      levels(Advisory, Mandatory, Mandatory),
			Params: []Param{{
				Name: "rootNamespace", Type: StringParam, Description: "Istio's root namespace, where mesh-wide policies live.",
				Default: same("istio-system"),
			}},
			RealRun:    "after `up` and in preview: PeerAuthentication objects, and whether istiod is installed, from a `helm.sh/v3` Release's chart or the `istiod` Deployment a v4 Chart renders.",
			Fix:        "add a PeerAuthentication named default in the root namespace with spec.mtls.mode STRICT and no selector.",
			checkStack: checkMeshWideStrict,
		},
		&Policy{
			ID:          "vault-ha-raft",
			Description: "Vault runs in HA mode with integrated (raft) storage and at least minReplicas servers.",
			Group:       "Vault",
			Types:       helmTypes,
			Components:  []string{tHelmChart},
			Levels:      levels(Disabled, Advisory, Mandatory),
			Params: []Param{{
				Name: "minReplicas", Type: IntParam, Description: "Fewest Vault server replicas (raft needs 3 for one-node fault tolerance).",
				Default: same(3),
			}},
			RealRun: "the Vault `helm.sh/v3` Release's values input (server mode, replicas, the configuration text the chart hands Vault). Were Vault installed as a v4 Chart, only its rendered objects would arrive and this policy would not act.",
			Fix:     "set values server.ha.enabled=true, server.ha.raft.enabled=true, server.ha.replicas>=3.",
			check:   vaultCheck(checkVaultHA),
		},
		&Policy{
			ID:          "vault-auto-unseal-kms",
			Description: "Vault auto-unseals with AWS KMS (a seal \"awskms\" stanza), so a restarted pod does not wait for key holders.",
			Group:       "Vault",
			Types:       helmTypes,
			Components:  []string{tHelmChart},
			Levels:      levels(Disabled, Advisory, Mandatory),
			RealRun:     "the Vault `helm.sh/v3` Release's values input (server mode, replicas, the configuration text the chart hands Vault). Were Vault installed as a v4 Chart, only its rendered objects would arrive and this policy would not act.",
			Fix:         "add seal \"awskms\" { region, kms_key_id } to the server configuration and give the server an IRSA role for the key.",
			check:       vaultCheck(checkVaultUnseal),
		},
		&Policy{
			ID:          "vault-tls",
			Description: "Vault's listener serves TLS (global.tlsDisable=false, no tls_disable in the listener).",
			Group:       "Vault",
			Types:       helmTypes,
			Components:  []string{tHelmChart},
			Levels:      levels(Advisory, Advisory, Mandatory),
			RealRun:     "the Vault `helm.sh/v3` Release's values input (server mode, replicas, the configuration text the chart hands Vault). Were Vault installed as a v4 Chart, only its rendered objects would arrive and this policy would not act.",
			Fix:         "set values global.tlsDisable=false and configure tls_cert_file/tls_key_file in the listener.",
			check:       vaultCheck(checkVaultTLS),
		},
		&Policy{
			ID:          "vault-dev-mode-off",
			Description: "Vault never runs in dev mode (in-memory, unsealed, root token \"root\").",
			Group:       "Vault",
			Types:       helmTypes,
			Components:  []string{tHelmChart},
			Levels:      levels(Advisory, Mandatory, Mandatory),
			RealRun:     "the Vault `helm.sh/v3` Release's values input (server mode, replicas, the configuration text the chart hands Vault). Were Vault installed as a v4 Chart, only its rendered objects would arrive and this policy would not act.",
			Fix:         "remove server.dev.enabled.",
			check:       vaultCheck(checkVaultDevMode),
		},
		&Policy{
			ID:          "vault-k8s-auth-role-scoped",
			Description: "Vault Kubernetes auth roles bind named service accounts in named namespaces, no wildcards.",
			Group:       "Vault",
			Types:       []string{tVaultK8sRole},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Fix:         "list the exact service account names and namespaces in boundServiceAccountNames / boundServiceAccountNamespaces.",
			check:       checkVaultRoleScoped,
		},
		&Policy{
			ID:          "vault-k8s-auth-role-ttl",
			Description: "Vault Kubernetes auth roles issue tokens with bounded TTLs (tokenTtl, tokenMaxTtl) that are not periodic (no tokenPeriod).",
			Group:       "Vault",
			Types:       []string{tVaultK8sRole},
			Levels:      levels(Advisory, Mandatory, Mandatory),
			Params: []Param{
				{Name: "maxTokenTtl", Type: IntParam, Description: "Largest tokenTtl in seconds.", Default: same(3600)},
				{Name: "maxTokenMaxTtl", Type: IntParam, Description: "Largest tokenMaxTtl in seconds.", Default: same(86400)},
			},
			Fix:   "set tokenTtl (e.g. 3600) and tokenMaxTtl (e.g. 86400) in seconds, and leave tokenPeriod unset.",
			check: checkVaultRoleTTL,
		},
		&Policy{
			ID:          "observability-persistence",
			Description: "Prometheus and Alertmanager keep their data on persistent volumes: a volumeClaimTemplate, not emptyDir or an ephemeral volume (kube-prometheus-stack storage specs, or the rendered Prometheus and Alertmanager objects).",
			Group:       "Observability",
			Types:       append([]string{"kubernetes:monitoring.coreos.com/v1:Prometheus", "kubernetes:monitoring.coreos.com/v1:Alertmanager"}, helmTypes...),
			Components:  []string{tHelmChart},
			Levels:      levels(Disabled, Advisory, Mandatory),
			RealRun:     "kube-prometheus-stack is a `helm.sh/v3` Release: its values input. A `Prometheus` or `Alertmanager` object registered directly or rendered by a v4 Chart: its spec.storage.",
			Fix:         "set values prometheus.prometheusSpec.storageSpec and alertmanager.alertmanagerSpec.storage (volumeClaimTemplate with a gp3 storage class).",
			check:       checkObservabilityPersistence,
		},
	)
}

// chartName returns the chart's name whatever form it was given in ("vault", "hashicorp/vault",
// "oci://registry/charts/vault", "https://.../vault-0.30.1.tgz").
func chartName(r Resource) (string, value) {
	v := lookup(r.Properties, "chart")
	s, ok := v.str()
	if !ok {
		return "", v
	}
	s = strings.TrimSuffix(s, "/")
	if i := strings.LastIndex(s, "/"); i >= 0 {
		s = s[i+1:]
	}
	if strings.HasSuffix(s, ".tgz") {
		s = strings.TrimSuffix(s, ".tgz")
		if i := strings.LastIndex(s, "-"); i > 0 {
			s = s[:i]
		}
	}
	return s, v
}

// absoluteChart is a chart given as a URL (an archive over HTTP(S) or an OCI reference).
func absoluteChart(chart string) bool {
	l := strings.ToLower(strings.TrimSpace(chart))
	return strings.HasPrefix(l, "oci://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}

func isLocalChart(chart string) bool {
	return strings.HasPrefix(chart, "./") || strings.HasPrefix(chart, "../") || strings.HasPrefix(chart, "/")
}

// exactVersion matches a SemVer 2 version, with an optional leading v.
var exactVersion = regexp.MustCompile(`^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

func checkChartPinned(c *checker, r Resource) {
	chart := c.get("chart")
	if !c.requireKnown("chart", chart) {
		return
	}
	if s, ok := chart.str(); ok && (isLocalChart(s) || strings.HasSuffix(s, ".tgz")) {
		return // a vendored chart is pinned by the repository itself
	}
	v := c.get("version")
	if !c.requireKnown("version", v) {
		return
	}
	s, ok := v.str()
	if !ok || strings.TrimSpace(s) == "" {
		c.fail("version is not set, so every `pulumi up` may install whatever the repository serves as newest")
		return
	}
	// Helm reads the version as a SemVer constraint (Masterminds/semver): "=1.2.3" and " 1.2.3 " select exactly
	// 1.2.3, while "1.2", "1.2.x", "~1.2.3", "^1", ">=1.2.3", "*" and "latest" select whatever is newest.
	if !exactVersion.MatchString(strings.TrimPrefix(strings.TrimSpace(s), "=")) {
		c.fail("version is %s, which is a range or not a release version; pin an exact version", v.show())
	}
}

func checkAllowedRepos(c *checker, r Resource) {
	chart := c.get("chart")
	repo := c.get("repositoryOpts.repo")
	if chart.p == unknown || repo.p == unknown {
		c.unknown("chart/repositoryOpts.repo")
		return
	}
	cs, _ := chart.str()
	if isLocalChart(cs) {
		return
	}
	allowed := c.stringsParam("allowedRepositories")
	norm := func(u string) string {
		// Scheme and host are case-insensitive; the path is not.
		u = strings.TrimSuffix(strings.TrimSpace(u), "/")
		if p, err := url.Parse(u); err == nil && p.Host != "" {
			p.Scheme, p.Host = strings.ToLower(p.Scheme), strings.ToLower(p.Host)
			return p.String()
		}
		return u
	}
	var source string
	switch rs, ok := repo.str(); {
	case absoluteChart(cs):
		// Helm fetches an absolute chart reference from that URL and never consults the repository
		// (helm's ChartPathOptions.LocateChart), so repositoryOpts.repo says nothing about where it comes from.
		source = cs[:strings.LastIndex(cs, "/")]
	case ok && strings.TrimSpace(rs) != "":
		source = rs
	default:
		c.fail("chart %s names no repository (repositoryOpts.repo is not set), so it resolves against whatever `helm repo add` aliases the runner has", chart.show())
		return
	}
	for _, a := range allowed {
		if norm(a) == norm(source) {
			return
		}
	}
	c.fail("chart %s comes from %q, which is not an allowed repository", chart.show(), source)
}

// imageRef judges one image reference; it returns a problem or "".
func imageProblem(image string) string {
	ref := image
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		ref = ref[i+1:]
	}
	switch {
	case strings.Contains(ref, "@"):
		return ""
	case !strings.Contains(ref, ":"):
		return "has no tag (implicitly latest)"
	case strings.HasSuffix(ref, ":latest"):
		return "uses the latest tag"
	case strings.HasSuffix(ref, ":"):
		return "has an empty tag"
	}
	return ""
}

func checkNoLatest(c *checker, r Resource) {
	if contains(helmTypes, r.Type) {
		values := c.get("values")
		if values.p == unknown {
			c.unknown("values")
			return
		}
		walkValues(values, "values", func(path, key string, v value, parent map[string]value) {
			s, ok := v.str()
			if !ok || v.secret {
				return
			}
			k := strings.ToLower(keySeparators.Replace(key))
			switch {
			case k == "image" && s != "":
				if p := imageProblem(s); p != "" {
					c.fail("%s = %q %s", path, s, p)
				}
			case (k == "imagetag" || k == "tag" && strings.Contains(strings.ToLower(path), "image")) && strings.EqualFold(strings.TrimSpace(s), "latest"):
				c.fail("%s = %q", path, s)
			}
		})
		return
	}
	spec := podSpecPath(r.Type)
	for _, list := range []string{"containers", "initContainers", "ephemeralContainers"} {
		path := spec + "." + list
		v := c.get(path)
		if !c.requireKnown(path, v) {
			continue
		}
		elems, _ := v.items()
		for i, ctr := range elems {
			img := ctr.field("image")
			if img.p == unknown {
				c.unknown(fmt.Sprintf("%s[%d].image", path, i))
				continue
			}
			s, ok := img.str()
			if !ok {
				continue
			}
			if s == istioAutoImage {
				name, _ := ctr.field("name").str()
				inject := lookup(r.Properties, podMetaPath(r.Type)+".labels").key(istioInjectLabel)
				if inject.p == unknown {
					c.unknown(podMetaPath(r.Type) + ".labels")
					continue
				}
				if v, _ := inject.str(); name == istioProxyContainer && v == "true" {
					continue
				}
			}
			if p := imageProblem(s); p != "" {
				c.fail("%s[%d].image %s %s", path, i, redact(img.secret, s), p)
			}
		}
	}
}

// Istio's gateway chart renders its proxy container as image "auto": the sidecar injector replaces it with
// the proxy image of the revision that injects the pod (istio gateway chart templates/deployment.yaml; Istio
// "Customizing injection": a container named like the template's istio-proxy is merged, "auto" filled in).
// Only that container of a pod template that asks for injection is exempt; "auto" anywhere else is an
// untagged image called auto.
const (
	istioAutoImage      = "auto"
	istioProxyContainer = "istio-proxy"
	istioInjectLabel    = "sidecar.istio.io/inject"
)

// podMetaPath is the metadata of the pod (template) a workload type runs.
func podMetaPath(typ string) string {
	return strings.TrimSuffix(podSpecPath(typ), "spec") + "metadata"
}

// walkValues visits every leaf and object of a Helm values tree in sorted key order.
func walkValues(v value, path string, visit func(path, key string, v value, parent map[string]value)) {
	var rec func(v value, path, key string, parent map[string]value)
	rec = func(v value, path, key string, parent map[string]value) {
		visit(path, key, v, parent)
		if v.p != known {
			return
		}
		switch {
		case v.v.IsObject():
			keys, vals := v.object()
			for _, k := range keys {
				rec(vals[k], path+"."+k, k, vals)
			}
		case v.v.IsArray():
			elems, _ := v.items()
			for i, e := range elems {
				rec(e, fmt.Sprintf("%s[%d]", path, i), key, parent)
			}
		}
	}
	rec(v, path, "", nil)
}

// credentialKey names a value that is a credential; referenceKey names a pointer to one (a Secret name, a key in a
// Secret), which is fine in plaintext.
//
// Keys are compared after dropping "_", "-" and "." and folding case, so adminPassword, admin_password,
// admin-password and ADMIN_PASSWORD are one key.
var (
	credentialKey = regexp.MustCompile(`(?i)(password|passwd|passphrase|pwd|secret|token|apikey|accesskey|privatekey|credentials?|connectionstring|dsn)$`)
	referenceKey  = regexp.MustCompile(`(?i)(^existing|secretname$|secretref$|keyref$|passwordkey$|secretkeyref$|usernamekey$|tokenkey$|secretkey$|^secretproviderclass|secretrefname$|tokenpath$|tokenfile$|passwordfile$|secretfile$|secretpath$|credentialsfile$)`)
	// valueReference is a value that points elsewhere instead of holding the credential (env/file expansion,
	// a Kubernetes $(VAR) reference, a file path).
	valueReference = regexp.MustCompile(`^(\$__(env|file)\{|\$\{|\$\(|\{\{|/)`)
	keySeparators  = strings.NewReplacer("_", "", "-", "", ".", "")
)

// credentialName reports whether a key (or an env variable's name) names a credential rather than a pointer to one.
func credentialName(key string) bool {
	k := keySeparators.Replace(key)
	return k != "" && credentialKey.MatchString(k) && !referenceKey.MatchString(k)
}

// plaintextCredential reports a known, non-secret string that holds a credential (not empty, not a reference).
func plaintextCredential(v value) bool {
	if v.p != known || v.secret {
		return false
	}
	s, ok := v.str()
	return ok && strings.TrimSpace(s) != "" && !valueReference.MatchString(s)
}

func checkValuesSecrets(c *checker, r Resource) {
	if !contains(helmTypes, r.Type) {
		checkRenderedCredentials(c, r)
		return
	}
	values := c.get("values")
	if values.p == unknown {
		c.unknown("values")
		return
	}
	var bad []string
	walkValues(values, "values", func(path, key string, v value, parent map[string]value) {
		switch {
		case key == "value" && parent != nil:
			// A name/value pair (env lists such as extraEnv: [{name: DB_PASSWORD, value: ...}]).
			if n, ok := parent["name"].str(); ok && credentialName(n) && plaintextCredential(v) {
				bad = append(bad, path+" (env "+n+")")
			}
		case key != "" && credentialName(key) && v.p == unknown && !v.secret:
			c.unknown(path) // plaintext or not is decided when the value is known
		case key != "" && credentialName(key) && plaintextCredential(v):
			bad = append(bad, path)
		}
	})
	sort.Strings(bad)
	for _, p := range bad {
		// Never echo the value: it is the credential.
		c.fail("%s is a plaintext string; it would be stored unencrypted in state and shown in diffs", p)
	}
}

// renderedByHelm reports an object a chart rendered: Helm's standard label, or a helm.sh Chart component above it
// in its URN (the v4 Chart registers each rendered object as its child).
func renderedByHelm(r Resource) bool {
	if lookup(r.Properties, "metadata.labels").key("helm.sh/chart").p == known {
		return true
	}
	if mb, ok := lookup(r.Properties, "metadata.labels").key("app.kubernetes.io/managed-by").str(); ok && strings.EqualFold(mb, "helm") {
		return true
	}
	return strings.Contains(r.URN, tHelmChart+"$")
}

// checkRenderedCredentials judges the objects a chart rendered, which is what a real run sends for a helm.sh/v4
// Chart (the component itself reaches policies without inputs). The v4 Chart marks only Secret objects as Pulumi
// secrets (pulumi-kubernetes provider/pkg/provider/yaml/v2/yaml.go); a credential the chart renders into a
// container's env value or a ConfigMap is stored in plaintext in state, whether or not it was a secret in values.
func checkRenderedCredentials(c *checker, r Resource) {
	if !renderedByHelm(r) {
		return
	}
	if r.Type == "kubernetes:core/v1:ConfigMap" {
		data := c.get("data")
		if data.p == unknown {
			c.unknown("data")
			return
		}
		keys, vals := data.object()
		for _, k := range keys {
			if vals[k].p == unknown {
				c.unknown("data." + k)
				continue
			}
			if credentialName(k) && plaintextCredential(vals[k]) {
				c.fail("data.%s of the chart-rendered ConfigMap holds a credential in plaintext (ConfigMaps are never secret)", k)
			}
		}
		return
	}
	spec := podSpecPath(r.Type)
	for _, list := range []string{"containers", "initContainers"} {
		path := spec + "." + list
		v := c.get(path)
		if !c.requireKnown(path, v) {
			continue
		}
		ctrs, _ := v.items()
		for i, ctr := range ctrs {
			env := ctr.field("env")
			if env.p == unknown {
				c.unknown(fmt.Sprintf("%s[%d].env", path, i))
				continue
			}
			vars, _ := env.items()
			for _, e := range vars {
				n, _ := e.field("name").str()
				ev := e.field("value")
				if ev.p == unknown {
					c.unknown(fmt.Sprintf("%s[%d].env[%s].value", path, i, n))
					continue
				}
				if credentialName(n) && plaintextCredential(ev) {
					c.fail("%s[%d].env[%s].value is a literal credential in a chart-rendered %s; render it from a Secret (valueFrom.secretKeyRef)", path, i, n, r.Type[strings.LastIndex(r.Type, ":")+1:])
				}
			}
		}
	}
}

// podSpecPath is where a workload type keeps its pod spec.
func podSpecPath(typ string) string {
	switch typ {
	case "kubernetes:core/v1:Pod":
		return "spec"
	case "kubernetes:batch/v1:CronJob":
		return "spec.jobTemplate.spec.template.spec"
	}
	return "spec.template.spec"
}

func peerAuthModes(r Resource) map[string]value {
	modes := map[string]value{"spec.mtls.mode": lookup(r.Properties, "spec.mtls.mode")}
	ports := lookup(r.Properties, "spec.portLevelMtls")
	keys, vals := ports.object()
	for _, k := range keys {
		modes["spec.portLevelMtls."+k+".mode"] = vals[k].field("mode")
	}
	return modes
}

func checkPeerAuthStrict(c *checker, r Resource) {
	modes := peerAuthModes(r)
	for _, path := range sortedKeys(modes) {
		v := modes[path]
		if !c.requireKnown(path, v) {
			continue
		}
		if s, ok := v.str(); ok && (s == "PERMISSIVE" || s == "DISABLE") {
			c.fail("%s is %s, which accepts plaintext traffic inside the mesh", path, v.show())
		}
	}
}

func checkMeshWideStrict(c *checker, rs []Resource) {
	istiod := false
	for _, r := range ofType(rs, helmTypes...) {
		if name, _ := chartName(r); name == "istiod" {
			istiod = true
		}
	}
	// In a real run a helm.sh/v4 Chart component carries no inputs, but its rendered istiod Deployment is there.
	for _, r := range ofType(rs, "kubernetes:apps/v1:Deployment") {
		if n, ok := lookup(r.Properties, "metadata.name").str(); ok && strings.HasPrefix(n, "istiod") {
			istiod = true
		}
	}
	if !istiod {
		return
	}
	root := c.param("rootNamespace").(string)
	for _, pa := range ofType(rs, tPeerAuthV1, tPeerAuthV1b1) {
		ns := lookup(pa.Properties, "metadata.namespace")
		mode := lookup(pa.Properties, "spec.mtls.mode")
		if ns.p == unknown || mode.p == unknown {
			c.unknownOn(pa, "metadata.namespace/spec.mtls.mode")
			return
		}
		n, _ := ns.str()
		m, _ := mode.str()
		if n == root && lookup(pa.Properties, "spec.selector").p == missing && m == "STRICT" {
			return
		}
	}
	c.failStack("istiod is installed but no PeerAuthentication in %q without a selector sets spec.mtls.mode STRICT, so workloads accept plaintext by default", root)
}

// vaultCheck restricts a check to the Vault chart and reads its server mode as the chart does (see vaultcfg.go).
// A release that runs no server here (external mode, or no mode enabled) has nothing to judge.
func vaultCheck(check func(c *checker, vv vaultValues, mode string)) func(c *checker, r Resource) {
	return func(c *checker, r Resource) {
		name, chart := chartName(r)
		if chart.p == unknown {
			c.unknown("chart")
			return
		}
		if name != "vault" {
			return
		}
		values := c.get("values")
		if values.p == unknown {
			c.unknown("values")
			return
		}
		vv := vaultValues{v: values}
		mode, u := vv.mode()
		if u != "" {
			c.unknown("values." + u)
			return
		}
		if mode == "external" || mode == "" {
			return
		}
		check(c, vv, mode)
	}
}

// vaultConfig reads the configuration the chart renders, recording unknowns and reporting unreadable text.
func vaultConfig(c *checker, vv vaultValues, mode string) (vaultServerConfig, bool) {
	cfg, u, err := vv.config(mode)
	if u != "" {
		c.unknown(u)
		return cfg, false
	}
	if err != nil {
		c.fail("%v", err)
		return cfg, false
	}
	return cfg, true
}

func checkVaultHA(c *checker, vv vaultValues, mode string) {
	if mode != "ha" {
		ha := vv.v.field("server.ha.enabled")
		why := ""
		if mode == "dev" {
			why = " and server.dev.enabled is true (dev mode wins)"
		}
		c.fail("values.server.ha.enabled is %s%s, so the chart runs Vault in %s mode; a single Vault server is a single point of failure for every secret", ha.show(), why, mode)
		return
	}
	if raft, _ := vv.toString("server.ha.raft.enabled"); raft != "true" {
		c.fail("values.server.ha.raft.enabled is %s (the chart reads only true or \"true\"); use integrated raft storage (no external Consul to run)", vv.v.field("server.ha.raft.enabled").show())
	}
	replicas := vv.v.field("server.ha.replicas")
	if replicas.p == unknown {
		c.unknown("values.server.ha.replicas")
		return
	}
	n := 3.0 // the chart's default, also used for any value that is not a number
	if replicas.p == known && replicas.v.IsNumber() {
		n = replicas.v.NumberValue()
	}
	if want := c.intParam("minReplicas"); int(n) < want {
		c.fail("values.server.ha.replicas is %s; raft needs at least %d to survive losing one", replicas.show(), want)
	}
}

func checkVaultUnseal(c *checker, vv vaultValues, mode string) {
	if mode == "dev" {
		c.fail("values.server.dev.enabled is true: dev mode has no seal at all")
		return
	}
	cfg, ok := vaultConfig(c, vv, mode)
	if !ok {
		return
	}
	if cfg.activeAWSKMSSeal() {
		return
	}
	c.fail("%s has no active seal \"awskms\" stanza (HCL or JSON; a disabled one does not count), so every restart needs manual unsealing", cfg.source)
}

func checkVaultTLS(c *checker, vv vaultValues, mode string) {
	v := vv.get("global.tlsDisable")
	on, ok := truthy(v)
	if !ok {
		c.unknown("values.global.tlsDisable")
		return
	}
	if on {
		c.fail("values.global.tlsDisable is %s (true in the chart when not set; the chart reads any non-empty string, \"false\" included, as true), so Vault serves plain HTTP", vv.v.field("global.tlsDisable").show())
	}
	if mode == "dev" {
		return
	}
	cfg, ok := vaultConfig(c, vv, mode)
	if !ok {
		return
	}
	if off := cfg.tlsDisabledListeners(); len(off) > 0 {
		c.fail("%s sets tls_disable on %s", cfg.source, strings.Join(off, ", "))
	}
}

func checkVaultDevMode(c *checker, vv vaultValues, mode string) {
	if mode == "dev" {
		c.fail("values.server.dev.enabled is %s: in-memory storage, auto-unsealed, with a well-known root token", vv.v.field("server.dev.enabled").show())
	}
}

func checkVaultRoleScoped(c *checker, r Resource) {
	for _, path := range []string{"boundServiceAccountNames", "boundServiceAccountNamespaces"} {
		v := c.get(path)
		if !c.requireKnown(path, v) {
			continue
		}
		list, ok := v.strings()
		if !ok {
			c.unknown(path)
			continue
		}
		for _, s := range list {
			if strings.Contains(s, "*") {
				c.fail("%s contains %q, so any matching service account can log in with this role", path, s)
			}
		}
	}
}

func checkVaultRoleTTL(c *checker, r Resource) {
	// A periodic token (token_period) is renewed for another period every time, without limit: Vault ignores the
	// max TTL for it ("Tokens" concept page, periodic tokens), so a leaked one never expires.
	if v := c.get("tokenPeriod"); v.p == unknown {
		c.unknown("tokenPeriod")
	} else if n, ok := v.number(); ok && n > 0 {
		c.fail("tokenPeriod is %s, so tokens are periodic and renew without limit (tokenMaxTtl does not apply)", v.show())
	}
	for _, p := range []struct{ path, param string }{{"tokenTtl", "maxTokenTtl"}, {"tokenMaxTtl", "maxTokenMaxTtl"}} {
		v := c.get(p.path)
		if !c.requireKnown(p.path, v) {
			continue
		}
		limit := c.intParam(p.param)
		n, ok := v.number()
		if !ok || n <= 0 {
			c.fail("%s is %s, so tokens fall back to Vault's system default (768h); set at most %d seconds", p.path, v.show(), limit)
			continue
		}
		if int(n) > limit {
			c.fail("%s is %s seconds, above the %d allowed", p.path, v.show(), limit)
		}
	}
}

// persistentStorage judges a prometheus-operator StorageSpec: only a volumeClaimTemplate outlives the pod; emptyDir
// (on any medium) and a generic ephemeral volume are deleted with it. It returns a problem or "".
func persistentStorage(v value) string {
	keys, vals := v.object()
	if len(keys) == 0 {
		return "is " + v.show() + ", so the data lives in an emptyDir"
	}
	if vct := vals["volumeClaimTemplate"]; vct.p == known {
		return ""
	}
	for _, k := range []string{"emptyDir", "ephemeral"} {
		if vals[k].p == known {
			return "uses " + k + ", which is deleted with the pod"
		}
	}
	return "has no volumeClaimTemplate"
}

func checkObservabilityPersistence(c *checker, r Resource) {
	if !contains(helmTypes, r.Type) {
		// The Prometheus and Alertmanager objects a chart rendered (what a real run sends for a v4 Chart).
		v := c.get("spec.storage")
		if v.p == unknown {
			c.unknown("spec.storage")
			return
		}
		if p := persistentStorage(v); p != "" {
			c.fail("spec.storage %s, so a pod restart loses the data (metrics history, silences)", p)
		}
		return
	}
	name, chart := chartName(r)
	if chart.p == unknown {
		c.unknown("chart")
		return
	}
	if name != "kube-prometheus-stack" {
		return
	}
	values := c.get("values")
	if values.p == unknown {
		c.unknown("values")
		return
	}
	for _, path := range []string{"prometheus.prometheusSpec.storageSpec", "alertmanager.alertmanagerSpec.storage"} {
		v := values.field(path)
		if v.p == unknown {
			c.unknown("values." + path)
			continue
		}
		if v.p == known && (v.field("volumeClaimTemplate").p == unknown || v.field("emptyDir").p == unknown) {
			c.unknown("values." + path)
			continue
		}
		if p := persistentStorage(v); p != "" {
			c.fail("values.%s %s, so a pod restart loses the data (metrics history, silences)", path, p)
		}
	}
}
