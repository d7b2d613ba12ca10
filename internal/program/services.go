package program

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumiconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/platform-team/platform/components/admission"
	"github.com/platform-team/platform/components/alerting"
	"github.com/platform-team/platform/components/autoscaling"
	"github.com/platform-team/platform/components/externalsecrets"
	"github.com/platform-team/platform/components/gpuruntime"
	"github.com/platform-team/platform/components/mesh"
	netpolc "github.com/platform-team/platform/components/netpol"
	"github.com/platform-team/platform/components/observability"
	"github.com/platform-team/platform/components/scanning"
	"github.com/platform-team/platform/components/vault"
	"github.com/platform-team/platform/components/vaultconfig"
	"github.com/platform-team/platform/internal/charts/chartv4"
	"github.com/platform-team/platform/internal/clusterref"
	"github.com/platform-team/platform/internal/config"
	"github.com/platform-team/platform/internal/kubeprovider"
)

// Secret config keys read here (never part of the typed config structs, so they exist only as secrets).
const (
	grafanaAdminPasswordKey = config.Namespace + ":grafanaAdminPassword"
	vaultTokenKey           = config.Namespace + ":vaultToken"
	vaultCACertFileKey      = config.Namespace + ":vaultCaCertFile"
)

// Services holds the in-cluster platform services buildServices created.
type Services struct {
	Observability   *observability.Observability
	Mesh            *mesh.Mesh
	GPURuntime      *gpuruntime.GPURuntime
	Autoscaling     *autoscaling.Autoscaling
	Vault           *vault.Vault
	ExternalSecrets *externalsecrets.ExternalSecrets
	VaultConfig     *vaultconfig.VaultConfig
	Admission       *admission.Admission
	Scanning        *scanning.Scanning
	// AlertReceivers copies the Alertmanager receivers' credentials from Vault; nil while alerts go nowhere.
	AlertReceivers *alerting.ReceiverSecret
	// NetworkPolicies isolate every namespace above (docs/services.md, "Network isolation").
	NetworkPolicies *netpolc.NetworkPolicies
}

// buildServices installs the platform services on the cluster p created, in dependency order:
// observability first (its CRDs and collector are what the mesh's tracing and monitors, the DCGM
// ServiceMonitor and Vault's ServiceMonitor and alerts need), then mesh, GPU runtime, autoscaling, Vault and
// External Secrets, and -- only when vault.configure is set -- Vault's configuration. svc is the validated service configuration.
func buildServices(ctx *pulumi.Context, p *Platform, svc *config.Services) (*Services, error) {
	cfg := p.Config
	name := cfg.Cluster.Name
	cl := p.Cluster
	prod := cfg.Environment == config.Prod

	// Every CRD a chart renders (Istio base, External Secrets, KEDA, kube-prometheus-stack) outlives a
	// chart turned off or renamed, and prod's cannot be deleted without `pulumi state unprotect`.
	if err := ctx.RegisterResourceTransform(chartv4.KeepCRDs(prod)); err != nil {
		return nil, err
	}
	kp, err := kubeprovider.New(ctx, name+"-k8s", cl.KubeconfigJSON, pulumi.DependsOn([]pulumi.Resource{cl}))
	if err != nil {
		return nil, err
	}
	// ref describes the cluster to a service; key names the service in its AWS resources' Name tags.
	ref := func(key string) clusterref.Ref {
		return clusterref.Ref{
			AWSProvider: p.Provider, KubeProvider: kp,
			ClusterName: cl.Name, Region: cfg.AWS.Region,
			OidcProviderArn: cl.OidcProviderArn, OidcIssuer: cl.OidcIssuer,
			Tags: p.Tags.For(key),
		}
	}
	// Everything in-cluster waits for the GPU pools too, so DaemonSets and autoscaler see them from the start.
	after := pulumi.DependsOn([]pulumi.Resource{cl, p.GPUPools})
	out := &Services{}

	o := svc.Observability
	obsArgs := &observability.Args{
		Ref:                   ref(name + "-observability"),
		PrometheusReplicas:    o.PrometheusReplicas,
		PrometheusRetention:   o.PrometheusRetention,
		PrometheusStorageGiB:  o.PrometheusStorageGiB,
		AlertmanagerReplicas:  o.AlertmanagerReplicas,
		GrafanaPersistence:    *o.GrafanaPersistence,
		LogRetentionDays:      o.LogRetentionDays,
		TraceRetentionDays:    o.TraceRetentionDays,
		KMSDeletionWindowDays: cfg.Cluster.KMSDeletionWindowDays,
		ProtectData:           prod,
		KeepVolumes:           prod,
		AccessLogging:         *o.AccessLogging,
	}
	if v, ok := ctx.GetConfig(grafanaAdminPasswordKey); ok && v != "" {
		obsArgs.GrafanaAdminPassword = pulumiconfig.RequireSecret(ctx, grafanaAdminPasswordKey)
	}
	for _, s := range o.SLOs {
		obsArgs.SLOs = append(obsArgs.SLOs, observability.SLO{
			Service: s.Service, Namespace: s.Namespace, Objective: s.Objective, LatencyThresholdMs: s.LatencyThresholdMs,
		})
	}
	routing := alertRouting(ctx, cfg.Environment, o.Alerting, svc.Vault.Configure)
	obsArgs.AlertmanagerConfig = alerting.AlertmanagerConfig(routing)
	obsArgs.AlertmanagerSecrets = alerting.SecretNames(routing)
	if out.Observability, err = observability.NewObservability(ctx, name+"-observability", obsArgs, after); err != nil {
		return nil, fmt.Errorf("observability: %w", err)
	}

	m := svc.Mesh
	if out.Mesh, err = mesh.NewMesh(ctx, name+"-mesh", &mesh.Args{
		AWSProvider: p.Provider, KubeProvider: kp,
		NodeSecurityGroupId:      cl.NodeSecurityGroupID,
		Tags:                     p.Tags.For(name + "-mesh"),
		RevisionTag:              m.RevisionTag,
		Revisions:                meshRevisions(m.Revisions),
		TagRevision:              m.TagRevision,
		Istiod:                   mesh.Replicas{Min: m.IstiodMinReplicas, Max: m.IstiodMaxReplicas},
		Gateway:                  mesh.Replicas{Min: m.GatewayMinReplicas, Max: m.GatewayMaxReplicas},
		InternetFacing:           m.InternetFacing,
		LoadBalancerSourceRanges: m.LoadBalancerSourceRanges,
		TracingService:           fmt.Sprintf("otel-collector.%s.svc.cluster.local", observability.DefaultNamespace),
		TracingSamplingPercent:   m.TracingSamplingPercent,
		// The Envoy and istiod monitors feed the SLO rules; their CRDs come with observability (ordered below).
		Monitoring:    true,
		MonitorLabels: observability.MonitorLabels(),
		// The gateway's LoadBalancer Service owns an NLB in the VPC's subnets (public ones when internet-facing):
		// depending on the whole network makes `pulumi destroy` delete it, and wait for the load balancer's
		// removal, before any subnet or gateway.
	}, after, pulumi.DependsOn([]pulumi.Resource{out.Observability, p.Network})); err != nil {
		return nil, fmt.Errorf("mesh: %w", err)
	}

	if out.GPURuntime, err = gpuruntime.NewGPURuntime(ctx, name+"-gpu-runtime", &gpuruntime.Args{
		KubeProvider:       kp,
		EnableDCGMExporter: *svc.GPURuntime.DCGMExporter,
		// The ServiceMonitor CRD comes with kube-prometheus-stack, hence the dependency below.
		ServiceMonitor:       *svc.GPURuntime.DCGMExporter,
		ServiceMonitorLabels: observability.MonitorLabels(),
	}, after, pulumi.DependsOn([]pulumi.Resource{out.Observability})); err != nil {
		return nil, fmt.Errorf("gpu runtime: %w", err)
	}

	as := svc.Autoscaling
	if out.Autoscaling, err = autoscaling.NewAutoscaling(ctx, name+"-autoscaling", &autoscaling.Args{
		Ref:                       ref(name + "-autoscaling"),
		ClusterAutoscalerImageTag: svc.ClusterAutoscalerImageTag(cfg.Cluster.KubernetesVersion),
		ClusterAutoscalerReplicas: as.ClusterAutoscalerReplicas,
		Expander:                  as.Expander,
		ScaleDownUnneededTime:     as.ScaleDownUnneededTime,
		EnableKEDA:                *as.KEDA,
		KEDAOperatorReplicas:      as.KEDAOperatorReplicas,
		// The resource metrics API every HPA and KEDA cpu/memory trigger reads; HA in prod.
		MetricsServerReplicas: pickInt(prod, 2, 1),
	}, after); err != nil {
		return nil, fmt.Errorf("autoscaling: %w", err)
	}

	v := svc.Vault
	if out.Vault, err = vault.NewVault(ctx, name+"-vault", &vault.Args{
		Ref:                   ref(name + "-vault"),
		Replicas:              v.Replicas,
		StorageGiB:            v.StorageGiB,
		AuditStorageGiB:       v.AuditStorageGiB,
		Injector:              *v.Injector,
		KMSDeletionWindowDays: v.KMSDeletionWindowDays,
		ProtectUnsealKey:      prod,
		KeepVolumes:           prod,
		// Every pod scraped, with sealed/down/no-leader alerts. The release renders a ServiceMonitor and a
		// PrometheusRule, whose CRDs come with observability: hence the dependency.
		Monitoring:           true,
		InternalLoadBalancer: vaultLoadBalancer(v, cfg.Network.CIDR),
		// The internal load balancer's Service owns an NLB in the private subnets: like the mesh gateway's, it
		// is deleted (and its NLB removed) before any part of the network.
	}, after, pulumi.DependsOn([]pulumi.Resource{out.Observability, p.Network})); err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	if out.ExternalSecrets, err = externalsecrets.NewExternalSecrets(ctx, name+"-external-secrets", &externalsecrets.Args{
		KubeProvider: kp, Replicas: pickInt(prod, 2, 1),
	}, after); err != nil {
		return nil, fmt.Errorf("external secrets: %w", err)
	}

	// Trivy Operator: vulnerability and misconfiguration reports for every workload, scraped by the stack's
	// Prometheus; critical vulnerabilities page in prod and open tickets elsewhere. Its ServiceMonitor and
	// PrometheusRule need the Prometheus CRDs, hence the dependency on observability.
	scanSeverity := "warning"
	if prod {
		scanSeverity = "critical"
	}
	if out.Scanning, err = scanning.NewScanning(ctx, name+"-scanning", &scanning.Args{
		KubeProvider: kp, MonitorLabels: observability.MonitorLabels(), AlertSeverity: scanSeverity,
	}, after, pulumi.DependsOn([]pulumi.Resource{out.Observability})); err != nil {
		return nil, fmt.Errorf("scanning: %w", err)
	}

	// Kyverno and the workload rules (docs/services.md, "In-cluster policy"): Enforce in staging and prod,
	// Audit in dev. Its webhooks skip the namespaces above (internal/program/admission.go).
	if a := svc.Admission; *a.Enabled {
		if out.Admission, err = admission.NewAdmission(ctx, name+"-admission", admissionArgs(kp, cfg.Environment, a), after); err != nil {
			return nil, fmt.Errorf("admission: %w", err)
		}
	}

	if v.Configure {
		teams := map[string]vaultconfig.Team{}
		for team, t := range v.Teams {
			teams[team] = vaultconfig.Team{Namespaces: t.Namespaces, ServiceAccounts: t.ServiceAccounts,
				TokenTTLSeconds: t.TokenTTLSeconds, TokenMaxTTLSeconds: t.TokenMaxTTLSeconds}
		}
		vcArgs, err := vaultSecondStage(ctx, v, out.Vault)
		if err != nil {
			return nil, err
		}
		vcArgs.KubeProvider = kp
		vcArgs.Teams = teams
		vcArgs.ESONamespace, vcArgs.ESOServiceAccount = externalsecrets.DefaultNamespace, externalsecrets.ServiceAccount
		vcArgs.ESOReady = out.ExternalSecrets.Ready
		if out.VaultConfig, err = vaultconfig.NewVaultConfig(ctx, name+"-vault-config", vcArgs, pulumi.DependsOn([]pulumi.Resource{out.Vault})); err != nil {
			return nil, fmt.Errorf("vault config: %w", err)
		}
	}

	// The receivers' credentials: an ExternalSecret reading the Vault path through the store vault-config created.
	if routing.NeedsSecret() {
		if out.AlertReceivers, err = alerting.NewReceiverSecret(ctx, name+"-alerting", &alerting.ReceiverSecretArgs{
			KubeProvider: kp, Namespace: observability.DefaultNamespace,
			SecretStore: o.Alerting.SecretStore, VaultPath: o.Alerting.VaultPath,
			Routing: routing, ESOReady: out.ExternalSecrets.Ready,
		}, pulumi.DependsOn([]pulumi.Resource{out.VaultConfig, out.Observability})); err != nil {
			return nil, fmt.Errorf("alerting: %w", err)
		}
	}

	// Last, so every namespace above is in it; each policy still waits only for its own namespace.
	if out.NetworkPolicies, err = networkPolicies(ctx, p, out, kp); err != nil {
		return nil, fmt.Errorf("network policies: %w", err)
	}

	ctx.Export("grafanaAdminPassword", out.Observability.GrafanaAdminPassword)
	ctx.Export("grafanaUrl", out.Observability.GrafanaURL)
	ctx.Export("prometheusUrl", out.Observability.PrometheusURL)
	ctx.Export("otlpGrpcEndpoint", out.Observability.OtlpGrpcEndpoint)
	ctx.Export("logsBucket", out.Observability.LogsBucket)
	ctx.Export("tracesBucket", out.Observability.TracesBucket)
	ctx.Export("meshRevision", out.Mesh.Revision)
	ctx.Export("meshRevisions", out.Mesh.Revisions)
	ctx.Export("meshRevisionTag", out.Mesh.RevisionTag)
	ctx.Export("clusterAutoscalerRoleArn", out.Autoscaling.ClusterAutoscalerRoleArn)
	ctx.Export("vaultAddress", out.Vault.Address)
	ctx.Export("vaultCaCert", out.Vault.CACertPem)
	ctx.Export("vaultCiAddress", out.Vault.CIAddress)
	ctx.Export("vaultUnsealKeyArn", out.Vault.UnsealKeyArn)
	return out, nil
}

func pickInt(cond bool, a, b int) int {
	if cond {
		return a
	}
	return b
}

// meshRevisions turns mesh.revisions into the mesh component's revisions.
func meshRevisions(rs []config.MeshRevision) []mesh.Revision {
	out := make([]mesh.Revision, 0, len(rs))
	for _, r := range rs {
		out = append(out, mesh.Revision{Name: r.Name, Version: r.Version})
	}
	return out
}

// alertRouting is where Alertmanager sends each severity. Real receivers read their credentials from the Secret an
// ExternalSecret fills through the ClusterSecretStore vault-config creates, and Alertmanager pods cannot start while
// a Secret they mount is missing: so until vault.configure (the second stage) every severity goes to the null
// receiver, with a warning, and the stack's Alertmanager keeps running.
func alertRouting(ctx *pulumi.Context, env config.Environment, a config.Alerting, vaultConfigured bool) alerting.Routing {
	r := alerting.Routing{Critical: alerting.Receiver(a.Critical), Warning: alerting.Receiver(a.Warning), SlackChannel: a.SlackChannel}
	if r.NeedsSecret() && !vaultConfigured {
		_ = ctx.Log.Warn("observability.alerting: every alert goes to the null receiver until vault.configure is true: "+
			"the receivers' credentials are read from Vault through a store the second stage creates (docs/services.md, \"Alert routing\")", nil)
		return alerting.Routing{}
	}
	if env == config.Prod && r.Critical == alerting.None {
		_ = ctx.Log.Warn("observability.alerting.critical is none: critical alerts in prod page no one", nil)
	}
	return r
}
