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

// Keys are the top-level config keys (namespace "platform") and whether each is required.
// Pulumi.yaml documents each of them; a test keeps the two in step.
var Keys = []struct {
	Name     string
	Required bool
}{
	{"environment", true},
	{"aws", true},
	{"tags", true},
	{"network", true},
	{"cluster", true},
	{"gpuPools", false},
	{"mesh", false},
	{"observability", false},
	{"vault", false},
	{"gpuRuntime", false},
	{"autoscaling", false},
}

// Load reads the stack's configuration from the Pulumi context, then defaults and validates it.
func Load(ctx *pulumi.Context) (*Config, error) {
	return Parse(func(key string) (string, bool) {
		return ctx.GetConfig(Namespace + ":" + key)
	})
}

// Parse builds a Config from raw config values (get returns a key's value within the platform namespace;
// structured objects arrive as JSON, as Pulumi passes them), applies defaults and validates. The error, if
// any, is a *ValidationError listing every problem, decoding problems included.
func Parse(get func(key string) (string, bool)) (*Config, error) {
	c := &Config{}
	var ps problems
	broken := map[string]bool{}
	for _, k := range Keys {
		if slices.Contains(ServiceKeys, k.Name) {
			continue // decoded together below
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
