package pack

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Policies returns the catalogue sorted by ID. The slice is fresh; the policies are shared and read-only.
func Policies() []*Policy {
	sortOnce.Do(func() {
		sort.Slice(catalogue, func(i, j int) bool { return catalogue[i].ID < catalogue[j].ID })
	})
	out := make([]*Policy, len(catalogue))
	copy(out, catalogue)
	return out
}

// sortOnce sorts the catalogue after every init has registered its policies.
var sortOnce sync.Once

// Lookup returns the policy with this ID, or nil.
func Lookup(id string) *Policy {
	for _, p := range catalogue {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// catalogue is filled by the policies_*.go files' init functions, one per group.
var catalogue []*Policy

func register(ps ...*Policy) { catalogue = append(catalogue, ps...) }

// Evaluate runs every enabled policy over the resources (in registration order: parents before children) and
// then the stack policies over all of them, and returns the violations with their effective levels.
//
// The program's mock tests assert `pack.Blocking(pack.Evaluate(env, cfg, resources))` is empty.
func Evaluate(env Env, cfg Config, res []Resource) []Diagnostic {
	d, _ := EvaluateAll(env, cfg, res)
	return d
}

// EvaluateAll is Evaluate that also returns what could not be decided because values were unknown.
func EvaluateAll(env Env, cfg Config, res []Resource) ([]Diagnostic, []Undecided) {
	s := NewSession(env, cfg)
	var diags []Diagnostic
	var und []Undecided
	for _, r := range res {
		d, u := s.Analyze(r)
		diags = append(diags, d...)
		und = append(und, u...)
	}
	d, u := s.AnalyzeStack(res)
	return append(diags, d...), append(und, u...)
}

// Blocking filters the diagnostics that fail a deployment (mandatory and not excepted).
func Blocking(ds []Diagnostic) []Diagnostic {
	var out []Diagnostic
	for _, d := range ds {
		if d.Blocking() {
			out = append(out, d)
		}
	}
	return out
}

// Session evaluates resources one at a time, as the engine sends them, remembering enough to avoid reporting a
// fault twice: when a component (eks:index:Cluster) was reported for a policy, its descendants (the
// aws:eks/cluster:Cluster it creates) are not reported again for that policy. It is safe for concurrent use.
type Session struct {
	env Env
	cfg Config

	mu       sync.Mutex
	parents  map[string]string          // urn -> parent urn
	reported map[string]map[string]bool // urn -> policy IDs reported on it
}

// NewSession starts an evaluation for one environment and config.
func NewSession(env Env, cfg Config) *Session {
	return &Session{env: env, cfg: cfg, parents: map[string]string{}, reported: map[string]map[string]bool{}}
}

// Env is the environment the session evaluates for.
func (s *Session) Env() Env { return s.env }

// Level is the effective level of a policy in this session.
func (s *Session) Level(p *Policy) Level { return s.cfg.level(p, s.env) }

// Analyze runs the resource policies over one resource.
func (s *Session) Analyze(r Resource) ([]Diagnostic, []Undecided) {
	s.mu.Lock()
	if r.URN != "" {
		s.parents[r.URN] = r.Parent
	}
	s.mu.Unlock()

	var diags []Diagnostic
	var und []Undecided
	for _, p := range Policies() {
		if p.Stack || p.check == nil || !p.appliesTo(r.Type) {
			continue
		}
		level := s.Level(p)
		if level == Disabled {
			continue
		}
		if p.isComponent(r.Type) && !hasInputs(r) {
			// A remote component as its provider registers it (no inputs): its children carry the verdict.
			continue
		}
		c := s.checker(p, level)
		c.r = &r
		p.check(c, r)
		und = append(und, c.undecided...)
		if len(c.findings) == 0 {
			continue
		}
		if s.reportedOnAncestor(r, p.ID) {
			// The component this resource belongs to already carries the same fault.
			continue
		}
		s.markReported(r.URN, p.ID)
		diags = append(diags, c.diagnostics(s.cfg)...)
	}
	return diags, und
}

// AnalyzeStack runs the stack policies over every resource of the stack (their state: outputs).
func (s *Session) AnalyzeStack(rs []Resource) ([]Diagnostic, []Undecided) {
	states := make([]Resource, len(rs))
	for i, r := range rs {
		if r.Outputs != nil {
			r.Properties = r.Outputs
		}
		states[i] = r
	}
	rs = states
	var diags []Diagnostic
	var und []Undecided
	for _, p := range Policies() {
		if !p.Stack || p.checkStack == nil {
			continue
		}
		level := s.Level(p)
		if level == Disabled {
			continue
		}
		c := s.checker(p, level)
		p.checkStack(c, rs)
		und = append(und, c.undecided...)
		diags = append(diags, c.diagnostics(s.cfg)...)
	}
	return diags, und
}

func (s *Session) checker(p *Policy, level Level) *checker {
	return &checker{p: p, env: s.env, level: level, props: s.cfg.Policies[p.ID].Properties}
}

func (s *Session) reportedOnAncestor(r Resource, policy string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for u := r.Parent; u != "" && !seen[u]; u = s.parents[u] {
		seen[u] = true
		if s.reported[u][policy] {
			return true
		}
	}
	return false
}

func (s *Session) markReported(urn, policy string) {
	if urn == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reported[urn] == nil {
		s.reported[urn] = map[string]bool{}
	}
	s.reported[urn][policy] = true
}

// checker is what a policy's check function reports through.
type checker struct {
	p         *Policy
	env       Env
	level     Level
	props     map[string]any
	r         *Resource // the resource under check (resource policies)
	findings  []finding
	undecided []Undecided
}

type finding struct {
	urn string
	msg string
}

// label names a resource in messages.
func label(r Resource) string {
	name := r.Name
	if name == "" {
		name = r.URN
	}
	return fmt.Sprintf("%s %q", r.Type, name)
}

// fail reports a violation on the resource under check.
func (c *checker) fail(format string, args ...any) {
	c.failOn(*c.r, format, args...)
}

// failOn reports a violation on a given resource (stack policies).
func (c *checker) failOn(r Resource, format string, args ...any) {
	c.findings = append(c.findings, finding{urn: r.URN, msg: label(r) + ": " + fmt.Sprintf(format, args...)})
}

// failStack reports a violation of the stack as a whole.
func (c *checker) failStack(format string, args ...any) {
	c.findings = append(c.findings, finding{msg: "stack: " + fmt.Sprintf(format, args...)})
}

// unknownOn records that field of r is unknown, so the policy cannot decide on r yet.
func (c *checker) unknownOn(r Resource, field string) {
	c.undecided = append(c.undecided, Undecided{
		PolicyID: c.p.ID, URN: r.URN,
		Reason: fmt.Sprintf("%s: %s is unknown until apply; %s is decided then", label(r), field, c.p.ID),
	})
}

func (c *checker) unknown(field string) { c.unknownOn(*c.r, field) }

func (c *checker) diagnostics(cfg Config) []Diagnostic {
	out := make([]Diagnostic, 0, len(c.findings))
	for _, f := range c.findings {
		msg := f.msg
		if c.p.Fix != "" {
			msg += "\nFix: " + c.p.Fix
		}
		if len(c.p.Controls) > 0 {
			refs := make([]string, len(c.p.Controls))
			for i, ctl := range c.p.Controls {
				refs[i] = ctl.String()
			}
			msg += "\nControl: " + strings.Join(refs, "; ")
		}
		out = append(out, Diagnostic{
			PolicyID: c.p.ID, URN: f.urn, Level: c.level, Message: msg,
			ExceptedBy: cfg.exceptedBy(c.p.ID, f.urn),
		})
	}
	return out
}

// Thresholds: config override first, else the environment default.

func (c *checker) param(name string) any {
	if v, ok := c.props[name]; ok {
		return v
	}
	prm := c.p.param(name)
	if prm == nil {
		panic(fmt.Sprintf("policy %s reads undeclared setting %q", c.p.ID, name))
	}
	return prm.Default[c.env]
}

func (c *checker) intParam(name string) int {
	switch v := c.param(name).(type) {
	case int:
		return v
	case float64:
		return int(v)
	}
	panic(fmt.Sprintf("policy %s setting %q is not an integer", c.p.ID, name))
}

func (c *checker) stringsParam(name string) []string {
	ss, ok := toStrings(c.param(name))
	if !ok {
		panic(fmt.Sprintf("policy %s setting %q is not a list of strings", c.p.ID, name))
	}
	return ss
}

func (c *checker) intsParam(name string) []int {
	is, ok := toInts(c.param(name))
	if !ok {
		panic(fmt.Sprintf("policy %s setting %q is not a list of integers", c.p.ID, name))
	}
	return is
}

// get looks a dotted path up on the resource under check.
func (c *checker) get(path string) value { return lookup(c.r.Properties, path) }

// requireKnown reports the value unknown (and returns false) when it is not known yet.
func (c *checker) requireKnown(path string, v value) bool {
	if v.p == unknown {
		c.unknown(path)
		return false
	}
	return true
}
