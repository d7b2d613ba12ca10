package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Key is one top-level config key of the platform namespace.
type Key struct {
	Name string
	// Required keys must be set; Pulumi.yaml declares them without a default, so the CLI refuses a stack
	// without them too.
	Required bool
	// Secret keys hold credentials: they must be stored encrypted (`pulumi config set --secret`), never in
	// plain text in a stack file.
	Secret bool
	// Undeclared keys are documented in Pulumi.yaml's comment block rather than its config: block: the CLI
	// treats a declared key without a default as required, and a default would make an unset secret an empty
	// one.
	Undeclared bool
}

// Keys are every top-level config key of the platform namespace; any other platform: key is an error.
// Pulumi.yaml documents each of them; a test keeps the two in step.
var Keys = []Key{
	{Name: "environment", Required: true},
	{Name: "aws", Required: true},
	{Name: "tags", Required: true},
	{Name: "network", Required: true},
	{Name: "cluster", Required: true},
	{Name: "gpuPools"},
	{Name: "mesh"},
	{Name: "observability"},
	{Name: "vault"},
	{Name: "gpuRuntime"},
	{Name: "autoscaling"},
	{Name: "admission"},
	{Name: "customStackName"},
	// Read by the program (internal/program/services.go) as secrets, so never part of the typed Config.
	{Name: "grafanaAdminPassword", Secret: true, Undeclared: true},
	{Name: "vaultToken", Secret: true, Undeclared: true},
	{Name: "vaultCaCertFile", Undeclared: true},
}

// Load reads the stack's whole configuration from the Pulumi context, then checks, defaults and validates it.
func Load(ctx *pulumi.Context) (*Config, error) {
	src, err := SourceOf(ctx)
	if err != nil {
		return nil, err
	}
	return Parse(src)
}

// Parse builds a Config from the raw configuration the engine passed (structured objects arrive as JSON),
// applies defaults and validates. Every key of the platform namespace must be known, credentials must be
// secrets, and the stack's name must not claim another environment. The error, if any, is a
// *ValidationError listing every problem, decoding problems included; no problem quotes a credential.
func Parse(src Source) (*Config, error) {
	get := func(key string) (string, bool) {
		v, ok := src.Config[Namespace+":"+key]
		return v, ok
	}
	var ps problems
	checkKeys(&ps, src)
	c := &Config{}
	broken := map[string]bool{}
	for _, k := range Keys {
		if slices.Contains(ServiceKeys, k.Name) || k.Secret || k.Undeclared || k.Name == "customStackName" {
			continue // services are decoded together below; the others are not part of Config
		}
		raw, ok := get(k.Name)
		if !ok || strings.TrimSpace(raw) == "" {
			if k.Required {
				ps.add(k.Name, "required key %s:%s is missing from the stack configuration", Namespace, k.Name)
				broken[k.Name] = true
			}
			continue
		}
		var err error
		switch k.Name {
		case "environment":
			c.Environment = Environment(strings.TrimSpace(raw))
		case "aws":
			err = decodeStrict(raw, &c.AWS)
		case "tags":
			err = decodeStrict(raw, &c.Tags)
		case "network":
			err = decodeStrict(raw, &c.Network)
		case "cluster":
			err = decodeStrict(raw, &c.Cluster)
		case "gpuPools":
			if err = rejectDuplicateKeys(raw); err == nil {
				err = decodeStrict(raw, &c.GPUPools)
			}
		}
		if err != nil {
			ps.add(k.Name, "%v", err)
			broken[k.Name] = true
		}
	}

	if err := loadServices(RawServiceGetter(get), &c.Services); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				ps = append(ps, p)
				broken[topKey(p.Path)] = true
			}
		}
	}

	// Before the environment's own rules: a stack named for another environment explains everything they
	// would report.
	if !broken["environment"] {
		custom, _ := get("customStackName")
		checkStackName(&ps, src.Stack, c.Environment, strings.TrimSpace(custom))
	}

	ApplyDefaults(c)
	if err := Validate(c); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				// A section that failed to decode would only add noise ("required" for every field).
				if !broken[topKey(p.Path)] {
					ps = append(ps, p)
				}
			}
		}
	}
	if len(ps) > 0 {
		return nil, &ValidationError{Problems: ps}
	}
	return c, nil
}

// checkKeys reports every platform: key the loader does not know (naming the key it probably meant) and every
// credential stored in plain text. Keys of other namespaces (providers, the engine) are not ours to judge.
func checkKeys(ps *problems, src Source) {
	known := map[string]Key{}
	for _, k := range Keys {
		known[k.Name] = k
	}
	var names []string
	for full := range src.Config {
		if name, ok := strings.CutPrefix(full, Namespace+":"); ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		k, ok := known[name]
		switch {
		case !ok:
			if guess := nearestKey(name); guess != "" {
				ps.add(name, "unknown key %s:%s; did you mean %s:%s?", Namespace, name, Namespace, guess)
			} else {
				ps.add(name, "unknown key %s:%s; the platform namespace holds only: %s", Namespace, name, strings.Join(keyNames(), ", "))
			}
		case k.Secret && src.Config[Namespace+":"+name] != "" && !slices.Contains(src.SecretKeys, Namespace+":"+name):
			stack := ""
			if src.Stack != "" {
				stack = " --stack " + src.Stack
			}
			ps.add(name, "is stored in plain text; a credential must be encrypted in the stack file. "+
				"Replace it with: pulumi config set --secret %s:%s <value>%s (and rotate it if the plain value was ever committed)",
				Namespace, name, stack)
		}
	}
}

func keyNames() []string {
	out := make([]string, len(Keys))
	for i, k := range Keys {
		out[i] = k.Name
	}
	sort.Strings(out)
	return out
}

// nearestKey returns the known key an unknown one most probably meant: the same key in another case, or the
// closest within two edits (case-insensitive) that is not too short to judge; "" when none is close.
func nearestKey(name string) string {
	best, bestD := "", 0
	for _, k := range Keys {
		if strings.EqualFold(k.Name, name) {
			return k.Name
		}
		d := editDistance(strings.ToLower(name), strings.ToLower(k.Name))
		if d <= 2 && 3*d <= len(k.Name) && (best == "" || d < bestD) {
			best, bestD = k.Name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, by bytes (config keys are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func topKey(path string) string {
	s, _, _ := strings.Cut(path, ".")
	s, _, _ = strings.Cut(s, "[")
	return s
}

// decodeStrict decodes JSON into out, rejecting unknown keys: a misspelled setting must fail loudly rather
// than silently fall back to its default.
func decodeStrict(raw string, out any) error {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%s: expected %s, got %s", te.Field, te.Type, te.Value)
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("expected a structured object (YAML map): %v", err)
		}
		return errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the object")
	}
	return nil
}

// rejectDuplicateKeys fails on an object that names the same key twice at its top level (two pools with one
// name), which a map decode would silently merge into the last one.
func rejectDuplicateKeys(raw string) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil // not an object: the strict decode reports it
	}
	seen := map[string]bool{}
	var dups []string
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil
		}
		k, _ := kt.(string)
		if seen[k] && !slices.Contains(dups, k) {
			dups = append(dups, k)
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	if len(dups) > 0 {
		sort.Strings(dups)
		return fmt.Errorf("duplicate pool names: %s; each pool needs a unique name", strings.Join(dups, ", "))
	}
	return nil
}
