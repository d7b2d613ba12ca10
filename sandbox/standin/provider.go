// Package standin provides the sandbox's STAND-IN resource provider: one gRPC
// server that answers Pulumi's resource-provider protocol for every package the
// platform program uses (aws, eks, kubernetes, vault, random, tls), so the real
// Pulumi engine can preview, deploy and destroy the real program offline.
//
// What it does: Check validates what can be validated without a cloud account
// (enum values against the AWS SDK for Go v2 API enums, CIDR and ARN syntax,
// JSON policy documents, required fields) and reports every problem at once;
// Create echoes the inputs with deterministic ids and plausible computed
// outputs (ARNs, endpoints, OIDC issuers); Diff compares inputs so an unchanged
// program shows no changes; Invoke answers the data sources the program uses;
// Construct implements the remote components the program uses (pulumi-eks
// Cluster and ManagedNodeGroup, Kubernetes chart components) by registering the
// component and its key children.
//
// What it does not do: talk to AWS or Kubernetes, render Helm charts, or prove
// that AWS accepts a value it cannot check offline (quotas, IAM permissions,
// region availability of an instance type, add-on version compatibility). A
// green sandbox run proves the engine, the program, the stack files and the
// policy gate work together, nothing more.
package standin

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Banner is printed by the driver and logged by every stand-in provider
// instance as a warning on its provider resource (see announce), so nobody
// mistakes a sandbox run for a real deployment, with or without the driver.
const Banner = "STAND-IN PROVIDER: offline sandbox, nothing is created in AWS or Kubernetes"

// AccountID is the stand-in AWS account: 123456789012 is the placeholder AWS
// itself uses in documentation, so it can never collide with a real account.
const AccountID = "123456789012"

// DefaultRegion is used when the aws provider is configured without a region.
const DefaultRegion = "us-east-1"

// PackageVersions are the plugin versions the stand-in reports for each package:
// the versions the program's SDKs pin, so state files look like a real run's.
var PackageVersions = map[string]string{
	"aws":    "6.83.4",
	"eks":    "2.8.1",
	"vault":  "6.1.0",
	"random": "4.18.0",
	"tls":    "5.0.0",
}

// KubernetesProviderVersion is the version of the real pulumi-kubernetes provider the sandbox runs
// (mk/kubernetes.mk builds it); the kubernetes providers the stand-in pulumi-eks registers ask for it.
const KubernetesProviderVersion = "4.25.0"

// Provider is one stand-in provider instance. The engine starts one process per
// provider resource (explicit or default), so per-instance configuration such
// as the AWS region and default tags lives here.
type Provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	pkg string

	mu     sync.Mutex
	config resource.PropertyMap
	engine string // the engine's address, from Handshake

	eks eksAccess // EKS's access-entry rules (eksrules.go)

	announced sync.Once
}

// New returns a stand-in provider for the named package (e.g. "aws").
func New(pkg string) *Provider {
	return &Provider{pkg: pkg, config: resource.PropertyMap{}}
}

// Package reports which package this instance serves.
func (p *Provider) Package() string { return p.pkg }

var unmarshalOpts = plugin.MarshalOptions{
	KeepUnknowns:     true,
	KeepSecrets:      true,
	KeepResources:    true,
	KeepOutputValues: true,
	SkipNulls:        true,
}

var marshalOpts = plugin.MarshalOptions{
	KeepUnknowns:  true,
	KeepSecrets:   true,
	KeepResources: true,
	SkipNulls:     true,
}

func unmarshal(s *structpb.Struct, label string) (resource.PropertyMap, error) {
	opts := unmarshalOpts
	opts.Label = label
	m, err := plugin.UnmarshalProperties(s, opts)
	if err != nil {
		return nil, fmt.Errorf("stand-in %s: decoding %s: %w", "provider", label, err)
	}
	if m == nil {
		m = resource.PropertyMap{}
	}
	return m, nil
}

func marshal(m resource.PropertyMap, label string) (*structpb.Struct, error) {
	opts := marshalOpts
	opts.Label = label
	s, err := plugin.MarshalProperties(m, opts)
	if err != nil {
		return nil, fmt.Errorf("stand-in provider: encoding %s: %w", label, err)
	}
	return s, nil
}

// GetPluginInfo reports the pinned version of the package this instance serves.
func (p *Provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	v, ok := PackageVersions[p.pkg]
	if !ok {
		v = "0.0.1"
	}
	return &pulumirpc.PluginInfo{Version: v}, nil
}

// GetSchema returns a minimal schema: the program uses generated SDKs, so the
// engine only needs the package name and version.
func (p *Provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	v := PackageVersions[p.pkg]
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":%q,"version":%q}`, p.pkg, v)}, nil
}

// Handshake is the engine's first call (the engine falls back to Configure's
// answers for providers without it). The stand-in needs it for the engine's
// address, where announce logs the banner; it declares the same capabilities
// Configure does.
func (p *Provider) Handshake(_ context.Context, req *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	p.mu.Lock()
	p.engine = req.GetEngineAddress()
	p.mu.Unlock()
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true, AcceptOutputs: true}, nil
}

// announce logs the STAND-IN banner once per provider instance, as a warning
// on the provider resource, through the engine's Log: it shows in the output
// of every preview, up and destroy, whether the driver started the engine or a
// user ran the plain `pulumi` CLI with project plugins pointing here. A failed
// log is not a failed Configure: the banner is a label, not a check.
func (p *Provider) announce(ctx context.Context, urn string) {
	p.announced.Do(func() {
		p.mu.Lock()
		addr := p.engine
		p.mu.Unlock()
		if addr == "" {
			return
		}
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, _ = pulumirpc.NewEngineClient(conn).Log(ctx, &pulumirpc.LogRequest{
			Severity: pulumirpc.LogSeverity_WARNING,
			Urn:      urn,
			Message:  fmt.Sprintf("%s (this %s provider is the sandbox's stand-in, sandbox/standin)", Banner, p.pkg),
		})
	})
}

// CheckConfig validates the provider's own configuration (e.g. the aws region).
func (p *Provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := unmarshal(req.GetNews(), "provider config")
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	if p.pkg == "aws" {
		for _, f := range validateProviderConfig(decodeJSONValues(news)) {
			failures = append(failures, &pulumirpc.CheckFailure{Property: f.Property, Reason: f.Reason})
		}
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: failures}, nil
}

// DiffConfig compares provider configuration the same way Diff compares
// resource inputs, so an unchanged provider never forces a replacement.
func (p *Provider) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(firstNonEmpty(req.GetOldInputs(), req.GetOlds()), "old provider config")
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews(), "new provider config")
	if err != nil {
		return nil, err
	}
	return diffResponse(diffInputs(olds, news, nil)), nil
}

// Configure records the provider configuration and opts in to secrets,
// resource references and output values (Construct needs the latter two).
func (p *Provider) Configure(ctx context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	p.announce(ctx, req.GetUrn())
	cfg := resource.PropertyMap{}
	if req.GetArgs() != nil {
		m, err := unmarshal(req.GetArgs(), "provider config")
		if err != nil {
			return nil, err
		}
		cfg = m
	} else {
		// Old-style configuration arrives as "pkg:config:key" strings.
		keys := make([]string, 0, len(req.GetVariables()))
		for k := range req.GetVariables() {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			short := k[strings.LastIndex(k, ":")+1:]
			cfg[resource.PropertyKey(short)] = resource.NewStringProperty(req.GetVariables()[k])
		}
	}
	p.mu.Lock()
	p.config = decodeJSONValues(cfg)
	p.mu.Unlock()
	return &pulumirpc.ConfigureResponse{
		AcceptSecrets:   true,
		SupportsPreview: true,
		AcceptResources: true,
		AcceptOutputs:   true,
	}, nil
}

// region is the configured AWS region of this provider instance.
func (p *Provider) region() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if v, ok := p.config["region"]; ok {
		if s, ok := stringOf(v); ok && s != "" {
			return s
		}
	}
	if r := os.Getenv("AWS_REGION"); r != "" {
		return r
	}
	return DefaultRegion
}

// defaultTags are the aws provider's defaultTags.tags, merged into tagsAll.
func (p *Provider) defaultTags() resource.PropertyMap {
	p.mu.Lock()
	defer p.mu.Unlock()
	dt, ok := p.config["defaultTags"]
	if !ok {
		return nil
	}
	dt = unwrap(dt)
	if !dt.IsObject() {
		return nil
	}
	tags, ok := dt.ObjectValue()["tags"]
	if !ok {
		return nil
	}
	tags = unwrap(tags)
	if !tags.IsObject() {
		return nil
	}
	return tags.ObjectValue()
}

// Check validates inputs offline and fills in what real providers fill in at
// check time (auto-generated names), reusing old values so names are stable.
func (p *Provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	urn := resource.URN(req.GetUrn())
	olds, err := unmarshal(req.GetOlds(), "old inputs")
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews(), "new inputs")
	if err != nil {
		return nil, err
	}
	typ := string(urn.Type())
	autoname(typ, urn.Name(), olds, news)

	var failures []*pulumirpc.CheckFailure
	for _, f := range Validate(typ, news) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: f.Property, Reason: "stand-in check: " + f.Reason})
	}
	inputs, err := marshal(news, "checked inputs")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: failures}, nil
}

// Diff compares the new inputs with the inputs recorded at the last update.
// Comparing against inputs, not outputs, is what keeps computed outputs from
// showing up as perpetual diffs.
func (p *Provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	urn := resource.URN(req.GetUrn())
	olds, err := unmarshal(firstNonEmpty(req.GetOldInputs(), req.GetOlds()), "old inputs")
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews(), "new inputs")
	if err != nil {
		return nil, err
	}
	// What exists counts for EKS's rules (eksrules.go) before anything new is created.
	_ = p.observeEKS(string(urn.Type()), urn, olds, false)
	d := diffInputs(olds, news, req.GetIgnoreChanges())
	d.replaces = replacementKeys(string(urn.Type()), d.changed)
	return diffResponse(d), nil
}

// Create echoes the inputs plus computed outputs. During preview computed
// outputs are unknown, exactly as with a real provider, so the program and the
// policy pack see the same unknowns they would see in a real first preview.
func (p *Provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	urn := resource.URN(req.GetUrn())
	inputs, err := unmarshal(req.GetProperties(), "inputs")
	if err != nil {
		return nil, err
	}
	if err := p.observeEKS(string(urn.Type()), urn, inputs, true); err != nil {
		return nil, err
	}
	id := deterministicID(string(urn.Type()), urn, inputs)
	outs := p.outputs(string(urn.Type()), urn, id, inputs, nil, req.GetPreview())
	props, err := marshal(outs, "outputs")
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		id = ""
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

// Update keeps the id and the computed outputs that do not depend on changed
// inputs, as a real in-place update would.
func (p *Provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	urn := resource.URN(req.GetUrn())
	olds, err := unmarshal(req.GetOlds(), "old outputs")
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews(), "new inputs")
	if err != nil {
		return nil, err
	}
	outs := p.outputs(string(urn.Type()), urn, req.GetId(), news, olds, req.GetPreview())
	props, err := marshal(outs, "outputs")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// Read returns the recorded state unchanged: there is no live infrastructure,
// so a refresh in the sandbox never finds drift.
func (p *Provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

// Delete succeeds: there is nothing to delete.
func (p *Provider) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// Cancel has nothing in flight to cancel.
func (p *Provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// Attach is unused: the stand-in is always started by the engine.
func (p *Provider) Attach(context.Context, *pulumirpc.PluginAttach) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// GetMapping answers "no mapping" (used only by `pulumi convert`).
func (p *Provider) GetMapping(context.Context, *pulumirpc.GetMappingRequest) (*pulumirpc.GetMappingResponse, error) {
	return &pulumirpc.GetMappingResponse{}, nil
}

// GetMappings answers "no mappings" (used only by `pulumi convert`).
func (p *Provider) GetMappings(context.Context, *pulumirpc.GetMappingsRequest) (*pulumirpc.GetMappingsResponse, error) {
	return &pulumirpc.GetMappingsResponse{}, nil
}

func firstNonEmpty(a, b *structpb.Struct) *structpb.Struct {
	if a != nil && len(a.GetFields()) > 0 {
		return a
	}
	return b
}

// decodeJSONValues decodes provider configuration values that SDKs send as
// JSON strings (nested objects and lists of provider inputs are serialized
// that way), so they can be inspected like any other input.
func decodeJSONValues(m resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		out[k] = v
		s, ok := stringOf(v)
		if !ok || len(s) == 0 || (s[0] != '{' && s[0] != '[') {
			continue
		}
		var decoded any
		if err := json.Unmarshal([]byte(s), &decoded); err != nil {
			continue
		}
		out[k] = resource.NewPropertyValue(decoded)
	}
	return out
}
