package config

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"strings"

	"github.com/platform-team/platform/internal/charts"
)

// This file holds the typed configuration of the platform services (issue 3): the service mesh,
// observability, Vault, the GPU runtime and autoscaling. Each is one structured config key in the platform
// namespace; a missing key means "all defaults for this environment". Secrets (the Grafana admin password,
// the Vault token) are deliberately not part of these structs: they are read as Pulumi secrets by the
// program (keys platform:grafanaAdminPassword and platform:vaultToken) so they never exist as plain strings.

// ServiceKeys are the config keys (namespace "platform") loadServices reads. None is required.
var ServiceKeys = []string{"mesh", "observability", "vault", "gpuRuntime", "autoscaling", "admission"}

// Services is the configuration of every in-cluster platform service.
type Services struct {
	Mesh          Mesh          `json:"-"`
	Observability Observability `json:"-"`
	Vault         Vault         `json:"-"`
	GPURuntime    GPURuntime    `json:"-"`
	Autoscaling   Autoscaling   `json:"-"`
	Admission     Admission     `json:"-"`
}

// Mesh is config key platform:mesh.
type Mesh struct {
	// IstiodMinReplicas / IstiodMaxReplicas bound istiod's autoscaler. Default: 1/2 dev, 2/3 staging, 2/5 prod.
	IstiodMinReplicas int `json:"istiodMinReplicas,omitempty"`
	IstiodMaxReplicas int `json:"istiodMaxReplicas,omitempty"`
	// GatewayMinReplicas / GatewayMaxReplicas bound the ingress gateway. Default: 1/2 dev, 2/3 staging, 3/10 prod.
	GatewayMinReplicas int `json:"gatewayMinReplicas,omitempty"`
	GatewayMaxReplicas int `json:"gatewayMaxReplicas,omitempty"`
	// InternetFacing puts the gateway NLB on public subnets. Default: false (internal NLB).
	InternetFacing bool `json:"internetFacing,omitempty"`
	// LoadBalancerSourceRanges restrict an internet-facing gateway (required then; never 0.0.0.0/0).
	// Default: none.
	LoadBalancerSourceRanges []string `json:"loadBalancerSourceRanges,omitempty"`
	// TracingSamplingPercent of requests traced. Default: 10 dev, 5 staging, 1 prod.
	TracingSamplingPercent float64 `json:"tracingSamplingPercent,omitempty"`
	// RevisionTag application namespaces label themselves with (istio.io/rev). Default: stable.
	RevisionTag string `json:"revisionTag,omitempty"`
	// Revisions are the istiod control planes run side by side, each its own release (upgrade runbook in
	// docs/services.md). Default: one revision of the catalogue's istiod version.
	Revisions []MeshRevision `json:"revisions,omitempty"`
	// TagRevision is the revision RevisionTag points at; moving it is the upgrade's cut-over. Required with
	// more than one revision, so adding a revision never moves the tag in the same change. Default: the only
	// revision.
	TagRevision string `json:"tagRevision,omitempty"`
}

// MeshRevision is one entry of mesh.revisions.
type MeshRevision struct {
	// Name is the revision (istio.io/rev), a DNS label. Default: version with dots as dashes ("1-30-3").
	Name string `json:"name,omitempty"`
	// Version of istiod, one of the catalogue's istiod versions (charts.IstiodVersions). Default: the
	// catalogue's istiod version.
	Version string `json:"version,omitempty"`
}

// Observability is config key platform:observability.
type Observability struct {
	// PrometheusReplicas. Default: 1 (dev, staging), 2 (prod).
	PrometheusReplicas int `json:"prometheusReplicas,omitempty"`
	// PrometheusRetention as a Prometheus duration. Default: 7d dev, 15d staging, 30d prod.
	PrometheusRetention string `json:"prometheusRetention,omitempty"`
	// PrometheusStorageGiB per replica (gp3 PVC). Default: 20 dev, 50 staging, 200 prod.
	PrometheusStorageGiB int `json:"prometheusStorageGiB,omitempty"`
	// AlertmanagerReplicas. Default: 1 dev, 2 staging, 3 prod.
	AlertmanagerReplicas int `json:"alertmanagerReplicas,omitempty"`
	// GrafanaPersistence keeps Grafana's database on a PVC. Default: false dev, true elsewhere.
	GrafanaPersistence *bool `json:"grafanaPersistence,omitempty"`
	// LogRetentionDays bounds Loki's S3 bucket and compactor retention. Default: 7 dev, 30 staging, 90 prod.
	LogRetentionDays int `json:"logRetentionDays,omitempty"`
	// TraceRetentionDays bounds Tempo's S3 bucket and compactor retention. Default: 3 dev, 7 staging, 30 prod.
	TraceRetentionDays int `json:"traceRetentionDays,omitempty"`
	// AccessLogging turns on S3 server access logging of the Loki and Tempo buckets, into a dedicated
	// access-log bucket (docs/services.md, "Who read the logs and traces"). Default: true in prod, false
	// elsewhere; must be true in prod (the policy s3-access-logging requires it there).
	AccessLogging *bool `json:"accessLogging,omitempty"`
	// SLOs generate multi-window multi-burn-rate alert rules. Default: none.
	SLOs []SLO `json:"slos,omitempty"`
	// Alerting routes Alertmanager notifications by severity (alerting.go). Default: everything to the null
	// receiver.
	Alerting Alerting `json:"alerting,omitempty"`
}

// SLO is one entry of observability.slos.
type SLO struct {
	// Service is the Istio destination service name (destination_service_name). Required.
	Service string `json:"service"`
	// Namespace of the service (destination_service_namespace). Required.
	Namespace string `json:"namespace"`
	// Objective is the target percentage of good requests, e.g. 99.9. Required, in (0, 100).
	Objective float64 `json:"objective"`
	// LatencyThresholdMs makes a request slower than this bad too; one of Istio's latency bucket boundaries
	// (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, ... ms). Default: 0 (availability only).
	LatencyThresholdMs int `json:"latencyThresholdMs,omitempty"`
}

// Vault is config key platform:vault.
type Vault struct {
	// Replicas of the raft cluster: 1 in dev, an odd number >= 3 elsewhere. Default: 1 dev, 3 staging and prod.
	Replicas int `json:"replicas,omitempty"`
	// StorageGiB of each replica's raft volume. Default: 10.
	StorageGiB int `json:"storageGiB,omitempty"`
	// AuditStorageGiB of each replica's audit log volume. Default: 10.
	AuditStorageGiB int `json:"auditStorageGiB,omitempty"`
	// Injector installs the Vault Agent sidecar injector. Default: true.
	Injector *bool `json:"injector,omitempty"`
	// KMSDeletionWindowDays for the auto-unseal key. Default: 7 dev, 30 elsewhere.
	KMSDeletionWindowDays int `json:"kmsDeletionWindowDays,omitempty"`
	// Configure enables the second stage (Vault configuration as code: auth, KV, policies, team roles,
	// External Secrets store). Turn it on once Vault is initialised and platform:vaultToken is set.
	// Default: false.
	Configure bool `json:"configure,omitempty"`
	// Address Pulumi uses to reach Vault in the second stage, e.g. https://127.0.0.1:8200 through
	// `kubectl port-forward` from a laptop. Default: the internal load balancer's address (internalLoadBalancer)
	// when there is one; required when configure is true and there is none.
	Address string `json:"address,omitempty"`
	// InternalLoadBalancer gives the active Vault node an internal NLB reachable only from inside the VPC, so the
	// in-VPC CI runner (cluster.endpoint.ciRunner) runs the second stage without a port-forward; its address is
	// the stack output vaultCiAddress. Default: true when cluster.endpoint.ciRunner is set, else false.
	InternalLoadBalancer *bool `json:"internalLoadBalancer,omitempty"`
	// CIAuth is the JWT auth method CI logs in with (the run's GitHub Actions OIDC token; docs/services.md,
	// "Vault from CI"). Default: when cluster.endpoint.ciRunner is set, audience "vault-<environment>" and the
	// claims {repository: ciRunner.repository, environment: <environment>}; else none.
	CIAuth *VaultCIAuth `json:"ciAuth,omitempty"`
	// Teams get a KV path, a policy and a Kubernetes auth role each, keyed by team name. Default: none.
	Teams map[string]VaultTeam `json:"teams,omitempty"`
}

// VaultCIAuth is vault.ciAuth.
type VaultCIAuth struct {
	// BoundAudience is the audience CI requests for its OIDC token. Required.
	BoundAudience string `json:"boundAudience"`
	// BoundClaims a deployer token must carry exactly; must include repository and environment (the GitHub
	// deployment environment, which only the deploy job runs in). The read-only role used by previews and drift
	// checks binds repository only. Required.
	BoundClaims map[string]string `json:"boundClaims"`
	// TokenTTLSeconds of the Vault token a login returns: one run. Default: 3600; within [60, 7200].
	TokenTTLSeconds int `json:"tokenTtlSeconds,omitempty"`
}

// VaultTeam is one entry of vault.teams.
type VaultTeam struct {
	// Namespaces whose service accounts may log in as this team. Required, no wildcards.
	Namespaces []string `json:"namespaces"`
	// ServiceAccounts that may log in as this team. Required, no wildcards.
	ServiceAccounts []string `json:"serviceAccounts"`
	// TokenTTLSeconds of issued tokens. Default: 3600.
	TokenTTLSeconds int `json:"tokenTtlSeconds,omitempty"`
	// TokenMaxTTLSeconds caps renewals. Default: 14400.
	TokenMaxTTLSeconds int `json:"tokenMaxTtlSeconds,omitempty"`
}

// GPURuntime is config key platform:gpuRuntime.
type GPURuntime struct {
	// DCGMExporter installs NVIDIA's DCGM exporter for GPU metrics. Default: true.
	DCGMExporter *bool `json:"dcgmExporter,omitempty"`
}

// Autoscaling is config key platform:autoscaling.
type Autoscaling struct {
	// ClusterAutoscalerImageTag; must match the cluster's minor version. Default: from
	// ClusterAutoscalerImageTags for cluster.kubernetesVersion (applied by the program).
	ClusterAutoscalerImageTag string `json:"clusterAutoscalerImageTag,omitempty"`
	// ClusterAutoscalerReplicas (leader-elected). Default: 1 (dev, staging), 2 (prod).
	ClusterAutoscalerReplicas int `json:"clusterAutoscalerReplicas,omitempty"`
	// Expander: least-waste, priority, random, most-pods or price. Default: least-waste.
	Expander string `json:"expander,omitempty"`
	// ScaleDownUnneededTime before an unneeded node is removed. Default: 5m dev, 10m elsewhere.
	ScaleDownUnneededTime string `json:"scaleDownUnneededTime,omitempty"`
	// KEDA installs KEDA. Default: true.
	KEDA *bool `json:"keda,omitempty"`
	// KEDAOperatorReplicas. Default: 1 (dev), 2 elsewhere.
	KEDAOperatorReplicas int `json:"kedaOperatorReplicas,omitempty"`
}

// ClusterAutoscalerImageTags maps each supported Kubernetes version to the cluster-autoscaler release built
// for it (the autoscaler's minor version must match the cluster's).
var ClusterAutoscalerImageTags = map[string]string{"1.32": "v1.32.3", "1.33": "v1.33.6", "1.34": "v1.34.0"}

// errMissingKey is what a getter returns for a key that is not set.
var errMissingKey = errors.New("missing config key")

// RawServiceGetter adapts the raw getter Parse uses (structured values arrive as JSON) to loadServices,
// decoding strictly so a misspelled setting fails instead of silently taking its default.
func RawServiceGetter(get func(key string) (string, bool)) func(key string, out any) error {
	return func(key string, out any) error {
		raw, ok := get(key)
		if !ok || strings.TrimSpace(raw) == "" {
			return errMissingKey
		}
		return decodeStrict(raw, out)
	}
}

// loadServices reads every service key with get (a missing key leaves defaults) and reports a decoding
// problem per key, all at once.
func loadServices(get func(key string, out any) error, s *Services) error {
	targets := map[string]any{
		"mesh": &s.Mesh, "observability": &s.Observability, "vault": &s.Vault,
		"gpuRuntime": &s.GPURuntime, "autoscaling": &s.Autoscaling,
		"admission": &s.Admission,
	}
	var ps problems
	for _, key := range ServiceKeys {
		if err := get(key, targets[key]); err != nil && !errors.Is(err, errMissingKey) {
			ps.add(key, "%v", err)
		}
	}
	if len(ps) > 0 {
		return &ValidationError{Problems: ps}
	}
	return nil
}

// applyDefaults fills every unset service setting with its documented default for env.
func (s *Services) applyDefaults(env Environment) {
	dev, prod := env == Dev, env == Prod
	byEnv := func(d, st, p int) int {
		switch env {
		case Dev:
			return d
		case Staging:
			return st
		default:
			return p
		}
	}

	m := &s.Mesh
	setInt(&m.IstiodMinReplicas, byEnv(1, 2, 2))
	setInt(&m.IstiodMaxReplicas, byEnv(2, 3, 5))
	setInt(&m.GatewayMinReplicas, byEnv(1, 2, 3))
	setInt(&m.GatewayMaxReplicas, byEnv(2, 3, 10))
	if m.TracingSamplingPercent == 0 {
		m.TracingSamplingPercent = float64(byEnv(10, 5, 1))
	}
	if m.RevisionTag == "" {
		m.RevisionTag = "stable"
	}
	if len(m.Revisions) == 0 {
		m.Revisions = []MeshRevision{{}}
	}
	for i := range m.Revisions {
		r := &m.Revisions[i]
		if r.Version == "" {
			if c, err := charts.Lookup(charts.Istiod); err == nil {
				r.Version = c.Version
			}
		}
		if r.Name == "" {
			r.Name = strings.ReplaceAll(r.Version, ".", "-")
		}
	}
	if m.TagRevision == "" && len(m.Revisions) == 1 {
		m.TagRevision = m.Revisions[0].Name
	}

	o := &s.Observability
	setInt(&o.PrometheusReplicas, pick(prod, 2, 1))
	if o.PrometheusRetention == "" {
		o.PrometheusRetention = fmt.Sprintf("%dd", byEnv(7, 15, 30))
	}
	setInt(&o.PrometheusStorageGiB, byEnv(20, 50, 200))
	setInt(&o.AlertmanagerReplicas, byEnv(1, 2, 3))
	if o.GrafanaPersistence == nil {
		o.GrafanaPersistence = boolp(!dev)
	}
	setInt(&o.LogRetentionDays, byEnv(7, 30, 90))
	setInt(&o.TraceRetentionDays, byEnv(3, 7, 30))
	o.Alerting.applyDefaults()
	if o.AccessLogging == nil {
		o.AccessLogging = boolp(prod)
	}

	v := &s.Vault
	setInt(&v.Replicas, pick(dev, 1, 3))
	setInt(&v.StorageGiB, 10)
	setInt(&v.AuditStorageGiB, 10)
	if v.Injector == nil {
		v.Injector = boolp(true)
	}
	setInt(&v.KMSDeletionWindowDays, pick(dev, 7, 30))
	if v.CIAuth != nil {
		setInt(&v.CIAuth.TokenTTLSeconds, 3600)
	}
	for name, t := range v.Teams {
		setInt(&t.TokenTTLSeconds, 3600)
		setInt(&t.TokenMaxTTLSeconds, 14400)
		v.Teams[name] = t
	}

	if s.GPURuntime.DCGMExporter == nil {
		s.GPURuntime.DCGMExporter = boolp(true)
	}

	a := &s.Autoscaling
	setInt(&a.ClusterAutoscalerReplicas, pick(prod, 2, 1))
	if a.Expander == "" {
		a.Expander = "least-waste"
	}
	if a.ScaleDownUnneededTime == "" {
		a.ScaleDownUnneededTime = pick(dev, "5m", "10m")
	}
	if a.KEDA == nil {
		a.KEDA = boolp(true)
	}
	setInt(&a.KEDAOperatorReplicas, pick(dev, 1, 2))
}

var (
	promDurationRe  = regexp.MustCompile(`^[0-9]+(ms|s|m|h|d|w|y)$`)
	goDurationRe    = regexp.MustCompile(`^[0-9]+(s|m|h)$`)
	caImageTagRe    = regexp.MustCompile(`^v1\.[0-9]+\.[0-9]+$`)
	dnsLabelRe      = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	revisionTagRe   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	allowedExpander = []string{"least-waste", "most-pods", "price", "priority", "random"}
	// istioLatencyBucketsMs mirrors components/observability.IstioLatencyBucketsMs (Istio's default
	// istio_request_duration_milliseconds boundaries); config does not import components.
	istioLatencyBucketsMs = []string{"1", "2", "5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "10000", "30000", "60000", "300000", "600000", "1800000", "3600000"}
)

// validate checks the effective service configuration and reports every problem with its path.
func (s *Services) validate(env Environment, add func(path, msg string)) {
	m := s.Mesh
	replicaBounds(add, "mesh.istiodMinReplicas", "mesh.istiodMaxReplicas", m.IstiodMinReplicas, m.IstiodMaxReplicas)
	replicaBounds(add, "mesh.gatewayMinReplicas", "mesh.gatewayMaxReplicas", m.GatewayMinReplicas, m.GatewayMaxReplicas)
	if env == Prod && m.IstiodMinReplicas < 2 {
		add("mesh.istiodMinReplicas", fmt.Sprintf("must be >= 2 in prod so a node loss does not stop sidecar injection (got %d)", m.IstiodMinReplicas))
	}
	if m.InternetFacing && len(m.LoadBalancerSourceRanges) == 0 {
		add("mesh.loadBalancerSourceRanges", "required when internetFacing is true: list the client CIDRs allowed to reach the gateway")
	}
	for i, cidr := range m.LoadBalancerSourceRanges {
		p, err := netip.ParsePrefix(cidr)
		switch {
		case err != nil:
			add(fmt.Sprintf("mesh.loadBalancerSourceRanges[%d]", i), fmt.Sprintf("%q is not a CIDR", cidr))
		case p.Bits() == 0:
			add(fmt.Sprintf("mesh.loadBalancerSourceRanges[%d]", i), fmt.Sprintf("%s opens the gateway to the whole internet; list client CIDRs", cidr))
		}
	}
	if m.TracingSamplingPercent < 0 || m.TracingSamplingPercent > 100 || math.IsNaN(m.TracingSamplingPercent) {
		add("mesh.tracingSamplingPercent", fmt.Sprintf("must be within [0, 100] (got %v)", m.TracingSamplingPercent))
	}
	if !revisionTagRe.MatchString(m.RevisionTag) {
		add("mesh.revisionTag", fmt.Sprintf("%q must be a DNS label (lowercase letters, digits, -)", m.RevisionTag))
	}
	revs := map[string]bool{}
	for i, r := range m.Revisions {
		path := fmt.Sprintf("mesh.revisions[%d]", i)
		switch {
		case !revisionTagRe.MatchString(r.Name):
			add(path+".name", fmt.Sprintf("%q must be a DNS label (lowercase letters, digits, -)", r.Name))
		case revs[r.Name]:
			add(path+".name", fmt.Sprintf("%q is listed twice", r.Name))
		}
		revs[r.Name] = true
		if _, err := charts.IstiodAt(r.Version); err != nil {
			add(path+".version", fmt.Sprintf("%q is not an istiod version the catalogue offers; use one of %s", r.Version, strings.Join(charts.IstiodVersions(), ", ")))
		}
	}
	switch {
	case m.TagRevision == "" && len(m.Revisions) > 1:
		add("mesh.tagRevision", "required with more than one revision: name the revision the tag points at (moving it is a change of its own; docs/services.md)")
	case m.TagRevision != "" && !revs[m.TagRevision]:
		add("mesh.tagRevision", fmt.Sprintf("%q is not one of mesh.revisions; the tag must point at an installed revision (remove a revision only after the tag has moved off it)", m.TagRevision))
	}

	o := s.Observability
	s.validateAlerting(add)
	positive(add, "observability.prometheusReplicas", o.PrometheusReplicas)
	if env == Prod && o.PrometheusReplicas < 2 {
		add("observability.prometheusReplicas", fmt.Sprintf("must be >= 2 in prod (got %d)", o.PrometheusReplicas))
	}
	if !promDurationRe.MatchString(o.PrometheusRetention) {
		add("observability.prometheusRetention", fmt.Sprintf("%q is not a Prometheus duration such as 15d", o.PrometheusRetention))
	}
	positive(add, "observability.prometheusStorageGiB", o.PrometheusStorageGiB)
	positive(add, "observability.alertmanagerReplicas", o.AlertmanagerReplicas)
	if env == Prod && o.GrafanaPersistence != nil && !*o.GrafanaPersistence {
		add("observability.grafanaPersistence", "must be true in prod: dashboards and users would be lost on every restart")
	}
	positive(add, "observability.logRetentionDays", o.LogRetentionDays)
	positive(add, "observability.traceRetentionDays", o.TraceRetentionDays)
	if env == Prod && o.AccessLogging != nil && !*o.AccessLogging {
		add("observability.accessLogging", "must be true in prod: who read or deleted logs and traces must stay auditable")
	}
	seen := map[string]bool{}
	for i, slo := range o.SLOs {
		path := fmt.Sprintf("observability.slos[%d]", i)
		if !dnsLabelRe.MatchString(slo.Service) {
			add(path+".service", fmt.Sprintf("%q must be a Kubernetes service name", slo.Service))
		}
		if !dnsLabelRe.MatchString(slo.Namespace) {
			add(path+".namespace", fmt.Sprintf("%q must be a Kubernetes namespace name", slo.Namespace))
		}
		if !(slo.Objective > 0 && slo.Objective < 100) {
			add(path+".objective", fmt.Sprintf("must be a percentage strictly between 0 and 100, e.g. 99.9 (got %v)", slo.Objective))
		} else if 100-slo.Objective < 0.001 {
			add(path+".objective", fmt.Sprintf("%v leaves an error budget too small to alert on (max 99.999)", slo.Objective))
		}
		if slo.LatencyThresholdMs != 0 && !contains(istioLatencyBucketsMs, fmt.Sprint(slo.LatencyThresholdMs)) {
			add(path+".latencyThresholdMs", fmt.Sprintf("%d is not a boundary of Istio's request-duration histogram (%s); the ratio needs an exact bucket", slo.LatencyThresholdMs, strings.Join(istioLatencyBucketsMs, ", ")))
		}
		key := slo.Namespace + "/" + slo.Service
		if seen[key] {
			add(path, fmt.Sprintf("duplicate SLO for %s", key))
		}
		seen[key] = true
	}

	v := s.Vault
	switch {
	case env == Dev && v.Replicas < 1:
		add("vault.replicas", fmt.Sprintf("must be >= 1 (got %d)", v.Replicas))
	case env != Dev && (v.Replicas < 3 || v.Replicas%2 == 0):
		add("vault.replicas", fmt.Sprintf("must be an odd number >= 3 in %s for a raft quorum that survives a node loss (got %d)", env, v.Replicas))
	case v.Replicas%2 == 0:
		add("vault.replicas", fmt.Sprintf("must be odd: an even raft cluster tolerates no more failures than one node fewer (got %d)", v.Replicas))
	}
	positive(add, "vault.storageGiB", v.StorageGiB)
	positive(add, "vault.auditStorageGiB", v.AuditStorageGiB)
	if v.KMSDeletionWindowDays < 7 || v.KMSDeletionWindowDays > 30 {
		add("vault.kmsDeletionWindowDays", fmt.Sprintf("must be within [7, 30] (got %d)", v.KMSDeletionWindowDays))
	} else if env == Prod && v.KMSDeletionWindowDays < 30 {
		add("vault.kmsDeletionWindowDays", fmt.Sprintf("must be 30 in prod: losing the unseal key loses Vault (got %d)", v.KMSDeletionWindowDays))
	}
	lb := v.InternalLoadBalancer != nil && *v.InternalLoadBalancer
	switch {
	case v.Address != "" && !strings.HasPrefix(v.Address, "https://"):
		add("vault.address", fmt.Sprintf("must be Vault's https:// address reachable from where pulumi runs (got %q)", v.Address))
	case v.Configure && v.Address == "" && !lb:
		add("vault.address", "required when configure is true and vault.internalLoadBalancer is off: Vault's https:// address reachable from where pulumi runs (e.g. https://127.0.0.1:8200 through kubectl port-forward)")
	}
	if c := v.CIAuth; c != nil {
		if strings.TrimSpace(c.BoundAudience) == "" {
			add("vault.ciAuth.boundAudience", "required: the audience CI requests for its OIDC token (e.g. vault-prod)")
		}
		for _, k := range []string{"repository", "environment"} {
			if strings.TrimSpace(c.BoundClaims[k]) == "" {
				add("vault.ciAuth.boundClaims."+k, "required: a deployer login must come from this repository's deploy job in this environment")
			}
		}
		if c.TokenTTLSeconds < 60 || c.TokenTTLSeconds > 7200 {
			add("vault.ciAuth.tokenTtlSeconds", fmt.Sprintf("must be within [60, 7200]: one run's token (got %d)", c.TokenTTLSeconds))
		}
	}
	teams := sortedKeys(v.Teams)
	for _, name := range teams {
		t := v.Teams[name]
		path := "vault.teams." + name
		if !dnsLabelRe.MatchString(name) {
			add(path, "team names must be DNS labels (they name Vault policies, roles and KV paths)")
		}
		if len(t.Namespaces) == 0 {
			add(path+".namespaces", "required: the namespaces whose service accounts log in as this team")
		}
		for i, ns := range t.Namespaces {
			if !dnsLabelRe.MatchString(ns) {
				add(fmt.Sprintf("%s.namespaces[%d]", path, i), fmt.Sprintf("%q must be one namespace name (no wildcards)", ns))
			}
		}
		if len(t.ServiceAccounts) == 0 {
			add(path+".serviceAccounts", "required: the service accounts that log in as this team")
		}
		for i, sa := range t.ServiceAccounts {
			if !dnsLabelRe.MatchString(sa) {
				add(fmt.Sprintf("%s.serviceAccounts[%d]", path, i), fmt.Sprintf("%q must be one service account name (no wildcards)", sa))
			}
		}
		if t.TokenTTLSeconds <= 0 || t.TokenTTLSeconds > 86400 {
			add(path+".tokenTtlSeconds", fmt.Sprintf("must be within (0, 86400] (got %d)", t.TokenTTLSeconds))
		}
		if t.TokenMaxTTLSeconds < t.TokenTTLSeconds || t.TokenMaxTTLSeconds > 7*86400 {
			add(path+".tokenMaxTtlSeconds", fmt.Sprintf("must be >= tokenTtlSeconds (%d) and <= 604800 (got %d)", t.TokenTTLSeconds, t.TokenMaxTTLSeconds))
		}
	}

	a := s.Autoscaling
	if a.ClusterAutoscalerImageTag != "" && !caImageTagRe.MatchString(a.ClusterAutoscalerImageTag) {
		add("autoscaling.clusterAutoscalerImageTag", fmt.Sprintf("%q must be a pinned release tag such as v1.33.0", a.ClusterAutoscalerImageTag))
	}
	positive(add, "autoscaling.clusterAutoscalerReplicas", a.ClusterAutoscalerReplicas)
	if !contains(allowedExpander, a.Expander) {
		add("autoscaling.expander", fmt.Sprintf("%q is not one of %s", a.Expander, strings.Join(allowedExpander, ", ")))
	}
	if !goDurationRe.MatchString(a.ScaleDownUnneededTime) {
		add("autoscaling.scaleDownUnneededTime", fmt.Sprintf("%q is not a duration such as 10m", a.ScaleDownUnneededTime))
	}
	positive(add, "autoscaling.kedaOperatorReplicas", a.KEDAOperatorReplicas)

	s.Admission.validate(add)
}

// validateAutoscalerTag checks the autoscaler image against the cluster version (the only cross-section
// rule); call it after applyDefaults with cluster.kubernetesVersion.
func (s *Services) validateAutoscalerTag(kubernetesVersion string, add func(path, msg string)) {
	tag := s.Autoscaling.ClusterAutoscalerImageTag
	if tag == "" {
		if _, ok := ClusterAutoscalerImageTags[kubernetesVersion]; !ok {
			add("autoscaling.clusterAutoscalerImageTag", fmt.Sprintf("no default for Kubernetes %s; set a tag built for it", kubernetesVersion))
		}
		return
	}
	if !strings.HasPrefix(tag, "v"+kubernetesVersion+".") {
		add("autoscaling.clusterAutoscalerImageTag", fmt.Sprintf("%s does not match cluster.kubernetesVersion %s (use v%s.x)", tag, kubernetesVersion, kubernetesVersion))
	}
}

// ClusterAutoscalerImageTag returns the effective autoscaler image tag for a cluster version.
func (s *Services) ClusterAutoscalerImageTag(kubernetesVersion string) string {
	if s.Autoscaling.ClusterAutoscalerImageTag != "" {
		return s.Autoscaling.ClusterAutoscalerImageTag
	}
	return ClusterAutoscalerImageTags[kubernetesVersion]
}

func replicaBounds(add func(path, msg string), minPath, maxPath string, lo, hi int) {
	if lo < 1 {
		add(minPath, fmt.Sprintf("must be >= 1 (got %d)", lo))
	}
	if hi < lo {
		add(maxPath, fmt.Sprintf("must be >= %s (%d), got %d", minPath[strings.LastIndex(minPath, ".")+1:], lo, hi))
	}
}

func positive(add func(path, msg string), path string, v int) {
	if v < 1 {
		add(path, fmt.Sprintf("must be >= 1 (got %d)", v))
	}
}

func setInt(p *int, def int) {
	if *p == 0 {
		*p = def
	}
}

func boolp(b bool) *bool { return &b }

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
