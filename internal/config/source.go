package config

import (
	"errors"
	"reflect"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Source is a stack's raw configuration exactly as the engine hands it to the program: every key of every
// namespace, which of them are secrets, and the stack's name. Parse judges it whole, so a key the loader does
// not know is an error rather than silently ignored.
type Source struct {
	// Stack is the stack name (ctx.Stack()).
	Stack string
	// Config holds every config value by full key ("platform:network"); structured values are JSON.
	Config map[string]string
	// SecretKeys are the full keys whose values are secrets (stored `secure:` or from a secret ESC value).
	SecretKeys []string
}

// SourceOf reads the whole configuration the engine passed to this run.
//
// The SDK (v3.274.1) exposes config one key at a time (ctx.GetConfig) and offers no way to list the keys, yet
// an unknown key can only be found by listing them. The map the engine sent is held in the context's run info
// on every path a program runs by: the Go language host and the mock harness fill it from PULUMI_CONFIG
// (sdk/go/pulumi/run.go getEnvInfo), and the Automation API's inline runtime, which the sandbox uses, fills it
// from the RunRequest (sdk/go/auto/stack.go languageRuntimeServer.Run) without setting PULUMI_CONFIG at all.
// So the keys are read from there by reflection (read-only), and every value and its secrecy through the
// public accessors. If an SDK upgrade moves the map this fails loudly, and the loader tests fail with it.
func SourceOf(ctx *pulumi.Context) (Source, error) {
	keys, err := configKeys(ctx)
	if err != nil {
		return Source{}, err
	}
	src := Source{Stack: ctx.Stack(), Config: make(map[string]string, len(keys))}
	for _, k := range keys {
		v, _ := ctx.GetConfig(k)
		src.Config[k] = v
		if ctx.IsConfigSecret(k) {
			src.SecretKeys = append(src.SecretKeys, k)
		}
	}
	return src, nil
}

var errNoConfigMap = errors.New("config: cannot list the stack's config keys: the Pulumi SDK no longer keeps " +
	"them in Context.state.info.Config; update internal/config/source.go for this SDK version")

// configKeys lists the keys of the config map the context was created with, sorted.
func configKeys(ctx *pulumi.Context) ([]string, error) {
	if ctx == nil {
		return nil, errNoConfigMap
	}
	state := reflect.ValueOf(ctx).Elem().FieldByName("state")
	if !state.IsValid() || state.Kind() != reflect.Pointer || state.IsNil() {
		return nil, errNoConfigMap
	}
	info := state.Elem().FieldByName("info")
	if !info.IsValid() || info.Kind() != reflect.Struct {
		return nil, errNoConfigMap
	}
	m := info.FieldByName("Config")
	if !m.IsValid() || m.Kind() != reflect.Map || m.Type().Key().Kind() != reflect.String {
		return nil, errNoConfigMap
	}
	keys := make([]string, 0, m.Len())
	for _, k := range m.MapKeys() {
		keys = append(keys, k.String())
	}
	sort.Strings(keys)
	return keys, nil
}
