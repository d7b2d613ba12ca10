package pack_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/policies/pack"
)

// outcome is what a case expects from the policy under test.
type outcome int

const (
	violates  outcome = iota // at least one diagnostic of the policy
	passes                   // no diagnostic and nothing undecided
	undecided                // no diagnostic, at least one undecided record
)

func (o outcome) String() string { return [...]string{"violates", "passes", "undecided"}[o] }

// tc is one table case: resources evaluated in an environment (prod unless set), with optional config.
type tc struct {
	name string
	env  pack.Env
	res  []pack.Resource
	cfg  pack.Config
	want outcome
	// msg must appear in the violation message (checks the message names the field and value).
	msg string
}

// policyTable holds a policy's expected default levels (dev, staging, prod) and its cases.
type policyTable struct {
	levels [3]pack.Level
	cases  []tc
}

// tables is filled by the *_cases_test.go files, one entry per policy ID.
var tables = map[string]policyTable{}

func addTable(id string, levels [3]pack.Level, cases ...tc) {
	if _, dup := tables[id]; dup {
		panic("duplicate table for " + id)
	}
	tables[id] = policyTable{levels: levels, cases: cases}
}

const (
	A = pack.Advisory
	M = pack.Mandatory
	D = pack.Disabled
)

// unk is a value not known until apply.
var unk = resource.MakeComputed(resource.NewStringProperty(""))

// unkOutput is an unknown output value, as the engine sends them with KeepOutputValues.
var unkOutput = resource.NewOutputProperty(resource.Output{Known: false})

func secret(v any) resource.PropertyValue { return resource.MakeSecret(resource.NewPropertyValue(v)) }

// props builds a PropertyMap from Go values; resource.PropertyValue values (unk, secret(...)) pass through.
func props(m map[string]any) resource.PropertyMap {
	return resource.NewPropertyMapFromMapRepl(m, nil, func(v any) (resource.PropertyValue, bool) {
		if pv, ok := v.(resource.PropertyValue); ok {
			return pv, true
		}
		return resource.PropertyValue{}, false
	})
}

type obj = map[string]any
type arr = []any

// mk makes a resource of a type with inputs; its URN is a prod stack URN.
func mk(typ, name string, in obj) pack.Resource {
	return pack.Resource{Type: typ, Name: name, URN: urn(typ, name), Properties: props(in)}
}

func urn(typ, name string) string {
	return fmt.Sprintf("urn:pulumi:prod::platform::%s::%s", typ, name)
}

func one(r pack.Resource) []pack.Resource { return []pack.Resource{r} }

// run evaluates a case and returns the policy's diagnostics and undecided records.
func run(id string, c tc) ([]pack.Diagnostic, []pack.Undecided) {
	env := c.env
	if env == "" {
		env = pack.Prod
	}
	ds, us := pack.EvaluateAll(env, c.cfg, c.res)
	var mine []pack.Diagnostic
	for _, d := range ds {
		if d.PolicyID == id {
			mine = append(mine, d)
		}
	}
	var und []pack.Undecided
	for _, u := range us {
		if u.PolicyID == id {
			und = append(und, u)
		}
	}
	return mine, und
}

func assertOutcome(t *testing.T, id string, c tc) {
	t.Helper()
	ds, us := run(id, c)
	switch c.want {
	case violates:
		require.NotEmpty(t, ds, "expected a %s violation", id)
		if c.msg != "" {
			joined := ""
			for _, d := range ds {
				joined += d.Message + "\n"
			}
			assert.Contains(t, joined, c.msg)
		}
		for _, d := range ds {
			assert.Contains(t, d.Message, "Fix: ", "every message carries the fix")
		}
	case passes:
		assert.Empty(t, ds, "expected no %s violation", id)
		assert.Empty(t, us, "expected %s to decide", id)
	case undecided:
		assert.Empty(t, ds, "an unknown value must never be a violation")
		assert.NotEmpty(t, us, "expected %s to record that it could not decide", id)
	}
}

// TestEveryPolicy runs every policy's table.
func TestEveryPolicy(t *testing.T) {
	for _, p := range pack.Policies() {
		tbl, ok := tables[p.ID]
		if !ok {
			continue // reported by TestEveryPolicyHasATable
		}
		for _, c := range tbl.cases {
			t.Run(p.ID+"/"+c.want.String()+"/"+c.name, func(t *testing.T) { assertOutcome(t, p.ID, c) })
		}
	}
}

// noUnknowns lists policies that read nothing that can be unknown, with the reason.
var noUnknowns = map[string]string{
	"prod-resources-protected": "reads only the protect option, which the engine always knows",
}

// TestEveryPolicyHasATable requires, for every policy, a violating, a compliant and an unknown-value case.
func TestEveryPolicyHasATable(t *testing.T) {
	for _, p := range pack.Policies() {
		tbl, ok := tables[p.ID]
		if !assert.True(t, ok, "policy %s has no test table", p.ID) {
			continue
		}
		seen := map[outcome]bool{}
		for _, c := range tbl.cases {
			seen[c.want] = true
		}
		for _, o := range []outcome{violates, passes, undecided} {
			if o == undecided && noUnknowns[p.ID] != "" {
				continue
			}
			assert.True(t, seen[o], "policy %s has no %q case", p.ID, o)
		}
	}
	for id := range tables {
		assert.NotNil(t, pack.Lookup(id), "table for unknown policy %s", id)
	}
}

// TestLevelsPerEnvironment pins each policy's default levels and checks that Evaluate stamps violations with the
// level of the environment it runs in, and reports nothing where the policy is disabled.
func TestLevelsPerEnvironment(t *testing.T) {
	for _, p := range pack.Policies() {
		tbl, ok := tables[p.ID]
		if !ok {
			continue
		}
		got := [3]pack.Level{p.Levels.Dev, p.Levels.Staging, p.Levels.Prod}
		assert.Equal(t, tbl.levels, got, "%s default levels (dev, staging, prod)", p.ID)
		stamped := 0
		for i, env := range pack.Envs {
			for _, c := range tbl.cases {
				if c.want != violates {
					continue
				}
				c.env = env
				ds, _ := run(p.ID, c)
				if tbl.levels[i] == pack.Disabled {
					assert.Empty(t, ds, "%s is disabled in %s but reported", p.ID, env)
					continue
				}
				for _, d := range ds {
					stamped++
					assert.Equal(t, tbl.levels[i], d.Level, "%s in %s (case %s)", p.ID, env, c.name)
				}
			}
		}
		assert.Positive(t, stamped, "%s: no violating case produced a diagnostic in any environment", p.ID)
	}
}

// TestConfigOverridesLevel: a config file level wins over the environment default, and "disabled" skips.
func TestConfigOverridesLevel(t *testing.T) {
	for _, p := range pack.Policies() {
		tbl, ok := tables[p.ID]
		if !ok {
			continue
		}
		for _, c := range tbl.cases {
			if c.want != violates || len(c.cfg.Policies) > 0 {
				continue
			}
			for _, lvl := range []pack.Level{pack.Advisory, pack.Mandatory, pack.Disabled} {
				c.cfg = pack.Config{Policies: map[string]pack.PolicyConfig{p.ID: {Level: lvl}}}
				ds, _ := run(p.ID, c)
				if lvl == pack.Disabled {
					assert.Empty(t, ds, "%s disabled by config still reported", p.ID)
					continue
				}
				require.NotEmpty(t, ds, "%s case %s at %s", p.ID, c.name, lvl)
				for _, d := range ds {
					assert.Equal(t, lvl, d.Level, p.ID)
				}
			}
			break
		}
	}
}

// TestCatalogue checks the catalogue's shape: enough policies, unique kebab-case IDs, a description and a fix
// each, parameters with a default for every environment.
func TestCatalogue(t *testing.T) {
	ps := pack.Policies()
	assert.GreaterOrEqual(t, len(ps), 35)
	seen := map[string]bool{}
	for _, p := range ps {
		assert.False(t, seen[p.ID], "duplicate %s", p.ID)
		seen[p.ID] = true
		assert.Regexp(t, `^[a-z0-9]+(-[a-z0-9]+)*$`, p.ID)
		assert.NotEmpty(t, p.Description, p.ID)
		assert.NotEmpty(t, p.Fix, p.ID)
		assert.NotEmpty(t, p.Types, p.ID)
		assert.NotEmpty(t, p.Group, p.ID)
		for _, l := range []pack.Level{p.Levels.Dev, p.Levels.Staging, p.Levels.Prod} {
			assert.True(t, l.Valid(), "%s level %q", p.ID, l)
		}
		for _, prm := range p.Params {
			for _, e := range pack.Envs {
				assert.Contains(t, prm.Default, e, "%s.%s has no %s default", p.ID, prm.Name, e)
			}
		}
		assert.False(t, strings.Contains(p.Description, "TODO"), p.ID)
	}
}

// equivalences holds, per policy, cases that spell one setting the ways its consumer (IAM, Vault, Helm, the chart)
// treats as the same: a bad value in each spelling, a good one and an unknown one. Filled by *_equiv_cases_test.go.
var equivalences = map[string][]tc{}

func addEquivalences(id string, cases ...tc) { equivalences[id] = append(equivalences[id], cases...) }

// equivalenceRequired lists the policies that read IAM, KMS or S3 policy documents, Vault configuration or Helm
// values: each must have an equivalence table.
var equivalenceRequired = []string{
	"kms-no-wildcard-principal", "iam-trust-no-wildcard", "irsa-trust-scoped", "iam-no-star-star",
	"iam-no-admin-attachment", "s3-tls-only",
	"helm-chart-pinned", "helm-allowed-repositories", "helm-values-secrets", "no-latest-images",
	"vault-ha-raft", "vault-auto-unseal-kms", "vault-tls", "vault-dev-mode-off", "vault-k8s-auth-role-ttl",
	"observability-persistence",
}

// TestEquivalences runs every equivalence table and requires one, with all three outcomes, for each policy in
// equivalenceRequired.
func TestEquivalences(t *testing.T) {
	for _, id := range equivalenceRequired {
		seen := map[outcome]bool{}
		for _, c := range equivalences[id] {
			seen[c.want] = true
		}
		for _, o := range []outcome{violates, passes, undecided} {
			assert.True(t, seen[o], "policy %s has no %q equivalence case", id, o)
		}
	}
	for _, id := range sortedNames(equivalences) {
		require.NotNil(t, pack.Lookup(id), "equivalences for unknown policy %s", id)
		for _, c := range equivalences[id] {
			t.Run(id+"/"+c.want.String()+"/"+c.name, func(t *testing.T) { assertOutcome(t, id, c) })
		}
	}
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func replaceAll(s, old, new string) string { return strings.ReplaceAll(s, old, new) }
