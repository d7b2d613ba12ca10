package program

import (
	"fmt"
	"path/filepath"
	"sort"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/components/admission"
	"github.com/platform-team/platform/internal/charts/chartstest"
	"github.com/platform-team/platform/internal/config"
	"github.com/platform-team/platform/internal/mockgraph"
	"github.com/platform-team/platform/tests"
)

const clusterPolicyType = "kubernetes:kyverno.io/v1:ClusterPolicy"

// runStack runs foundation and services for a real stack file with extra (raw JSON) config keys.
func runStack(t *testing.T, env string, extra map[string]string) mockgraph.Graph {
	t.Helper()
	raw, err := tests.StackConfig(filepath.Join(tests.Root(), fmt.Sprintf("Pulumi.%s.yaml", env)))
	require.NoError(t, err)
	for k, v := range extra {
		raw[config.Namespace+":"+k] = v
	}
	g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		cfg, err := config.Load(ctx)
		if err != nil {
			return err
		}
		p, err := Build(ctx, cfg)
		if err != nil {
			return err
		}
		_, err = buildServices(ctx, p, &cfg.Services)
		return err
	}, mockgraph.Options{Stack: env, Config: raw})
	require.NoError(t, err)
	return g
}

// failureActions are the failureAction of every rule the stack creates, by policy name.
func failureActions(g mockgraph.Graph) map[string]string {
	out := map[string]string{}
	for _, p := range g.OfType(clusterPolicyType) {
		name := p.Inputs["metadata"].ObjectValue()["name"].StringValue()
		for _, r := range p.Inputs["spec"].ObjectValue()["rules"].ArrayValue() {
			out[name] = r.ObjectValue()["validate"].ObjectValue()["failureAction"].StringValue()
		}
	}
	return out
}

// Every stack installs Kyverno with all the rules: Audit in dev, Enforce in staging and prod; HA in prod.
func TestAdmissionRulesPerEnvironment(t *testing.T) {
	for _, tc := range []struct {
		env                    string
		action                 string
		admission, controllers float64
	}{
		{"dev", "Audit", 1, 1},
		{"staging", "Enforce", 1, 1},
		{"prod", "Enforce", 3, 2},
	} {
		t.Run(tc.env, func(t *testing.T) {
			g, _ := runWithServices(t, tc.env)
			actions := failureActions(g)
			require.Len(t, actions, len(admission.RuleIDs))
			for _, id := range admission.RuleIDs {
				require.Equal(t, tc.action, actions[id], id)
			}
			t.Logf("%s: %d ClusterPolicies (one rule each), failureAction %s", tc.env, len(actions), tc.action)
			v := chartstest.Values(t, g.ByName(t, fmt.Sprintf("platform-%s-admission-kyverno", tc.env)).Inputs)
			require.EqualValues(t, tc.admission, chartstest.Lookup(v, "admissionController", "replicas"))
			for _, c := range []string{"backgroundController", "cleanupController", "reportsController"} {
				require.EqualValues(t, tc.controllers, chartstest.Lookup(v, c, "replicas"), c)
			}
		})
	}
}

// The webhooks skip every namespace the program creates: a new service namespace missing from
// platformNamespaces fails here, before an Enforce rule or a Kyverno outage could lock it out.
func TestAdmissionNeverLocksOutAProgramNamespace(t *testing.T) {
	for _, env := range []string{"dev", "prod"} {
		g, _ := runWithServices(t, env)
		v := chartstest.Values(t, g.ByName(t, fmt.Sprintf("platform-%s-admission-kyverno", env)).Inputs)
		expr := chartstest.Lookup(v, "config", "webhooks", "namespaceSelector", "matchExpressions").([]any)[0].(map[string]any)
		require.Equal(t, "NotIn", expr["operator"])
		skipped := map[string]bool{}
		for _, ns := range expr["values"].([]any) {
			skipped[ns.(string)] = true
		}
		var created []string
		for _, r := range g.OfType("kubernetes:core/v1:Namespace") {
			created = append(created, r.Inputs["metadata"].ObjectValue()["name"].StringValue())
		}
		sort.Strings(created)
		require.NotEmpty(t, created)
		for _, ns := range created {
			require.True(t, skipped[ns], "%s: namespace %s is created by the program but Kyverno's webhooks would see it: add it to platformNamespaces", env, ns)
		}
		require.True(t, skipped["kube-system"])
	}
}

// Stack exceptions become PolicyExceptions in Kyverno's namespace; admission.enabled false installs nothing.
func TestAdmissionExceptionsAndSwitch(t *testing.T) {
	g := runStack(t, "staging", map[string]string{"admission": `{"exceptions":{"exc-3":{"rule":"disallow-host-path","namespaces":["node-agents"],"reason":"PLAT-7"}}}`})
	exc := g.Only(t, "kubernetes:kyverno.io/v2:PolicyException")
	md := exc.Inputs["metadata"].ObjectValue()
	require.Equal(t, "exc-3", md["name"].StringValue())
	require.Equal(t, admission.DefaultNamespace, md["namespace"].StringValue())
	require.Equal(t, "PLAT-7", md["annotations"].ObjectValue()["platform.io/exception-reason"].StringValue())

	g = runStack(t, "staging", map[string]string{"admission": `{"enabled":false}`})
	require.Empty(t, g.OfType(clusterPolicyType))
	require.Empty(t, g.OfType("platform:admission:Admission"))
}
