// Command sandbox runs the platform program through the real Pulumi engine
// against the STAND-IN providers (see sandbox/standin and sandbox/driver):
// `make preview|up|destroy|export STACK=...` call it. It needs no cloud account
// and never touches a real stack: state, plugins and PULUMI_HOME live under
// .sandbox/.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/platform-team/platform/internal/program"
	"github.com/platform-team/platform/sandbox/driver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "%v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "dev", "stack to run: dev, staging or prod")
	root := fs.String("root", ".", "repository root (holds Pulumi.yaml and Pulumi.<stack>.yaml)")
	out := fs.String("out", "", "export: write the state here; plan: write the preview's steps here (default stdout)")
	var packs, packConfigs multi
	fs.Var(&packs, "policy-pack", "policy pack executable or directory (repeatable)")
	fs.Var(&packConfigs, "policy-pack-config", "policy pack config file, one per pack (repeatable)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: sandbox [flags] preview|plan|up|destroy|export\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("exactly one action is required")
	}
	action := fs.Arg(0)
	switch action {
	case "preview", "plan", "up", "destroy", "export":
	default:
		fs.Usage()
		return fmt.Errorf("unknown action %q", action)
	}
	absRoot, err := filepath.Abs(*root)
	if err != nil {
		return err
	}
	// Flags are relative to where the command was started, not to -root.
	for _, list := range [][]string{packs, packConfigs} {
		for i, p := range list {
			if list[i], err = filepath.Abs(p); err != nil {
				return err
			}
		}
	}
	if *out != "" {
		if *out, err = filepath.Abs(*out); err != nil {
			return err
		}
	}
	// The inline program runs in this process: run it from the repository
	// root, as `pulumi up` would run main.go.
	if err := os.Chdir(absRoot); err != nil {
		return err
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	progress := stdout
	if (action == "export" || action == "plan") && *out == "" {
		// stdout carries the export itself.
		progress = stderr
	}
	shown := action
	if action == "plan" {
		shown = "preview" // plan is a preview whose steps are written out
	}
	driver.Banner(progress, shown, *stack)
	start := time.Now()
	sb, err := driver.Open(ctx, driver.Options{
		RepoRoot:          absRoot,
		Stack:             *stack,
		PolicyPacks:       packs,
		PolicyPackConfigs: packConfigs,
		Program:           program.Run,
		Progress:          progress,
	})
	if err != nil {
		return err
	}
	defer sb.Close()
	var res driver.Result
	switch action {
	case "preview", "plan":
		res, err = sb.Preview(ctx)
	case "up", "export":
		res, err = sb.Up(ctx)
	case "destroy":
		res, err = sb.Destroy(ctx)
	}
	report(progress, action, *stack, res, len(packs) > 0 && (err == nil || len(res.Verdict.Mandatory) > 0), time.Since(start))
	if action == "plan" && len(res.Steps) > 0 {
		// A plan the policies block is still a plan: its cost is what a reviewer wants to see.
		if werr := writePlan(res.Steps, *out, stdout, progress, *stack); werr != nil {
			return werr
		}
	}
	if err != nil {
		if len(res.Verdict.Mandatory) > 0 {
			return fmt.Errorf("%s %s blocked by mandatory policies: %s", action, *stack, strings.Join(res.Verdict.Policies(), ", "))
		}
		return err
	}
	if action == "export" {
		return export(ctx, sb, *out, stdout, progress)
	}
	return nil
}

// planStep is one step as `pulumi preview --json` writes it (pulumi pkg/v3 display.PreviewStep): what cmd/cost
// reads, so the sandbox's plan and a real stack's preview go through the same estimator.
type planStep struct {
	Op       string                          `json:"op"`
	URN      string                          `json:"urn"`
	Provider string                          `json:"provider,omitempty"`
	OldState *apitype.StepEventStateMetadata `json:"oldState,omitempty"`
	NewState *apitype.StepEventStateMetadata `json:"newState,omitempty"`
}

// writePlan writes the preview's steps in the shape of `pulumi preview --json` ({"steps": [...]}).
func writePlan(steps []apitype.StepEventMetadata, out string, stdout, progress io.Writer, stack string) error {
	doc := struct {
		Steps []planStep `json:"steps"`
	}{Steps: []planStep{}}
	for _, s := range steps {
		doc.Steps = append(doc.Steps, planStep{Op: string(s.Op), URN: s.URN, Provider: s.Provider, OldState: s.Old, NewState: s.New})
	}
	return writeJSON(doc, "  ", out, stdout, progress, fmt.Sprintf("plan of %s (%d steps)", stack, len(doc.Steps)))
}

// writeJSON writes v as indented JSON to out, or to stdout when out is empty, and says what it wrote where.
func writeJSON(v any, indent, out string, stdout, progress io.Writer, what string) error {
	b, err := json.MarshalIndent(v, "", indent)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", what, err)
	}
	b = append(b, '\n')
	if out == "" {
		_, err = stdout.Write(b)
		return err
	}
	if err := os.WriteFile(out, b, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	fmt.Fprintf(progress, "==> %s written to %s\n", what, out)
	return nil
}

func report(w io.Writer, action, stack string, res driver.Result, withPolicies bool, took time.Duration) {
	ops := make([]string, 0, len(res.Changes))
	for op := range res.Changes {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	parts := make([]string, 0, len(ops))
	for _, op := range ops {
		parts = append(parts, fmt.Sprintf("%s %d", op, res.Changes[op]))
	}
	summary := strings.Join(parts, ", ")
	if summary == "" {
		summary = "no changes"
	}
	fmt.Fprintf(w, "\n==> %s %s (stand-in providers): %s [%s]\n", action, stack, summary, took.Round(time.Second))
	if !withPolicies || action == "destroy" {
		return
	}
	switch {
	case len(res.Verdict.Mandatory) > 0:
		fmt.Fprintf(w, "==> policy verdict: FAIL, %d mandatory violation(s) (%s), %d advisory\n",
			len(res.Verdict.Mandatory), strings.Join(res.Verdict.Policies(), ", "), len(res.Verdict.Advisory))
	default:
		fmt.Fprintf(w, "==> policy verdict: PASS, no mandatory violations, %d advisory\n", len(res.Verdict.Advisory))
	}
}

// export writes the state exactly as `pulumi stack export` does (four-space
// indented JSON), so `pulumi policy analyze --file` and `stack import` read it.
func export(ctx context.Context, sb *driver.Sandbox, out string, stdout, progress io.Writer) error {
	dep, err := sb.Export(ctx)
	if err != nil {
		return err
	}
	return writeJSON(dep, "    ", out, stdout, progress, "state of "+sb.Options().Stack)
}
