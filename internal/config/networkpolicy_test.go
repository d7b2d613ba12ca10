package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNetworkPolicyIsEnforcedByDefaultOnEveryEnvironment(t *testing.T) {
	for _, env := range Environments {
		cfg, err := Parse(validStack(env).source())
		require.NoError(t, err, env)
		require.NotNil(t, cfg.Cluster.NetworkPolicy.Enforce, env)
		assert.True(t, *cfg.Cluster.NetworkPolicy.Enforce, env)
	}
}

func TestNetworkPolicyEnforcementIsValidated(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     Environment
		policy  obj
		vpcCNI  string
		problem string
	}{
		{"off in dev", Dev, obj{"enforce": false}, "", ""},
		{"off in staging", Staging, obj{"enforce": false}, "", ""},
		{"off in prod", Prod, obj{"enforce": false}, "", "cluster.networkPolicy.enforce: must be true in prod"},
		{"a vpc-cni without network policy", Dev, nil, "v1.13.4-eksbuild.1", "cluster.networkPolicy.enforce: needs vpc-cni v1.14.0 or later; cluster.addons.vpc-cni pins v1.13.4-eksbuild.1"},
		{"an old major of vpc-cni", Dev, nil, "v0.20.0-eksbuild.1", "needs vpc-cni v1.14.0 or later"},
		{"the first vpc-cni with network policy", Dev, nil, "v1.14.0-eksbuild.3", ""},
		{"a current vpc-cni", Prod, nil, "v1.20.4-eksbuild.2", ""},
		{"an old vpc-cni with enforcement off", Dev, obj{"enforce": false}, "v1.13.4-eksbuild.1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := validStack(tc.env)
			cl := section(s, "cluster")
			if tc.policy != nil {
				cl["networkPolicy"] = tc.policy
			}
			if tc.vpcCNI != "" {
				cl["addons"] = obj{"vpc-cni": tc.vpcCNI}
			}
			problems := problemsOf(t, s)
			if tc.problem == "" {
				assert.Empty(t, problems)
				return
			}
			found := false
			for _, p := range problems {
				found = found || strings.Contains(p, tc.problem)
			}
			assert.True(t, found, "want %q in %v", tc.problem, problems)
		})
	}
}

func TestAnUnknownNetworkPolicyKeyIsRejected(t *testing.T) {
	s := validStack(Dev)
	section(s, "cluster")["networkPolicy"] = obj{"enforced": true}
	problems := problemsOf(t, s)
	require.NotEmpty(t, problems)
	assert.Contains(t, problems[0], "enforced")
}
