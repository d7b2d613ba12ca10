// Package mockgraph is the recording stand-in resource monitor every test in this repository uses. It
// implements pulumi.MockResourceMonitor: it records every registered resource (type, name, parent, provider,
// inputs, options), answers the invokes the program makes from a table (an unknown invoke fails loudly), and
// gives remote components such as eks:index:Cluster plausible outputs so downstream wiring can be tested.
//
// It is a stand-in: it proves what the program asks for, not that AWS or Kubernetes accept it.
package mockgraph

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Project is the Pulumi project name the harness runs programs under.
const Project = "platform"

// Resource is one registered resource as the program asked for it.
type Resource struct {
	Type string
	Name string
	URN  string
	// ID is the physical id the stand-in assigned (custom resources only).
	ID     string
	Parent string // URN of the parent (the stack's URN for top-level resources)
	// Provider is the provider reference (URN::ID) the resource was registered with; "" for components.
	Provider string
	Custom   bool
	Remote   bool
	Protect  bool
	// IgnoreChanges lists the properties the resource asked the engine to ignore after creation.
	IgnoreChanges []string
	// Aliases are the URNs the resource claims it had before (alias specs turned into URNs).
	Aliases   []string
	DependsOn []string
	// PropertyDependencies maps an input property to the URNs of the resources its value came from.
	PropertyDependencies map[string][]string
	Inputs               resource.PropertyMap
	Outputs              resource.PropertyMap
}

// ParentType returns the type token of the resource's parent (pulumi:pulumi:Stack at the top).
func (r Resource) ParentType() string {
	if r.Parent == "" {
		return ""
	}
	return string(resource.URN(r.Parent).Type())
}

// ParentName returns the name of the resource's parent.
func (r Resource) ParentName() string {
	if r.Parent == "" {
		return ""
	}
	return resource.URN(r.Parent).Name()
}

// Graph is a snapshot of every resource a program registered, in registration order.
type Graph struct {
	Resources []Resource
}

// OfType returns every resource of the given type token.
func (g Graph) OfType(typ string) []Resource {
	var out []Resource
	for _, r := range g.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Only returns the single resource of a type and fails the test unless there is exactly one.
func (g Graph) Only(t testing.TB, typ string) Resource {
	t.Helper()
	rs := g.OfType(typ)
	if len(rs) != 1 {
		t.Fatalf("want exactly one %s, got %d: %v", typ, len(rs), names(rs))
	}
	return rs[0]
}

// ByName returns the resource with the given logical name and fails the test unless there is exactly one.
func (g Graph) ByName(t testing.TB, name string) Resource {
	t.Helper()
	var found []Resource
	for _, r := range g.Resources {
		if r.Name == name {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one resource named %q, got %d (have: %v)", name, len(found), names(g.Resources))
	}
	return found[0]
}

// Named returns the resource with the given type and logical name and fails the test unless it exists.
func (g Graph) Named(t testing.TB, typ, name string) Resource {
	t.Helper()
	for _, r := range g.Resources {
		if r.Type == typ && r.Name == name {
			return r
		}
	}
	t.Fatalf("no %s named %q (have: %v)", typ, name, names(g.OfType(typ)))
	return Resource{}
}

// ChildrenOf returns the resources whose parent is urn.
func (g Graph) ChildrenOf(urn string) []Resource {
	var out []Resource
	for _, r := range g.Resources {
		if r.Parent == urn {
			out = append(out, r)
		}
	}
	return out
}

// Custom returns every custom (provider-managed) resource, providers excluded.
func (g Graph) Custom() []Resource {
	var out []Resource
	for _, r := range g.Resources {
		if r.Custom && !strings.HasPrefix(r.Type, "pulumi:providers:") {
			out = append(out, r)
		}
	}
	return out
}

// Types counts resources by type, for summaries and resource-count assertions.
func (g Graph) Types() map[string]int {
	out := map[string]int{}
	for _, r := range g.Resources {
		out[r.Type]++
	}
	return out
}

func names(rs []Resource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Type + "::" + r.Name
	}
	sort.Strings(out)
	return out
}

// Recorder is the stand-in monitor. Create it with New.
type Recorder struct {
	// Preview makes the recorder behave like a first `pulumi preview`: outputs the provider would compute
	// (ids, ARNs, kubeconfigs, ...) are left unknown; only inputs echo back.
	Preview bool

	stack     string
	mu        sync.Mutex
	resources []Resource
	regions   map[string]string // aws provider URN -> region
	invokes   []Invocation
	// transforms are the stack transforms the program registered (ctx.RegisterResourceTransform). The mock
	// monitor does not run them; tests call them on the resources a packaged component would register.
	transforms []pulumi.ResourceTransform
}

// RegisterTransform records a stack transform (pulumi.MockResourceMonitorWithTransforms).
func (r *Recorder) RegisterTransform(t pulumi.ResourceTransform) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.transforms = append(r.transforms, t)
}

// RegisterInvokeTransform is part of pulumi.MockResourceMonitorWithTransforms; the program registers none.
func (r *Recorder) RegisterInvokeTransform(pulumi.InvokeTransform) {}

// StackTransforms returns the stack transforms the program registered, in order.
func (r *Recorder) StackTransforms() []pulumi.ResourceTransform {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]pulumi.ResourceTransform(nil), r.transforms...)
}

// Invocation is one recorded invoke.
type Invocation struct {
	Token    string
	Args     resource.PropertyMap
	Provider string
}

// New returns an empty recorder for a stack name.
func New(stack string) *Recorder {
	return &Recorder{stack: stack, regions: map[string]string{}}
}

// NewResource records the registration and returns plausible outputs.
func (r *Recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	res := Resource{
		Type:     args.TypeToken,
		Name:     args.Name,
		Provider: args.Provider,
		Custom:   args.Custom,
		Inputs:   args.Inputs,
	}
	if rpc := args.RegisterRPC; rpc != nil {
		res.Parent = rpc.GetParent()
		res.Remote = rpc.GetRemote()
		res.Protect = rpc.GetProtect()
		res.IgnoreChanges = rpc.GetIgnoreChanges()
		res.DependsOn = rpc.GetDependencies()
		for k, deps := range rpc.GetPropertyDependencies() {
			if res.PropertyDependencies == nil {
				res.PropertyDependencies = map[string][]string{}
			}
			res.PropertyDependencies[k] = deps.GetUrns()
		}
	}
	res.URN = r.urn(res.Parent, res.Type, res.Name)
	if rpc := args.RegisterRPC; rpc != nil {
		for _, a := range rpc.GetAliases() {
			if u := a.GetUrn(); u != "" {
				res.Aliases = append(res.Aliases, u)
				continue
			}
			spec := a.GetSpec()
			parent, typ, name := res.Parent, res.Type, res.Name
			if spec.GetParentUrn() != "" {
				parent = spec.GetParentUrn()
			} else if spec.GetNoParent() {
				parent = ""
			}
			if spec.GetType() != "" {
				typ = spec.GetType()
			}
			if spec.GetName() != "" {
				name = spec.GetName()
			}
			res.Aliases = append(res.Aliases, r.urn(parent, typ, name))
		}
	}

	id := ""
	if res.Custom {
		id = fakeID(res.Type, res.Name)
	}
	res.ID = id
	outputs := r.outputs(res, id)
	res.Outputs = outputs

	r.mu.Lock()
	if res.Type == "pulumi:providers:aws" {
		if region, ok := args.Inputs["region"]; ok && region.IsString() {
			r.regions[res.URN] = region.StringValue()
		}
	}
	r.resources = append(r.resources, res)
	r.mu.Unlock()
	return id, outputs, nil
}

// Call answers an invoke from the invoke table; an invoke the table lacks is an error that fails the run.
func (r *Recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	r.mu.Lock()
	r.invokes = append(r.invokes, Invocation{Token: args.Token, Args: args.Args, Provider: args.Provider})
	r.mu.Unlock()
	fn, ok := invokes[args.Token]
	if !ok {
		return nil, fmt.Errorf("mockgraph: the program invoked %s, which the stand-in monitor does not answer; add it to internal/mockgraph/invokes.go", args.Token)
	}
	return fn(invokeContext{region: r.regionOf(args.Provider), args: args.Args})
}

func (r *Recorder) regionOf(providerRef string) string {
	// A provider reference is "<provider URN>::<provider id>".
	urn := providerRef
	if i := strings.LastIndex(providerRef, "::"); i > 0 {
		urn = providerRef[:i]
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if region, ok := r.regions[urn]; ok {
		return region
	}
	return "us-west-2"
}

// Graph returns a snapshot of what has been registered so far.
func (r *Recorder) Graph() Graph {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Graph{Resources: append([]Resource(nil), r.resources...)}
}

// Invocations returns every invoke the program made.
func (r *Recorder) Invocations() []Invocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Invocation(nil), r.invokes...)
}

// urn mirrors the URN scheme of the SDK's mock monitor so parents recorded from RPCs resolve to resources.
func (r *Recorder) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(r.stack), tokens.PackageName(Project), parentType, tokens.Type(typ), name))
}

// Options for Run.
type Options struct {
	// Stack name; default "dev".
	Stack string
	// Config holds raw config values keyed by full key ("platform:network"); structured values are JSON.
	Config map[string]string
	// SecretKeys are the full keys of Config whose values are secrets (stored `secure:`), as the engine
	// passes them in PULUMI_CONFIG_SECRET_KEYS. Default: none.
	SecretKeys []string
	// Preview runs as a first preview (unknown computed outputs).
	Preview bool
}

// Run executes fn against a fresh recorder and returns what it registered along with the program's error.
func Run(t testing.TB, fn pulumi.RunFunc, o Options) (Graph, *Recorder, error) {
	t.Helper()
	if o.Stack == "" {
		o.Stack = "dev"
	}
	cfg := map[string]string{}
	for k, v := range o.Config {
		cfg[k] = v
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatalf("mockgraph: config: %v", err)
	}
	// The SDK reads config from the environment; tests using Run must not run in parallel.
	t.Setenv(pulumi.EnvConfig, string(raw))
	secretKeys, err := json.Marshal(append([]string{}, o.SecretKeys...))
	if err != nil {
		t.Fatalf("mockgraph: secret keys: %v", err)
	}
	t.Setenv(pulumi.EnvConfigSecretKeys, string(secretKeys))
	rec := New(o.Stack)
	rec.Preview = o.Preview
	runErr := pulumi.RunErr(fn, pulumi.WithMocks(Project, o.Stack, rec), func(info *pulumi.RunInfo) { info.DryRun = o.Preview })
	return rec.Graph(), rec, runErr
}
