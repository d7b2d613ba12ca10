package pack

import (
	"fmt"
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
					"https://charts.external-secrets.io",
					"https://grafana-community.github.io/helm-charts",
					"https://grafana.github.io/helm-charts",
					"https://helm.ngc.nvidia.com/nvidia",
					"https://helm.releases.hashicorp.com",
					"https://istio-release.storage.googleapis.com/charts",
					"https://kedacore.github.io/charts",
					"https://kubernetes.github.io/autoscaler",
					"https://nvidia.github.io/dcgm-exporter/helm-charts",
					"https://nvidia.github.io/k8s-device-plugin",
					"https://open-telemetry.github.io/opentelemetry-helm-charts",
					"https://prometheus-community.github.io/helm-charts",
				}),
			}},
			Fix:   "install from an allowed repository via the chart catalogue, or add the repository to allowedRepositories after review.",
			check: checkAllowedRepos,
		},
		&Policy{
			ID:          "no-latest-images",
			Description: "Container images are pinned: a tag other than \"latest\" or a digest, in workloads and in Helm values.",
			Group:       "Platform services",
			Types:       append(append([]string{}, workloadTypes...), helmTypes...),
			Components:  []string{tHelmChart},
			Levels:      levels(Advisory, Mandatory, Mandatory),
			Controls:    []Control{eksBP("Image security: use immutable tags")},
			Fix:         "pin the image to a release tag or a digest (image@sha256:...).",
			check:       checkNoLatest,
		},
		&Policy{
			ID:          "helm-values-secrets",
			Description: "Credentials in Helm values (passwords, tokens, keys) are Pulumi secrets, never plaintext.",
			Group:       "Platform services",
			Types:       helmTypes,
			Components:  []string{tHelmChart},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Fix:         "pass the value as a secret (pulumi.ToSecret / secret config) or point the chart at an existing Kubernetes Secret.",
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
			Fix:   "set values server.ha.enabled=true, server.ha.raft.enabled=true, server.ha.replicas>=3.",
			check: vaultCheck(checkVaultHA),
		},
		&Policy{
			ID:          "vault-auto-unseal-kms",
			Description: "Vault auto-unseals with AWS KMS (a seal \"awskms\" stanza), so a restarted pod does not wait for key holders.",
			Group:       "Vault",
			Types:       helmTypes,
			Components:  []string{tHelmChart},
			Levels:      levels(Disabled, Advisory, Mandatory),
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
			Description: "Prometheus and Alertmanager keep their data on persistent volumes (kube-prometheus-stack storage specs).",
			Group:       "Observability",
			Types:       helmTypes,
			Components:  []string{tHelmChart},
			Levels:      levels(Disabled, Advisory, Mandatory),
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
	if !ok || s == "" {
		c.fail("version is not set, so every `pulumi up` may install whatever the repository serves as newest")
		return
	}
	if !exactVersion.MatchString(s) {
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
	norm := func(u string) string { return strings.TrimSuffix(strings.TrimSpace(u), "/") }
	var source string
	switch rs, ok := repo.str(); {
	case ok && rs != "":
		source = rs
	case strings.HasPrefix(cs, "oci://") || strings.HasPrefix(cs, "https://") || strings.HasPrefix(cs, "http://"):
		source = cs[:strings.LastIndex(cs, "/")]
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
			switch {
			case key == "image" && s != "":
				if p := imageProblem(s); p != "" {
					c.fail("%s = %q %s", path, s, p)
				}
			case key == "tag" && strings.EqualFold(s, "latest") && strings.Contains(strings.ToLower(path), "image"):
				c.fail("%s = \"latest\"", path)
			}
		})
		return
	}
	spec := "spec.template.spec"
	switch r.Type {
	case "kubernetes:core/v1:Pod":
		spec = "spec"
	case "kubernetes:batch/v1:CronJob":
		spec = "spec.jobTemplate.spec.template.spec"
	}
	for _, list := range []string{"containers", "initContainers"} {
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
			if p := imageProblem(s); p != "" {
				c.fail("%s[%d].image %s %s", path, i, redact(img.secret, s), p)
			}
		}
	}
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
var (
	credentialKey = regexp.MustCompile(`(?i)(password|passwd|secret|token|apikey|api_key|accesskey|access_key|privatekey|private_key|credentials?)$`)
	referenceKey  = regexp.MustCompile(`(?i)(^existing|secretname$|secretref$|keyref$|passwordkey$|secretkeyref$|usernamekey$|tokenkey$|secretkey$|^secretproviderclass|secretrefname$)`)
	// valueReference is a value that points elsewhere instead of holding the credential (env/file expansion).
	valueReference = regexp.MustCompile(`^(\$__(env|file)\{|\$\{|\{\{|/)`)
)

func checkValuesSecrets(c *checker, r Resource) {
	values := c.get("values")
	if values.p == unknown {
		c.unknown("values")
		return
	}
	var bad []string
	walkValues(values, "values", func(path, key string, v value, _ map[string]value) {
		if key == "" || !credentialKey.MatchString(key) || referenceKey.MatchString(key) {
			return
		}
		if v.p != known || v.secret {
			return
		}
		s, ok := v.str()
		if !ok || s == "" || valueReference.MatchString(s) {
			return
		}
		bad = append(bad, path)
	})
	sort.Strings(bad)
	for _, p := range bad {
		// Never echo the value: it is the credential.
		c.fail("%s is a plaintext string; it would be stored unencrypted in state and shown in diffs", p)
	}
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

func checkObservabilityPersistence(c *checker, r Resource) {
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
		if keys, _ := v.object(); len(keys) == 0 {
			c.fail("values.%s is %s, so a pod restart loses the data (metrics history, silences)", path, v.show())
		}
	}
}
