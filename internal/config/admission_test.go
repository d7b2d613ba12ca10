package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAdmissionDefaults(t *testing.T) {
	for _, env := range []Environment{Dev, Staging, Prod} {
		s, problems := servicesFrom(t, env, nil)
		require.Empty(t, problems, env)
		a := s.Admission
		require.True(t, *a.Enabled, env)
		// The charts' registries plus the stack's own ECR registry (validStack: account 123456789012, us-west-2).
		require.Equal(t, append(append([]string(nil), DefaultAdmissionRegistries...), "123456789012.dkr.ecr.us-west-2.amazonaws.com"), a.Registries, env)
		require.Equal(t, []string{"inference"}, a.GPUNamespaces, env)
		require.Empty(t, a.Exceptions, env)
	}
}

func TestAdmissionSettingsReplaceDefaults(t *testing.T) {
	s, problems := servicesFrom(t, Prod, map[string]string{"admission": `{"enabled":false,"registries":["ghcr.io"],"gpuNamespaces":[],
		"exceptions":{"exc-1":{"rule":"disallow-host-path","namespaces":["node-agents"],"reason":"PLAT-7 log shipper, until 2027-01"}}}`})
	require.Empty(t, problems)
	require.False(t, *s.Admission.Enabled)
	require.Equal(t, []string{"ghcr.io"}, s.Admission.Registries)
	// An explicit empty list means no namespace may request GPUs; it is not replaced by the default.
	require.Equal(t, []string{}, s.Admission.GPUNamespaces)
	require.Equal(t, AdmissionException{Rule: "disallow-host-path", Namespaces: []string{"node-agents"}, Reason: "PLAT-7 log shipper, until 2027-01"}, s.Admission.Exceptions["exc-1"])
}

func TestAdmissionECRRegistry(t *testing.T) {
	require.Equal(t, "111111111111.dkr.ecr.us-west-2.amazonaws.com", AdmissionECRRegistry("111111111111", "us-west-2"))
	require.Equal(t, "111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn", AdmissionECRRegistry("111111111111", "cn-north-1"))
}

func TestAdmissionProblemsNameTheFieldAllAtOnce(t *testing.T) {
	_, problems := servicesFrom(t, Dev, map[string]string{"admission": `{
		"registries": ["*", "https://ghcr.io/org", "quay.io", "quay.io"],
		"gpuNamespaces": ["ml-*"],
		"exceptions": {
			"EXC-12": {"rule": "no-latest", "namespaces": [], "reason": " "},
			"exc-2": {"rule": "disallow-privileged", "namespaces": ["team a"], "reason": "ok"}
		}}`})
	joined := strings.Join(problems, "\n")
	for _, want := range []string{
		`admission.registries[0]: "*" would allow every registry`,
		`admission.registries[1]: "https://ghcr.io/org" must be a registry host`,
		`admission.registries[3]: "quay.io" is listed twice`,
		`admission.gpuNamespaces[0]: "ml-*" must be one namespace name`,
		`admission.exceptions.EXC-12: exception IDs must be DNS labels`,
		`admission.exceptions.EXC-12.rule: "no-latest" is not a rule; use one of disallow-latest-tag, restrict-image-registries, gpu-requires-toleration, gpu-allowed-namespaces, gpu-requests-limits, disallow-privileged, disallow-host-namespaces, disallow-host-path, require-pod-security-labels`,
		`admission.exceptions.EXC-12.namespaces: required`,
		`admission.exceptions.EXC-12.reason: required`,
		`admission.exceptions.exc-2.namespaces[0]: "team a" must be one namespace name`,
	} {
		require.Contains(t, joined, want)
	}
	require.Len(t, problems, 9, joined)
}

func TestAdmissionRejectsUnknownSettings(t *testing.T) {
	_, problems := servicesFrom(t, Dev, map[string]string{"admission": `{"exemptions":{}}`})
	require.Len(t, problems, 1)
	require.Contains(t, problems[0], "admission:")
	require.Contains(t, problems[0], "exemptions")
}
