package pack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
)

// PolicyConfig overrides one policy: its level and/or thresholds.
type PolicyConfig struct {
	Level      Level          // "" keeps the environment default
	Properties map[string]any // threshold name -> value, as decoded from JSON
}

// Exception excuses the violations of some policies on some resources, with a reason. It mirrors the "exceptions"
// block of the Pulumi CLI's version 2 policy pack config file.
type Exception struct {
	ID       string
	Reason   string
	Policies []string
	Targets  []string // URNs, compared exactly
}

// Config is the pack's configuration: what a --policy-pack-config file holds.
type Config struct {
	Policies   map[string]PolicyConfig
	Exceptions []Exception
}

// AllPolicies is the policy config key the Pulumi CLI reads as "every policy": its level applies to each policy
// that does not set its own (pkg/resource/analyzer/config.go, applyConfig). The CLI also passes it on to Configure.
const AllPolicies = "all"

// level resolves a policy's effective level in env: the policy's own override, else "all", else the default.
func (c Config) level(p *Policy, env Env) Level {
	if pc, ok := c.Policies[p.ID]; ok && pc.Level != "" {
		return pc.Level
	}
	if pc, ok := c.Policies[AllPolicies]; ok && pc.Level != "" {
		return pc.Level
	}
	return p.Levels.For(env)
}

// EffectiveLevel is the level a policy runs at in env under this config.
func (c Config) EffectiveLevel(policyID string, env Env) (Level, error) {
	p := Lookup(policyID)
	if p == nil {
		return "", fmt.Errorf("unknown policy %q", policyID)
	}
	return c.level(p, env), nil
}

// exceptedBy returns the first exception (by ID order) excusing policy on urn.
func (c Config) exceptedBy(policy, urn string) string {
	for _, e := range c.Exceptions {
		if contains(e.Policies, policy) && contains(e.Targets, urn) {
			return e.ID
		}
	}
	return ""
}

// configFile is the version 2 policy pack config file format of the Pulumi CLI.
type configFile struct {
	Version    *float64                   `json:"version"`
	Policies   map[string]json.RawMessage `json:"policies"`
	Exceptions map[string]struct {
		Reason string `json:"reason"`
		Match  []struct {
			Policies []string `json:"policies"`
			Targets  []string `json:"targets"`
		} `json:"match"`
	} `json:"exceptions"`
}

// LoadConfigFile reads a version 2 policy pack config file (the files under policies/config/) and validates it
// against the catalogue, returning every problem at once.
func LoadConfigFile(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading policy config: %w", err)
	}
	cfg, err := ParseConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig parses and validates a version 2 policy pack config document.
func ParseConfig(b []byte) (Config, error) {
	var f configFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Config{}, fmt.Errorf("parsing policy config: %w", err)
	}
	var problems []string
	if f.Version == nil || *f.Version != 2 {
		problems = append(problems, `version: must be 2 (the Pulumi CLI's policy config format with "policies" and "exceptions")`)
	}
	cfg := Config{Policies: map[string]PolicyConfig{}}
	for _, id := range sortedKeys(f.Policies) {
		raw := f.Policies[id]
		var pc PolicyConfig
		var level string
		if err := json.Unmarshal(raw, &level); err == nil {
			pc.Level = Level(level)
		} else {
			var props map[string]any
			if err := json.Unmarshal(raw, &props); err != nil {
				problems = append(problems, fmt.Sprintf("policies.%s: must be a level string or an object", id))
				continue
			}
			if l, ok := props["enforcementLevel"]; ok {
				s, _ := l.(string)
				pc.Level = Level(s)
				delete(props, "enforcementLevel")
			}
			if len(props) > 0 {
				pc.Properties = props
			}
		}
		cfg.Policies[id] = pc
	}
	for _, id := range sortedKeys(f.Exceptions) {
		e := f.Exceptions[id]
		ex := Exception{ID: id, Reason: e.Reason}
		if strings.TrimSpace(e.Reason) == "" {
			problems = append(problems, fmt.Sprintf("exceptions.%s.reason: required; say why the violation is accepted", id))
		}
		if len(e.Match) == 0 {
			problems = append(problems, fmt.Sprintf("exceptions.%s.match: must list at least one {policies, targets} entry", id))
		}
		for i, m := range e.Match {
			if len(m.Policies) == 0 || len(m.Targets) == 0 {
				problems = append(problems, fmt.Sprintf("exceptions.%s.match[%d]: needs both policies and targets", id, i))
			}
			for _, t := range m.Targets {
				if !strings.HasPrefix(t, "urn:pulumi:") {
					problems = append(problems, fmt.Sprintf("exceptions.%s.match[%d].targets: %q is not a URN", id, i, t))
				}
			}
			ex.Policies = append(ex.Policies, m.Policies...)
			ex.Targets = append(ex.Targets, m.Targets...)
		}
		for _, p := range ex.Policies {
			if Lookup(p) == nil {
				problems = append(problems, fmt.Sprintf("exceptions.%s: unknown policy %q", id, p))
			}
		}
		cfg.Exceptions = append(cfg.Exceptions, ex)
	}
	if err := cfg.Validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return Config{}, errors.New(strings.Join(problems, "; "))
	}
	return cfg, nil
}

// Validate checks every policy override against the catalogue: known policy, valid level, known threshold names
// with the right types. It returns all problems in one error.
func (c Config) Validate() error {
	var problems []string
	for _, id := range sortedKeys(c.Policies) {
		pc := c.Policies[id]
		if id == AllPolicies {
			if pc.Level != "" && !pc.Level.Valid() {
				problems = append(problems, fmt.Sprintf("policies.all.enforcementLevel: %q is not one of advisory, mandatory, disabled", pc.Level))
			}
			for _, name := range sortedKeys(pc.Properties) {
				problems = append(problems, fmt.Sprintf("policies.all.%s: \"all\" takes only enforcementLevel; set thresholds on the policy that reads them", name))
			}
			continue
		}
		p := Lookup(id)
		if p == nil {
			problems = append(problems, fmt.Sprintf("policies.%s: unknown policy (see policies/README.md for the catalogue)", id))
			continue
		}
		if pc.Level != "" && !pc.Level.Valid() {
			problems = append(problems, fmt.Sprintf("policies.%s.enforcementLevel: %q is not one of advisory, mandatory, disabled", id, pc.Level))
		}
		for _, name := range sortedKeys(pc.Properties) {
			param := p.param(name)
			if param == nil {
				problems = append(problems, fmt.Sprintf("policies.%s.%s: unknown setting; allowed: %s", id, name, strings.Join(p.paramNames(), ", ")))
				continue
			}
			if err := checkParamValue(param.Type, pc.Properties[name]); err != nil {
				problems = append(problems, fmt.Sprintf("policies.%s.%s: %v", id, name, err))
			}
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func checkParamValue(t ParamType, v any) error {
	switch t {
	case IntParam:
		if f, ok := v.(float64); ok && f == math.Trunc(f) {
			return nil
		}
		if _, ok := v.(int); ok {
			return nil
		}
		return fmt.Errorf("must be an integer, got %v", v)
	case StringParam:
		if _, ok := v.(string); ok {
			return nil
		}
		return fmt.Errorf("must be a string, got %v", v)
	case StringArrayParam:
		if _, ok := toStrings(v); ok {
			return nil
		}
		return fmt.Errorf("must be an array of strings, got %v", v)
	case IntArrayParam:
		if _, ok := toInts(v); ok {
			return nil
		}
		return fmt.Errorf("must be an array of integers, got %v", v)
	}
	return fmt.Errorf("unsupported setting type %s", t)
}

func toStrings(v any) ([]string, bool) {
	switch t := v.(type) {
	case []string:
		return t, true
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

func toInts(v any) ([]int, bool) {
	switch t := v.(type) {
	case []int:
		return t, true
	case []any:
		out := make([]int, 0, len(t))
		for _, e := range t {
			f, ok := e.(float64)
			if !ok || f != math.Trunc(f) {
				return nil, false
			}
			out = append(out, int(f))
		}
		return out, true
	}
	return nil, false
}

func (p *Policy) param(name string) *Param {
	for i := range p.Params {
		if p.Params[i].Name == name {
			return &p.Params[i]
		}
	}
	return nil
}

func (p *Policy) paramNames() []string {
	names := []string{}
	for _, prm := range p.Params {
		names = append(names, prm.Name)
	}
	if len(names) == 0 {
		return []string{"(none: only enforcementLevel)"}
	}
	return names
}

// Schema returns the JSON schema of a policy's config properties, as GetAnalyzerInfo reports it. Defaults are
// described, not declared (see Param).
func (p *Policy) Schema() map[string]any {
	props := map[string]any{}
	for _, prm := range p.Params {
		s := map[string]any{"type": string(prm.Type), "description": prm.Description + " " + defaultsText(prm)}
		switch prm.Type {
		case StringArrayParam:
			s["type"] = "array"
			s["items"] = map[string]any{"type": "string"}
		case IntArrayParam:
			s["type"] = "array"
			s["items"] = map[string]any{"type": "integer"}
		case IntParam:
			s["minimum"] = 0
		}
		props[prm.Name] = s
	}
	return props
}

func defaultsText(prm Param) string {
	parts := make([]string, 0, len(Envs))
	for _, e := range Envs {
		parts = append(parts, fmt.Sprintf("%s=%s", e, formatDefault(prm.Default[e])))
	}
	return "Default: " + strings.Join(parts, ", ") + "."
}

func formatDefault(v any) string {
	if ss, ok := toStrings(v); ok {
		return quoteList(ss)
	}
	if is, ok := toInts(v); ok {
		return fmt.Sprint(is)
	}
	return fmt.Sprint(v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// EnvironmentKey is the stack config key the platform program validates against; the pack selects its levels
// from the same key so the two never judge one stack as different environments.
const EnvironmentKey = "platform:environment"

// EnvironmentFromConfig selects the environment of a stack run from the config the engine sends in
// ConfigureStack, falling back to the stack name only when the config has no platform:environment (an engine
// that sends no config, or a stack of another project). It returns the environment and why it was chosen.
// An unsupported value gets prod, the strictest; the program rejects that stack anyway.
func EnvironmentFromConfig(config map[string]string, stack string) (Env, string) {
	if v, ok := config[EnvironmentKey]; ok {
		if e, ok := ParseEnv(strings.TrimSpace(v)); ok {
			return e, "from " + EnvironmentKey
		}
		return Prod, fmt.Sprintf("%s %q is not dev, staging or prod: strictest", EnvironmentKey, v)
	}
	if e, ok := EnvironmentFromStack(stack); ok {
		return e, fmt.Sprintf("no %s in the stack's config; from stack %q", EnvironmentKey, stack)
	}
	return Prod, fmt.Sprintf("no %s in the stack's config; stack %q names no environment: strictest", EnvironmentKey, stack)
}
