package config

import (
	"fmt"
	"regexp"
	"strings"
)

// This file holds config key platform:admission (issue 11, in-cluster policy): the admission policy engine
// (Kyverno, components/admission) and the inputs of the platform's workload rules. Whether a rule blocks
// (Enforce) or only reports (Audit) follows from the environment and is not configurable here: Audit in dev,
// Enforce in staging and prod.

// AdmissionRules are the rule IDs an exception may name, one per ClusterPolicy the program creates. They mirror
// components/admission.RuleIDs (config does not import components; TestRuleIDsMatchConfig in that package keeps
// the two equal).
var AdmissionRules = []string{
	"disallow-latest-tag",
	"restrict-image-registries",
	"gpu-requires-toleration",
	"gpu-allowed-namespaces",
	"gpu-requests-limits",
	"disallow-privileged",
	"disallow-host-namespaces",
	"disallow-host-path",
	"require-pod-security-labels",
}

// DefaultAdmissionRegistries are the public registries the charts in internal/charts pull from (read from each
// pinned archive's values.yaml in ../shared/charts): docker.io (Istio, Grafana, Loki, Tempo, Vault, the
// OpenTelemetry collector), quay.io (Prometheus and its operator), ghcr.io (External Secrets, KEDA, Kyverno's
// hooks), registry.k8s.io (metrics-server, cluster-autoscaler, kube-state-metrics), nvcr.io (NVIDIA device
// plugin, DCGM exporter), reg.kyverno.io (Kyverno's controllers) and mirror.gcr.io (trivy-operator 0.32.1). The
// stack's own ECR registry is added per stack (AdmissionECRRegistry).
var DefaultAdmissionRegistries = []string{
	"docker.io", "ghcr.io", "mirror.gcr.io", "nvcr.io", "quay.io", "reg.kyverno.io", "registry.k8s.io",
}

// DefaultGPUNamespaces may request nvidia.com/gpu when admission.gpuNamespaces is not set: the namespace the
// platform's GPU pools and SLO examples are named for (README, Pulumi.<env>.yaml).
var DefaultGPUNamespaces = []string{"inference"}

// Admission is config key platform:admission.
type Admission struct {
	// Enabled installs Kyverno and the platform's ClusterPolicies. Default: true.
	Enabled *bool `json:"enabled,omitempty"`
	// Registries images may come from (registry host as Kyverno parses it, e.g. "docker.io" for "nginx:1.27";
	// a "*" wildcard is allowed inside a host, e.g. "*.dkr.ecr.us-west-2.amazonaws.com"). Setting it replaces
	// the default. Default: DefaultAdmissionRegistries plus the ECR registry of every aws.allowedAccountIds
	// account in aws.region.
	Registries []string `json:"registries,omitempty"`
	// GPUNamespaces are the only namespaces whose pods may request nvidia.com/gpu. Default: ["inference"].
	GPUNamespaces []string `json:"gpuNamespaces,omitempty"`
	// Exceptions exempt namespaces from one rule, keyed by an ID (a DNS label such as "exc-12"; it names the
	// Kyverno PolicyException). Default: none.
	Exceptions map[string]AdmissionException `json:"exceptions,omitempty"`
}

// AdmissionException is one entry of admission.exceptions.
type AdmissionException struct {
	// Rule is the rule excused, one of AdmissionRules. Required.
	Rule string `json:"rule"`
	// Namespaces the rule does not apply in (for require-pod-security-labels: the namespaces themselves).
	// Required, no wildcards.
	Namespaces []string `json:"namespaces"`
	// Reason says why the violation is accepted (ticket, owner, expiry). Required.
	Reason string `json:"reason"`
}

// AdmissionECRRegistry is the private ECR registry host of account in region (Amazon ECR User Guide, "Private
// registry concepts": aws_account_id.dkr.ecr.region.amazonaws.com; China regions end in amazonaws.com.cn).
func AdmissionECRRegistry(account, region string) string {
	suffix := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return fmt.Sprintf("%s.dkr.ecr.%s.%s", account, region, suffix)
}

// applyAdmissionDefaults fills admission defaults; the registries need aws.region and aws.allowedAccountIds.
func (c *Config) applyAdmissionDefaults() {
	a := &c.Services.Admission
	if a.Enabled == nil {
		a.Enabled = boolp(true)
	}
	if len(a.Registries) == 0 {
		a.Registries = append([]string(nil), DefaultAdmissionRegistries...)
		for _, acct := range c.AWS.AllowedAccountIDs {
			a.Registries = append(a.Registries, AdmissionECRRegistry(acct, c.AWS.Region))
		}
	}
	if a.GPUNamespaces == nil {
		a.GPUNamespaces = append([]string(nil), DefaultGPUNamespaces...)
	}
}

// registryHostRe: a registry host (optionally with a port), "*" allowed within it; no path, scheme or tag.
var registryHostRe = regexp.MustCompile(`^[a-z0-9*]([a-z0-9*.-]*[a-z0-9*])?(:[0-9]+)?$`)

// validate reports every problem of admission with its path.
func (a *Admission) validate(add func(path, msg string)) {
	seen := map[string]bool{}
	for i, r := range a.Registries {
		path := fmt.Sprintf("admission.registries[%d]", i)
		switch {
		case r == "*" || strings.Trim(r, "*.") == "":
			add(path, fmt.Sprintf("%q would allow every registry; list registry hosts", r))
		case !registryHostRe.MatchString(r):
			add(path, fmt.Sprintf("%q must be a registry host such as ghcr.io or 123456789012.dkr.ecr.us-west-2.amazonaws.com (no scheme, path or tag)", r))
		case seen[r]:
			add(path, fmt.Sprintf("%q is listed twice", r))
		}
		seen[r] = true
	}
	for i, ns := range a.GPUNamespaces {
		if !dnsLabelRe.MatchString(ns) {
			add(fmt.Sprintf("admission.gpuNamespaces[%d]", i), fmt.Sprintf("%q must be one namespace name (no wildcards)", ns))
		}
	}
	ids := sortedKeys(a.Exceptions)
	for _, id := range ids {
		e := a.Exceptions[id]
		path := "admission.exceptions." + id
		if !dnsLabelRe.MatchString(id) {
			add(path, "exception IDs must be DNS labels such as exc-12 (they name the Kyverno PolicyException)")
		}
		if !contains(AdmissionRules, e.Rule) {
			add(path+".rule", fmt.Sprintf("%q is not a rule; use one of %s", e.Rule, strings.Join(AdmissionRules, ", ")))
		}
		if len(e.Namespaces) == 0 {
			add(path+".namespaces", "required: the namespaces the rule does not apply in")
		}
		for i, ns := range e.Namespaces {
			if !dnsLabelRe.MatchString(ns) {
				add(fmt.Sprintf("%s.namespaces[%d]", path, i), fmt.Sprintf("%q must be one namespace name (no wildcards)", ns))
			}
		}
		if strings.TrimSpace(e.Reason) == "" {
			add(path+".reason", "required; say why the violation is accepted (ticket, owner, expiry)")
		}
	}
}
