package pack

import (
	"fmt"
	"strconv"

	"github.com/hashicorp/hcl"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// How the Vault Helm chart (hashicorp/vault-helm v0.34.1, templates/_helpers.tpl, the catalogue's pin) reads its values, and how Vault
// reads the server configuration the chart hands it, so the Vault policies judge what actually runs:
//   - the server mode comes from string comparisons: `eq (x | toString) "true"`, so true and "true" enable a mode
//     and "True", "yes" or 1 do not; dev wins over ha, ha over standalone ("vault.mode");
//   - global.tlsDisable is read with Go template truthiness ("vault.scheme"): any non-empty string, "false"
//     included, disables TLS, and the chart's default is true;
//   - replicas count only when they are numbers ("vault.replicas"), otherwise the chart uses 3;
//   - the configuration used is server.<mode>.config, replaced by server.ha.raft.config whenever
//     server.ha.raft.enabled is truthy ("vault.config"); when it is not set the chart's default applies, which
//     listens without TLS (tls_disable = 1) and has no seal stanza; a structured (map) configuration makes the
//     chart fail ("structured server config is not supported");
//   - Vault parses that configuration as HCL or JSON (HCL v1, which reads both) and its booleans weakly: true,
//     1, "1", "t", "true", "TRUE" all mean true (go-secure-stdlib parseutil.ParseBool via mapstructure).

// vaultChartDefaults are the chart's values.yaml defaults for the values the policies read.
var vaultChartDefaults = map[string]any{
	"global.enabled":            true,
	"global.tlsDisable":         true,
	"server.enabled":            "-",
	"server.dev.enabled":        false,
	"server.standalone.enabled": "-",
	"server.ha.enabled":         false,
	"server.ha.raft.enabled":    false,
}

// vaultValues reads Vault chart values with the chart's defaults.
type vaultValues struct{ v value }

// get returns a value, or the chart default when it is not set.
func (vv vaultValues) get(path string) value {
	x := vv.v.field(path)
	if x.p == missing {
		if d, ok := vaultChartDefaults[path]; ok {
			return value{p: known, v: resource.NewPropertyValue(d)}
		}
	}
	return x
}

// toString renders a value as Helm's toString does (fmt %v); ok is false when it is unknown.
func (vv vaultValues) toString(path string) (string, bool) {
	x := vv.get(path)
	switch {
	case x.p == unknown:
		return "", false
	case x.p == missing:
		return "<nil>", true
	case x.v.IsString():
		return x.v.StringValue(), true
	case x.v.IsBool():
		return strconv.FormatBool(x.v.BoolValue()), true
	case x.v.IsNumber():
		return strconv.FormatFloat(x.v.NumberValue(), 'f', -1, 64), true
	}
	return x.v.TypeString(), true
}

// truthy is Go template truthiness: false, 0, "", nil and empty collections are false. ok is false when unknown.
func truthy(x value) (bool, bool) {
	switch {
	case x.p == unknown:
		return false, false
	case x.p == missing:
		return false, true
	case x.v.IsBool():
		return x.v.BoolValue(), true
	case x.v.IsNumber():
		return x.v.NumberValue() != 0, true
	case x.v.IsString():
		return x.v.StringValue() != "", true
	case x.v.IsArray():
		return len(x.v.ArrayValue()) > 0, true
	case x.v.IsObject():
		return len(x.v.ObjectValue()) > 0, true
	}
	return true, true
}

// mode is the chart's server mode: "dev", "ha", "standalone", "external" (no server in this release) or "" (none
// selected). ok is false when a value it depends on is unknown; unknownPath then names it.
func (vv vaultValues) mode() (mode string, unknownPath string) {
	for _, p := range []string{"injector.externalVaultAddr", "global.externalVaultAddr"} {
		t, ok := truthy(vv.get(p))
		if !ok {
			return "", p
		}
		if t {
			return "external", ""
		}
	}
	is := func(path, want string) (bool, string) {
		s, ok := vv.toString(path)
		if !ok {
			return false, path
		}
		return s == want, ""
	}
	enabled, u := is("server.enabled", "true")
	if u != "" {
		return "", u
	}
	if !enabled {
		dash, u := is("server.enabled", "-")
		if u != "" {
			return "", u
		}
		global, u := is("global.enabled", "true")
		if u != "" {
			return "", u
		}
		if !dash || !global {
			return "external", ""
		}
	}
	for _, m := range []struct{ path, mode string }{{"server.dev.enabled", "dev"}, {"server.ha.enabled", "ha"}} {
		on, u := is(m.path, "true")
		if u != "" {
			return "", u
		}
		if on {
			return m.mode, ""
		}
	}
	s, ok := vv.toString("server.standalone.enabled")
	if !ok {
		return "", "server.standalone.enabled"
	}
	if s == "true" || s == "-" {
		return "standalone", ""
	}
	return "", ""
}

// vaultServerConfig is the part of Vault's server configuration the policies read.
type vaultServerConfig struct {
	source string // the values path it came from, or "the chart's default configuration"
	// chartDefault is set when no configuration was given and the chart's default applies.
	chartDefault bool
	seals        []vaultBlock
	listeners    []vaultBlock
}

// vaultBlock is one labelled stanza (seal "awskms", listener "tcp") and its attributes.
type vaultBlock struct {
	kind  string
	attrs map[string]any
}

// config returns the configuration the chart renders for mode. unknownPath is set when it is not known yet.
func (vv vaultValues) config(mode string) (cfg vaultServerConfig, unknownPath string, err error) {
	path := "server." + mode + ".config"
	raft, ok := truthy(vv.get("server.ha.raft.enabled"))
	if !ok {
		return cfg, "values.server.ha.raft.enabled", nil
	}
	if raft {
		path = "server.ha.raft.config"
	}
	cfg.source = "values." + path
	x := vv.v.field(path)
	var text string
	switch {
	case x.p == unknown:
		return cfg, cfg.source, nil
	case x.p == missing:
		cfg.chartDefault = true
		cfg.source = "the chart's default configuration (" + cfg.source + " not set)"
		cfg.listeners = []vaultBlock{{kind: "tcp", attrs: map[string]any{"tls_disable": 1}}}
		return cfg, "", nil
	case x.v.IsString():
		text = x.v.StringValue()
	default:
		return cfg, "", fmt.Errorf("%s is a %s, not a configuration string (the chart refuses structured configuration; write HCL or JSON text)", cfg.source, x.v.TypeString())
	}
	seals, listeners, err := parseVaultConfig(text)
	if err != nil {
		return cfg, "", fmt.Errorf("%s cannot be read as Vault configuration (HCL or JSON): %v", cfg.source, err)
	}
	cfg.seals, cfg.listeners = seals, listeners
	return cfg, "", nil
}

// parseVaultConfig reads the seal and listener stanzas of an HCL or JSON Vault configuration.
func parseVaultConfig(text string) (seals, listeners []vaultBlock, err error) {
	f, err := hcl.Parse(text)
	if err != nil {
		return nil, nil, err
	}
	var m map[string]any
	if err := hcl.DecodeObject(&m, f); err != nil {
		return nil, nil, err
	}
	return labelled(m["seal"]), labelled(m["listener"]), nil
}

// labelled flattens HCL v1's decoding of `kind "label" { ... }` stanzas ([]map{label: []map{attrs}}) and JSON's
// ({label: {attrs}} or a list of them).
func labelled(v any) []vaultBlock {
	var out []vaultBlock
	var bodies func(label string, b any)
	bodies = func(label string, b any) {
		switch t := b.(type) {
		case map[string]any:
			out = append(out, vaultBlock{kind: label, attrs: t})
		case []map[string]any:
			for _, x := range t {
				bodies(label, x)
			}
		case []any:
			for _, x := range t {
				bodies(label, x)
			}
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for label, b := range t {
				bodies(label, b)
			}
		case []map[string]any:
			for _, x := range t {
				walk(x)
			}
		case []any:
			for _, x := range t {
				walk(x)
			}
		}
	}
	walk(v)
	return out
}

// weakBool reads a Vault boolean as mapstructure's weak decoding does: bools, non-zero numbers, and strings
// strconv.ParseBool accepts ("" is false). ok is false for anything Vault would reject.
func weakBool(v any) (b, ok bool) {
	switch t := v.(type) {
	case nil:
		return false, true
	case bool:
		return t, true
	case int:
		return t != 0, true
	case int64:
		return t != 0, true
	case float64:
		return t != 0, true
	case string:
		if t == "" {
			return false, true
		}
		b, err := strconv.ParseBool(t)
		return b, err == nil
	}
	return false, false
}

// activeAWSKMSSeal reports a seal "awskms" stanza that is not disabled (a disabled seal is the one being migrated
// away from).
func (c vaultServerConfig) activeAWSKMSSeal() bool {
	for _, s := range c.seals {
		if s.kind != "awskms" {
			continue
		}
		if off, _ := weakBool(s.attrs["disabled"]); !off {
			return true
		}
	}
	return false
}

// tlsDisabledListeners lists the tcp listeners that serve plain HTTP.
func (c vaultServerConfig) tlsDisabledListeners() []string {
	var out []string
	for i, l := range c.listeners {
		if l.kind != "tcp" {
			continue
		}
		if off, _ := weakBool(l.attrs["tls_disable"]); off {
			out = append(out, fmt.Sprintf("listener \"tcp\" #%d (tls_disable = %v)", i+1, l.attrs["tls_disable"]))
		}
	}
	return out
}
