package main

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/platform-team/platform/policies/pack"
)

const (
	packName    = "platform-policy"
	packVersion = "0.1.0"
)

// server implements pulumirpc.AnalyzerServer over package pack.
type server struct {
	pulumirpc.UnimplementedAnalyzerServer

	mu        sync.Mutex
	env       pack.Env
	envSource string // why env was chosen, for the pack description
	cfg       pack.Config
	session   *pack.Session
}

// newServer builds the policy set eagerly: every RPC works before (or without) ConfigureStack.
func newServer(envOverride string) (*server, error) {
	s := &server{env: pack.Prod, envSource: "no stack given: strictest"}
	if envOverride != "" {
		e, ok := pack.ParseEnv(envOverride)
		if !ok {
			return nil, fmt.Errorf("PLATFORM_POLICY_ENVIRONMENT=%q: must be dev, staging or prod", envOverride)
		}
		s.env, s.envSource = e, "from PLATFORM_POLICY_ENVIRONMENT"
	}
	s.session = pack.NewSession(s.env, s.cfg)
	return s, nil
}

func (s *server) current() (*pack.Session, pack.Env) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.session, s.env
}

func (s *server) Handshake(context.Context, *pulumirpc.AnalyzerHandshakeRequest) (*pulumirpc.AnalyzerHandshakeResponse, error) {
	return &pulumirpc.AnalyzerHandshakeResponse{}, nil
}

// ConfigureStack picks the environment from the stack's platform:environment, which the engine sends in the
// request's config: the value the program validates against, so program and pack agree on one environment.
// Only a request without that key falls back to the stack name. Either wins over the environment variable:
// it is what the engine is actually deploying.
func (s *server) ConfigureStack(_ context.Context, req *pulumirpc.AnalyzerStackConfigureRequest) (*pulumirpc.AnalyzerStackConfigureResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.env, s.envSource = pack.EnvironmentFromConfig(req.GetConfig(), req.GetStack())
	s.session = pack.NewSession(s.env, s.cfg)
	return &pulumirpc.AnalyzerStackConfigureResponse{}, nil
}

func (s *server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: packVersion}, nil
}

// GetAnalyzerInfo reports each policy at its default level for the current environment; the engine then sends
// those levels back in Configure unless the --policy-pack-config file overrides them.
func (s *server) GetAnalyzerInfo(context.Context, *emptypb.Empty) (*pulumirpc.AnalyzerInfo, error) {
	s.mu.Lock()
	env, source := s.env, s.envSource
	s.mu.Unlock()
	var infos []*pulumirpc.PolicyInfo
	for _, p := range pack.Policies() {
		schema, err := structpb.NewStruct(p.Schema())
		if err != nil {
			return nil, fmt.Errorf("policy %s: config schema: %w", p.ID, err)
		}
		info := &pulumirpc.PolicyInfo{
			Name:             p.ID,
			DisplayName:      p.ID,
			Description:      p.Description,
			Message:          p.Fix,
			RemediationSteps: p.Fix,
			EnforcementLevel: toRPCLevel(p.Levels.For(env)),
			ConfigSchema:     &pulumirpc.PolicyConfigSchema{Properties: schema},
			PolicyType:       pulumirpc.PolicyType_POLICY_TYPE_RESOURCE,
			Tags:             []string{p.Group},
		}
		if p.Stack {
			info.PolicyType = pulumirpc.PolicyType_POLICY_TYPE_STACK
		}
		if len(p.Controls) > 0 {
			c := p.Controls[0]
			info.Framework = &pulumirpc.PolicyComplianceFramework{Name: c.Framework, Version: c.Version, Reference: c.Ref, Specification: c.Title}
		}
		infos = append(infos, info)
	}
	return &pulumirpc.AnalyzerInfo{
		Name:           packName,
		DisplayName:    "Platform policy pack",
		Version:        packVersion,
		Description:    fmt.Sprintf("Environment-aware gates for the platform's AWS, EKS and platform services (environment %s, %s).", env, source),
		Policies:       infos,
		SupportsConfig: true,
		Provider:       "aws",
	}, nil
}

// Configure receives the reconciled config of every policy: the levels from GetAnalyzerInfo or the config file,
// and the thresholds the file sets.
func (s *server) Configure(_ context.Context, req *pulumirpc.ConfigureAnalyzerRequest) (*emptypb.Empty, error) {
	cfg := pack.Config{Policies: map[string]pack.PolicyConfig{}}
	for id, pc := range req.GetPolicyConfig() {
		level, err := fromRPCLevel(pc.GetEnforcementLevel())
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "policy %s: %v", id, err)
		}
		var props map[string]any
		if pc.GetProperties() != nil && len(pc.GetProperties().GetFields()) > 0 {
			props = pc.GetProperties().AsMap()
		}
		cfg.Policies[id] = pack.PolicyConfig{Level: level, Properties: props}
	}
	if err := cfg.Validate(); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "policy pack config: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg = cfg
	s.session = pack.NewSession(s.env, s.cfg)
	return &emptypb.Empty{}, nil
}

func unmarshal(props *structpb.Struct, label string) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(props, plugin.MarshalOptions{
		Label: label, KeepUnknowns: true, KeepSecrets: true, KeepResources: true, KeepOutputValues: true,
	})
}

func toProvider(p *pulumirpc.AnalyzerProviderResource) (*pack.ProviderInfo, error) {
	if p == nil {
		return nil, nil
	}
	props, err := unmarshal(p.GetProperties(), "provider")
	if err != nil {
		return nil, fmt.Errorf("provider %s: %w", p.GetUrn(), err)
	}
	return &pack.ProviderInfo{Type: p.GetType(), URN: p.GetUrn(), Name: p.GetName(), Properties: props}, nil
}

func (s *server) Analyze(_ context.Context, req *pulumirpc.AnalyzeRequest) (resp *pulumirpc.AnalyzeResponse, err error) {
	defer recoverPolicyPanic(&err)
	props, err := unmarshal(req.GetProperties(), "analyze")
	if err != nil {
		return nil, fmt.Errorf("resource %s: %w", req.GetUrn(), err)
	}
	prov, err := toProvider(req.GetProvider())
	if err != nil {
		return nil, err
	}
	session, _ := s.current()
	diags, und := session.Analyze(pack.Resource{
		Type: req.GetType(), URN: req.GetUrn(), Name: req.GetName(), Properties: props,
		Protect: req.GetOptions().GetProtect(), Parent: req.GetOptions().GetParent(), Provider: prov,
	})
	return response(diags, und), nil
}

func (s *server) AnalyzeStack(_ context.Context, req *pulumirpc.AnalyzeStackRequest) (resp *pulumirpc.AnalyzeResponse, err error) {
	defer recoverPolicyPanic(&err)
	res := make([]pack.Resource, 0, len(req.GetResources()))
	for _, r := range req.GetResources() {
		props, err := unmarshal(r.GetProperties(), "analyzeStack")
		if err != nil {
			return nil, fmt.Errorf("resource %s: %w", r.GetUrn(), err)
		}
		prov, err := toProvider(r.GetProvider())
		if err != nil {
			return nil, err
		}
		deps := map[string][]string{}
		for k, d := range r.GetPropertyDependencies() {
			deps[k] = d.GetUrns()
		}
		res = append(res, pack.Resource{
			Type: r.GetType(), URN: r.GetUrn(), Name: r.GetName(), Properties: props,
			Protect: r.GetOptions().GetProtect(), Parent: r.GetParent(), Provider: prov, PropertyDependencies: deps,
		})
	}
	session, _ := s.current()
	diags, und := session.AnalyzeStack(res)
	return response(diags, und), nil
}

// Remediate has nothing to do: no policy here rewrites resources. It answers so the engine's remediation pass
// (which runs before every Analyze) succeeds.
func (s *server) Remediate(context.Context, *pulumirpc.AnalyzeRequest) (*pulumirpc.RemediateResponse, error) {
	return &pulumirpc.RemediateResponse{}, nil
}

func (s *server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// recoverPolicyPanic turns a bug in a policy into an RPC error instead of killing the plugin mid-deployment.
func recoverPolicyPanic(err *error) {
	if r := recover(); r != nil {
		*err = status.Errorf(codes.Internal, "policy pack bug: %v", r)
	}
}

func response(diags []pack.Diagnostic, und []pack.Undecided) *pulumirpc.AnalyzeResponse {
	resp := &pulumirpc.AnalyzeResponse{}
	for _, d := range diags {
		p := pack.Lookup(d.PolicyID)
		resp.Diagnostics = append(resp.Diagnostics, &pulumirpc.AnalyzeDiagnostic{
			PolicyName:        d.PolicyID,
			PolicyPackName:    packName,
			PolicyPackVersion: packVersion,
			Description:       p.Description,
			Message:           d.Message,
			EnforcementLevel:  toRPCLevel(d.Level),
			Urn:               d.URN,
		})
	}
	// One "not applicable" entry per policy: the reasons of its first undecided resource.
	seen := map[string]bool{}
	sort.SliceStable(und, func(i, j int) bool { return und[i].PolicyID < und[j].PolicyID })
	for _, u := range und {
		if seen[u.PolicyID] {
			continue
		}
		seen[u.PolicyID] = true
		resp.NotApplicable = append(resp.NotApplicable, &pulumirpc.PolicyNotApplicable{PolicyName: u.PolicyID, Reason: u.Reason})
	}
	return resp
}

func toRPCLevel(l pack.Level) pulumirpc.EnforcementLevel {
	switch l {
	case pack.Mandatory:
		return pulumirpc.EnforcementLevel_MANDATORY
	case pack.Disabled:
		return pulumirpc.EnforcementLevel_DISABLED
	}
	return pulumirpc.EnforcementLevel_ADVISORY
}

func fromRPCLevel(l pulumirpc.EnforcementLevel) (pack.Level, error) {
	switch l {
	case pulumirpc.EnforcementLevel_ADVISORY:
		return pack.Advisory, nil
	case pulumirpc.EnforcementLevel_MANDATORY:
		return pack.Mandatory, nil
	case pulumirpc.EnforcementLevel_DISABLED:
		return pack.Disabled, nil
	case pulumirpc.EnforcementLevel_REMEDIATE:
		// Nothing here remediates; a violation at "remediate" blocks like mandatory, as the engine treats it.
		return pack.Mandatory, nil
	}
	return "", fmt.Errorf("unknown enforcement level %v", l)
}
