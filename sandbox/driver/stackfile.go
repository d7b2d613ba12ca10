package driver

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"go.yaml.in/yaml/v3"
)

// StandInSecret replaces every encrypted (secure:) value of the stack file in
// the sandbox. The sandbox never decrypts a real secret: its own passphrase is
// public, so a real value decrypted into sandbox state would be exposed to
// anyone with the repository. The stand-in is still set as a secret, so the
// program and the engine treat it exactly as they treat the real one.
const StandInSecret = "sandbox-stand-in-secret-not-the-real-value"

// secretsKeys are the stack file's secrets-provider settings. The sandbox
// replaces them with its own passphrase provider and salt.
var secretsKeys = regexp.MustCompile(`(?m)^(encryptionsalt|encryptedkey|secretsprovider):.*\n?`)

// standInSecret is one secure value of the stack file, as the key `pulumi
// config set --secret [--path]` takes.
type standInSecret struct {
	Key  string // "platform:grafanaAdminPassword" or "platform:aws.nested[0]"
	Path bool   // Key is a path (--path)
}

// writeStackFile copies the stack configuration into the sandbox project,
// replacing the secrets-provider settings with the sandbox's own salt (kept
// beside the state) and every secure: value with a plain StandInSecret. It
// returns those values' keys: Open sets them as secrets once the stack exists
// (setStandInSecrets), because only then does the sandbox's salt exist.
func writeStackFile(opts Options) ([]standInSecret, error) {
	b, err := os.ReadFile(opts.StackFile)
	if err != nil {
		return nil, fmt.Errorf("sandbox: reading stack config: %w", err)
	}
	text := secretsKeys.ReplaceAllString(string(b), "")
	secrets, text, err := replaceSecureValues(text)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %s: %w", opts.StackFile, err)
	}
	if !strings.HasSuffix(text, "\n") && text != "" {
		text += "\n"
	}
	if salt, err := os.ReadFile(opts.saltFile()); err == nil && len(salt) > 0 {
		text += "encryptionsalt: " + strings.TrimSpace(string(salt)) + "\n"
	}
	dst := filepath.Join(opts.projectDir(), fmt.Sprintf("Pulumi.%s.yaml", opts.Stack))
	if err := os.WriteFile(dst, []byte(text), 0o644); err != nil {
		return nil, fmt.Errorf("sandbox: writing stack config: %w", err)
	}
	return secrets, nil
}

// replaceSecureValues finds every `{secure: <ciphertext>}` value under the
// stack file's config (top-level keys and values nested in objects and lists,
// as `pulumi config set --secret --path` writes them) and replaces it with a
// plain StandInSecret. Text without secure values is returned unchanged. The
// ciphertext never appears in an error.
func replaceSecureValues(text string) ([]standInSecret, string, error) {
	if !strings.Contains(text, "secure") {
		return nil, text, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, "", fmt.Errorf("parsing the stack file: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, text, nil
	}
	var cfg *yaml.Node
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "config" {
			cfg = root.Content[i+1]
		}
	}
	if cfg == nil || cfg.Kind != yaml.MappingNode {
		return nil, text, nil
	}
	var secrets []standInSecret
	var problems []string
	for i := 0; i+1 < len(cfg.Content); i += 2 {
		key := cfg.Content[i].Value
		var walk func(n *yaml.Node, path string)
		walk = func(n *yaml.Node, path string) {
			switch {
			case isSecure(n):
				if path != "" && strings.ContainsAny(key, ".[") {
					problems = append(problems, fmt.Sprintf("config key %q holds a nested secure value, but a key with '.' or '[' cannot be named in a config path", key))
					return
				}
				*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: StandInSecret}
				secrets = append(secrets, standInSecret{Key: key + path, Path: path != ""})
			case n.Kind == yaml.MappingNode:
				for j := 0; j+1 < len(n.Content); j += 2 {
					walk(n.Content[j+1], path+pathSegment(n.Content[j].Value))
				}
			case n.Kind == yaml.SequenceNode:
				for j, item := range n.Content {
					walk(item, path+"["+strconv.Itoa(j)+"]")
				}
			}
		}
		walk(cfg.Content[i+1], "")
	}
	if len(problems) > 0 {
		return nil, "", fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	if len(secrets) == 0 {
		return nil, text, nil
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, "", fmt.Errorf("writing the stack file: %w", err)
	}
	return secrets, buf.String(), nil
}

// isSecure reports whether n is the mapping the CLI writes for a secret:
// exactly one key, secure, with a string value.
func isSecure(n *yaml.Node) bool {
	return n.Kind == yaml.MappingNode && len(n.Content) == 2 &&
		n.Content[0].Value == "secure" && n.Content[1].Kind == yaml.ScalarNode
}

// pathSegment writes one object key of a config path as the CLI parses it
// (resource.PropertyPath syntax): .name, or ["name"] when the name holds
// anything but letters, digits and underscores.
func pathSegment(k string) string {
	plain := k != ""
	for _, c := range k {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			plain = false
		}
	}
	if plain {
		return "." + k
	}
	return `["` + strings.ReplaceAll(k, `"`, `\"`) + `"]`
}

// setStandInSecrets sets each replaced value again as a secret, encrypted with
// the sandbox's own passphrase: the program reads it as a secret, and the
// engine keeps it one in state and output. One CLI call per kind of key.
func setStandInSecrets(ctx context.Context, stack auto.Stack, secrets []standInSecret) error {
	for _, path := range []bool{false, true} {
		m := auto.ConfigMap{}
		for _, s := range secrets {
			if s.Path == path {
				m[s.Key] = auto.ConfigValue{Value: StandInSecret, Secret: true}
			}
		}
		if len(m) == 0 {
			continue
		}
		if err := stack.SetAllConfigWithOptions(ctx, m, &auto.ConfigOptions{Path: path}); err != nil {
			return fmt.Errorf("sandbox: setting stand-in secrets: %w", err)
		}
	}
	return nil
}

var saltLine = regexp.MustCompile(`(?m)^encryptionsalt:\s*(\S+)`)

// saveSalt keeps the salt the CLI wrote at stack creation, so the next run's
// fresh copy of the stack file can decrypt the state.
func saveSalt(opts Options) error {
	b, err := os.ReadFile(filepath.Join(opts.projectDir(), fmt.Sprintf("Pulumi.%s.yaml", opts.Stack)))
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	m := saltLine.FindSubmatch(b)
	if m == nil {
		return nil
	}
	return os.WriteFile(opts.saltFile(), append(m[1], '\n'), 0o644)
}
