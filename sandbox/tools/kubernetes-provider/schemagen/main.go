// Command schemagen writes the two files the provider's main embeds, from the provider module's own
// cmd/pulumi-resource-kubernetes/{schema.json,terraform-mapping.json}: the schema with its "version" field
// set (as upstream's generate.go does with $VERSION) and the mapping compacted. The make target runs it
// before `go build`; both outputs are build products (git-ignored).
//
// Usage: go run ./schemagen -version 4.25.0 -out .
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const providerModule = "github.com/pulumi/pulumi-kubernetes/provider/v4"

func main() {
	version := flag.String("version", "", "provider version to stamp into the schema (required)")
	out := flag.String("out", ".", "directory to write schema-embed.json and terraform-mapping-embed.json")
	flag.Parse()
	if *version == "" {
		log.Fatal("schemagen: -version is required")
	}
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", providerModule).Output()
	if err != nil {
		log.Fatalf("schemagen: locating %s: %v", providerModule, err)
	}
	src := filepath.Join(strings.TrimSpace(string(dir)), "cmd", "pulumi-resource-kubernetes")

	var schema map[string]json.RawMessage
	readJSON(filepath.Join(src, "schema.json"), &schema)
	v, _ := json.Marshal(*version)
	schema["version"] = v
	writeJSON(filepath.Join(*out, "schema-embed.json"), schema)

	var mapping json.RawMessage
	readJSON(filepath.Join(src, "terraform-mapping.json"), &mapping)
	var compact bytes.Buffer
	if err := json.Compact(&compact, mapping); err != nil {
		log.Fatalf("schemagen: terraform-mapping.json: %v", err)
	}
	if err := os.WriteFile(filepath.Join(*out, "terraform-mapping-embed.json"), compact.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

func readJSON(path string, v any) {
	b, err := os.ReadFile(path)
	if err != nil {
		log.Fatalf("schemagen: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		log.Fatalf("schemagen: %s: %v", path, err)
	}
}

func writeJSON(path string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		log.Fatalf("schemagen: %v", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		log.Fatalf("schemagen: %v", err)
	}
}
