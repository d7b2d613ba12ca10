package driver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"go.yaml.in/yaml/v3"

	"github.com/platform-team/platform/sandbox/chartsource"
	"github.com/platform-team/platform/sandbox/controlplane"
)

// The real-Kubernetes half of the sandbox: the REAL pulumi-kubernetes provider (bin/pulumi-resource-kubernetes)
// against a local control plane (sandbox/controlplane) per stack, fetching the real charts through the
// loopback chart source (sandbox/chartsource). The stand-in aws provider reports the control plane's endpoint
// and CA as the EKS cluster's, and the stand-in aws CLI (bin/aws) answers the kubeconfig's
// `aws eks get-token`, so the program's own kubeconfig and provider wiring are what reach the cluster.

// KubernetesProviderVersion is the version of the real provider the sandbox runs (mk/kubernetes.mk builds
// it). The program's SDK (v4.32.0) asks for a newer one; the engine warns about that and uses this one.
const KubernetesProviderVersion = "4.25.0"

// kubernetes holds the running real-Kubernetes side of one sandbox.
type kubernetes struct {
	cp     *controlplane.ControlPlane
	proxy  *chartsource.Proxy
	env    map[string]string
	cancel context.CancelFunc
}

func (o Options) clusterDir() string     { return filepath.Join(o.StateDir, "clusters", o.Stack) }
func (o Options) chartSourceDir() string { return filepath.Join(o.StateDir, "chart-source") }
func (o Options) toolDir() string        { return filepath.Join(o.StateDir, "bin") }

// AWSLog is where the stand-in aws CLI records each `eks get-token` call (one JSON object a line).
func (o Options) AWSLog() string { return filepath.Join(o.StateDir, "aws-cli.log") }

// startKubernetes starts the stack's control plane and the chart source and returns what the CLI and its
// plugins need in their environment.
func startKubernetes(ctx context.Context, opts Options) (*kubernetes, error) {
	src, err := chartsource.Load(opts.ChartSource)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if err := os.MkdirAll(opts.toolDir(), 0o755); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if err := relink(opts.AWSStandinBin, filepath.Join(opts.toolDir(), "aws")); err != nil {
		return nil, err
	}
	cp, err := controlplane.Start(ctx, opts.clusterDir(), controlplane.BinariesIn(opts.BinDir))
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	proxy, err := src.Serve(opts.chartSourceDir())
	if err != nil {
		cp.Stop()
		return nil, fmt.Errorf("sandbox: chart source: %w", err)
	}
	awsConfig, err := writeAWSConfig(opts)
	if err != nil {
		cp.Stop()
		_ = proxy.Close()
		return nil, fmt.Errorf("sandbox: aws config: %w", err)
	}
	env := map[string]string{
		"AWS_CONFIG_FILE":             awsConfig,
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(filepath.Dir(awsConfig), "credentials"),
		// The stand-in aws CLI comes first, so the kubeconfig's `aws eks get-token` finds it.
		"PATH":                     opts.toolDir() + string(os.PathListSeparator) + os.Getenv("PATH"),
		"PLATFORM_SANDBOX_AWS_LOG": opts.AWSLog(),
		// Helm (inside the provider) keeps its repository cache and config under the sandbox, never ~/.cache.
		"HELM_CACHE_HOME":  filepath.Join(opts.StateDir, "helm", "cache"),
		"HELM_CONFIG_HOME": filepath.Join(opts.StateDir, "helm", "config"),
		"HELM_DATA_HOME":   filepath.Join(opts.StateDir, "helm", "data"),
	}
	for k, v := range cp.Env() {
		env[k] = v
	}
	for k, v := range proxy.Env() {
		env[k] = v
	}
	// Aggregated APIs are never served here; see controlplane.FinishNamespaceDeletions.
	bg, cancel := context.WithCancel(context.Background())
	go cp.FinishNamespaceDeletions(bg)
	return &kubernetes{cp: cp, proxy: proxy, env: env, cancel: cancel}, nil
}

func (k *kubernetes) stop() {
	if k == nil {
		return
	}
	if k.cancel != nil {
		k.cancel()
	}
	if k.proxy != nil {
		_ = k.proxy.Close()
	}
	if k.cp != nil {
		k.cp.Stop()
	}
}

// Kubeconfig is the local control plane's admin kubeconfig (for kubectl while a sandbox command runs).
func (s *Sandbox) Kubeconfig() string {
	if s.k8s == nil {
		return ""
	}
	return s.k8s.cp.Kubeconfig
}

// withSandboxAwaits wraps the program so every Helm release skips the provider's readiness await: the local
// control plane has no kubelet, so no Deployment, StatefulSet or DaemonSet ever becomes ready, and no
// Service of type LoadBalancer gets an address. For the same reason Helm v3 releases run without their
// hooks (helm install --no-hooks) and not atomic: Helm would wait for hook Jobs that can never run, and
// an atomic install always waits. On a real cluster the
// provider awaits them and the hooks run; here the objects are created, validated and stored, and that is
// what the sandbox proves. Nothing else is changed.
func withSandboxAwaits(run pulumi.RunFunc) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		err := ctx.RegisterResourceTransform(func(_ context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
			// The provider registers the v4 Chart component again inside its Construct, with no inputs; stack
			// transforms see that registration too, and it must stay as the provider made it (empty).
			if len(args.Props) == 0 {
				return nil
			}
			if awaitedKinds[args.Type] {
				if props, ok := withSkipAwaitAnnotation(args.Props); ok {
					return &pulumi.ResourceTransformResult{Props: props, Opts: args.Opts}
				}
				return nil
			}
			switch args.Type {
			case "kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Release":
				props := pulumi.Map{}
				for k, v := range args.Props {
					props[k] = v
				}
				props["skipAwait"] = pulumi.Bool(true)
				if args.Type == "kubernetes:helm.sh/v3:Release" {
					// Helm waits for hook Jobs (kube-prometheus-stack's admission-webhook certificate jobs) to
					// complete whatever skipAwait says, and no Job can run here: hooks are left out.
					props["disableWebhooks"] = pulumi.Bool(true)
					// Helm turns an atomic install into a waiting one (helm.sh/helm/v3 pkg/action/install.go:
					// Wait = Wait || Atomic), and nothing here ever becomes ready: no rollback to wait for.
					props["atomic"] = pulumi.Bool(false)
				}
				return &pulumi.ResourceTransformResult{Props: props, Opts: args.Opts}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("sandbox: registering the await transform: %w", err)
		}
		return run(ctx)
	}
}

// awaitedKinds are the kinds the provider awaits after a create or update until pods or a cloud controller
// act on them (pulumi-kubernetes provider/pkg/await/awaiters.go): objects the program creates directly get
// the provider's pulumi.com/skipAwait annotation in the sandbox, as chart-rendered ones get it from the
// chart's skipAwait.
var awaitedKinds = map[string]bool{
	"kubernetes:core/v1:Service": true, "kubernetes:core/v1:Pod": true, "kubernetes:core/v1:PersistentVolumeClaim": true,
	"kubernetes:apps/v1:Deployment": true, "kubernetes:apps/v1:StatefulSet": true, "kubernetes:apps/v1:DaemonSet": true,
	"kubernetes:apps/v1:ReplicaSet": true, "kubernetes:batch/v1:Job": true, "kubernetes:networking.k8s.io/v1:Ingress": true,
}

// withSkipAwaitAnnotation returns props with metadata.annotations["pulumi.com/skipAwait"] = "true", or false
// when metadata is not a plain map (an unknown or secret value is left as it is).
func withSkipAwaitAnnotation(in pulumi.Map) (pulumi.Map, bool) {
	meta := pulumi.Map{}
	if m, present := in["metadata"]; present {
		mm, ok := m.(pulumi.Map)
		if !ok {
			return nil, false
		}
		for k, v := range mm {
			meta[k] = v
		}
	}
	ann := pulumi.Map{}
	if a, present := meta["annotations"]; present {
		am, ok := a.(pulumi.Map)
		if !ok {
			return nil, false
		}
		for k, v := range am {
			ann[k] = v
		}
	}
	ann["pulumi.com/skipAwait"] = pulumi.String("true")
	meta["annotations"] = ann
	out := pulumi.Map{}
	for k, v := range in {
		out[k] = v
	}
	out["metadata"] = meta
	return out, true
}

// standinPackage reports whether pkg is served by the stand-in provider (kubernetes is the real one).
func standinPackage(pkg string) bool { return !strings.EqualFold(pkg, "kubernetes") }

// ClusterObjects lists every object the stack's local API server stores (Events and Leases aside).
func (s *Sandbox) ClusterObjects(ctx context.Context) ([]controlplane.Object, error) {
	if s.k8s == nil {
		return nil, fmt.Errorf("sandbox: %s is closed", s.opts.Stack)
	}
	return s.k8s.cp.Objects(ctx)
}

// writeAWSConfig writes the sandbox's own AWS shared config file (AWS_CONFIG_FILE), so a user's
// ~/.aws/config is never read, with one profile: the one the stack file names (platform:aws.profile),
// resolving to its deploy role (platform:aws.assumeRoleArn), as a deployer's profile does. The stand-in aws
// provider reads it to know who creates the cluster (EKS gives that identity its access entry).
func writeAWSConfig(opts Options) (string, error) {
	path := filepath.Join(opts.StateDir, "aws", "config")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	b, err := os.ReadFile(opts.StackFile)
	if err != nil {
		return "", err
	}
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	text := "# STAND-IN AWS shared config written by the sandbox (sandbox/driver); no credentials.\n"
	if yaml.Unmarshal(b, &doc) == nil {
		if aws, ok := doc.Config["platform:aws"].(map[string]any); ok {
			profile, _ := aws["profile"].(string)
			role, _ := aws["assumeRoleArn"].(string)
			if profile != "" && role != "" {
				text += fmt.Sprintf("[profile %s]\nrole_arn = %s\n", profile, role)
			}
		}
	}
	return path, os.WriteFile(path, []byte(text), 0o600)
}
