package pack

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Level is an enforcement level, spelled as the Pulumi CLI spells it in policy config files.
type Level string

const (
	Advisory  Level = "advisory"  // reported, does not block
	Mandatory Level = "mandatory" // blocks preview/up and fails `pulumi policy analyze`
	Disabled  Level = "disabled"  // not evaluated at all
)

// Valid reports whether l is a level this pack accepts. "remediate" is refused: no policy here remediates.
func (l Level) Valid() bool { return l == Advisory || l == Mandatory || l == Disabled }

// Env is a deployment environment.
type Env string

const (
	Dev     Env = "dev"
	Staging Env = "staging"
	Prod    Env = "prod"
)

// Envs lists the environments in rising strictness.
var Envs = []Env{Dev, Staging, Prod}

// envAliases maps stack-name tokens to environments.
var envAliases = map[string]Env{
	"dev": Dev, "development": Dev,
	"stg": Staging, "stage": Staging, "staging": Staging,
	"prd": Prod, "prod": Prod, "production": Prod,
}

// EnvironmentFromStack maps a stack name to its environment: the name itself ("prod"), or an environment token
// split off by '-', '_' or '.' ("acme-prod", "prod-eu", "org/project/staging-1"). The bool is false when no token
// names an environment; the result is then Prod, the strictest, so an unrecognised stack is never judged
// leniently. A name naming two environments ("dev-to-prod") also resolves to the stricter one.
func EnvironmentFromStack(stack string) (Env, bool) {
	name := strings.ToLower(stack)
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	found := false
	best := Dev
	for _, tok := range strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		if e, ok := envAliases[tok]; ok {
			if !found || rank(e) > rank(best) {
				best = e
			}
			found = true
		}
	}
	if !found {
		return Prod, false
	}
	return best, true
}

func rank(e Env) int {
	switch e {
	case Dev:
		return 0
	case Staging:
		return 1
	}
	return 2
}

// ParseEnv accepts exactly "dev", "staging" or "prod".
func ParseEnv(s string) (Env, bool) {
	switch Env(s) {
	case Dev, Staging, Prod:
		return Env(s), true
	}
	return "", false
}

// Levels is a policy's default enforcement level per environment.
type Levels struct{ Dev, Staging, Prod Level }

// For returns the default level in env.
func (l Levels) For(env Env) Level {
	switch env {
	case Dev:
		return l.Dev
	case Staging:
		return l.Staging
	}
	return l.Prod
}

func levels(dev, staging, prod Level) Levels { return Levels{Dev: dev, Staging: staging, Prod: prod} }

// Control is an external control a policy implements.
type Control struct {
	Framework string // e.g. "CIS Amazon EKS Benchmark"
	Version   string // e.g. "1.0.1"
	Ref       string // section, e.g. "5.4.1"
	Title     string
	URL       string
}

// String renders a control for messages and the README.
func (c Control) String() string {
	s := c.Framework
	if c.Version != "" {
		s += " v" + c.Version
	}
	switch {
	case c.Ref != "" && c.Version == "" && c.Title == "":
		s += ": " + c.Ref // an unnumbered guide topic
	case c.Ref != "":
		s += " " + c.Ref
	}
	if c.Title != "" {
		s += " (" + c.Title + ")"
	}
	return s
}

// ParamType is the JSON-schema type of a policy config property.
type ParamType string

const (
	IntParam         ParamType = "integer"
	StringParam      ParamType = "string"
	StringArrayParam ParamType = "string[]"
	IntArrayParam    ParamType = "integer[]"
)

// Param is one threshold a policy reads from its config. Defaults differ per environment; they are applied by
// the pack, not written into the JSON schema, because the CLI copies schema defaults into the config it sends and
// the pack could then no longer tell an environment default from an explicit setting.
type Param struct {
	Name        string
	Type        ParamType
	Description string
	Default     map[Env]any // per environment; every environment must be present
}

// same gives a param the same default in every environment.
func same(v any) map[Env]any { return map[Env]any{Dev: v, Staging: v, Prod: v} }

// perEnv gives a param a default per environment.
func perEnv(dev, staging, prod any) map[Env]any {
	return map[Env]any{Dev: dev, Staging: staging, Prod: prod}
}

// Policy is one rule of the pack.
type Policy struct {
	ID          string   // stable name used in config files and exceptions
	Description string   // one line: what must hold
	Group       string   // README section
	Types       []string // resource types examined (components included); "aws:*" means every taggable AWS resource
	Components  []string // the subset of Types that are component resources judged on their inputs
	Stack       bool     // evaluated once over the whole stack (AnalyzeStack) instead of per resource
	Levels      Levels
	Controls    []Control
	Params      []Param
	Fix         string // how to remediate, shown with every violation
	// RealRun says where the policy acts in a real preview or up when the default derived from Types, Components
	// and Stack would not be true (see realRun in readme.go).
	RealRun string

	check      func(c *checker, r Resource)
	checkStack func(c *checker, rs []Resource)
	match      func(typ string) bool // optional: overrides Types for dispatch
}

// appliesTo reports whether a resource policy examines resources of type typ.
func (p *Policy) appliesTo(typ string) bool {
	if p.match != nil {
		return p.match(typ)
	}
	for _, t := range p.Types {
		if t == typ {
			return true
		}
	}
	return false
}

func (p *Policy) isComponent(typ string) bool {
	for _, t := range p.Components {
		if t == typ {
			return true
		}
	}
	return false
}

// ProviderInfo is the provider resource a resource was registered with.
type ProviderInfo struct {
	Type       string // "pulumi:providers:aws"
	URN        string
	Name       string
	Properties resource.PropertyMap // the provider's inputs (region, defaultTags, ...)
}

// Resource is what a policy sees of one resource.
type Resource struct {
	Type string
	URN  string
	Name string
	// ID is the provider-assigned id when known (state exports, mocks). Stack policies match references such
	// as a flow log's vpcId against it; the analyzer protocol does not carry it, so there the "id" output and
	// PropertyDependencies serve instead.
	ID         string
	Properties resource.PropertyMap // inputs (what resource policies judge)
	// Outputs is the resource's state. Stack policies judge Outputs when set, else Properties; the analyzer sets
	// Properties to the state for AnalyzeStack, and mock tests can pass both.
	Outputs  resource.PropertyMap
	Protect  bool
	Provider *ProviderInfo
	Parent   string // parent URN, "" for the stack's direct children
	// PropertyDependencies maps a property (e.g. "subnetIds") to the URNs it was computed from. Stack policies
	// use it to link resources whose ids are not known (a preview); it may be nil.
	PropertyDependencies map[string][]string
}

// Diagnostic is one violation.
type Diagnostic struct {
	PolicyID string
	URN      string // the offending resource; for stack policies the resource at fault (or "" for the stack)
	Level    Level  // the effective level: per-environment default or config override
	Message  string // names the resource, the field, the value seen and the fix; never a secret value
	// ExceptedBy is the ID of the config exception that excuses this violation ("" when none). Evaluate fills it;
	// a mandatory violation with an exception does not block.
	ExceptedBy string
}

// Blocking reports whether the diagnostic fails a deployment.
func (d Diagnostic) Blocking() bool { return d.Level == Mandatory && d.ExceptedBy == "" }

// Undecided records a policy that could not decide on a resource because a value it needs is unknown.
type Undecided struct {
	PolicyID string
	URN      string
	Reason   string
}
