// Package observability provides the Observability component: kube-prometheus-stack (Prometheus,
// Alertmanager, Grafana), Loki and Tempo on KMS-encrypted, lifecycle-bounded S3 buckets reached through
// IRSA roles, and an OpenTelemetry collector that receives OTLP and exports traces to Tempo, metrics to
// Prometheus (remote write) and logs to Loki. Grafana is provisioned with the three datasources wired for
// trace-to-log, log-to-trace and metric-to-trace (exemplar) navigation; its admin password is a Pulumi
// secret, generated unless one is given. Multi-window multi-burn-rate SLO alerts are generated from SLOs, with an
// alert when an SLO's metrics are absent. Loki and Tempo are scraped through their charts' ServiceMonitors; Tempo's
// metrics generator remote-writes the service-graph and span metrics Grafana's service map reads. With
// AccessLogging (prod) the buckets' server access logs go to a dedicated SSE-S3 bucket (accesslogs.go); with
// KeepVolumes (prod) the workloads' volumes outlive their StatefulSets, otherwise they go with them. The chart's
// scheduler, controller-manager, etcd and kube-proxy targets are off: EKS does not expose them.
//
// It does not install the DCGM exporter (gpuruntime does, with a ServiceMonitor this Prometheus selects),
// expose Grafana outside the cluster, or configure Alertmanager receivers (teams add those).
package observability

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartv4"
	"github.com/platform-team/platform/internal/clusterref"
	"github.com/platform-team/platform/internal/irsa"
	"github.com/platform-team/platform/internal/kmskey"
	"github.com/platform-team/platform/internal/podsecurity"
)

const (
	componentType = "platform:observability:Observability"
	// DefaultNamespace holds every observability workload.
	DefaultNamespace = "observability"
	// Release and service names the charts derive their Kubernetes object names from.
	kpsRelease         = "kps"
	lokiRelease        = "loki"
	tempoRelease       = "tempo"
	otelRelease        = "otel-collector"
	grafanaAdminSecret = "grafana-admin"
	// Service accounts the IRSA roles trust (set explicitly in the charts' values).
	LokiServiceAccount  = "loki"
	TempoServiceAccount = "tempo"
	// OtelCollectorImageTag pins the collector (the chart's appVersion at the catalogue version).
	OtelCollectorImageTag = "0.158.0"
)

// Args configures observability. Sizing fields have no component defaults: the typed config supplies
// per-environment values.
type Args struct {
	// Ref is the cluster the service runs on (providers, name, region, OIDC, tags). Required.
	clusterref.Ref
	// Namespace for every observability workload. Default: "observability".
	Namespace string
	// PrometheusReplicas, PrometheusRetention (e.g. "15d") and PrometheusStorageGiB per replica. Required.
	PrometheusReplicas   int
	PrometheusRetention  string
	PrometheusStorageGiB int
	// AlertmanagerReplicas. Required (>= 1).
	AlertmanagerReplicas int
	// GrafanaPersistence keeps Grafana's database on a PVC. Default: false.
	GrafanaPersistence bool
	// LogRetentionDays and TraceRetentionDays bound Loki and Tempo (compactor and S3 lifecycle). Required.
	LogRetentionDays   int
	TraceRetentionDays int
	// KMSDeletionWindowDays of the data key. Default: 30.
	KMSDeletionWindowDays int
	// GrafanaAdminPassword, a Pulumi secret. Default: generated (random, 32 characters).
	GrafanaAdminPassword pulumi.StringInput
	// SLOs to alert on. Default: none.
	SLOs []SLO
	// AlertmanagerConfig is Alertmanager's whole configuration (routes and receivers, package alerting), set as
	// the chart's alertmanager.config. Default: the chart's (everything to the null receiver).
	AlertmanagerConfig map[string]any
	// AlertmanagerSecrets are Secrets in Namespace that Alertmanager mounts at /etc/alertmanager/secrets/<name>/,
	// where its receivers read their credentials. A listed Secret that does not exist keeps new Alertmanager pods
	// from starting. Default: none.
	AlertmanagerSecrets []string
	// ProtectData marks the data key and the buckets protected, so a mistaken destroy or a replacing diff
	// cannot delete logs and traces. Default: false; the program sets it in prod.
	ProtectData bool
	// KeepVolumes keeps the volumes of Prometheus, Alertmanager, Loki and Tempo when their StatefulSets are
	// deleted, and Grafana's when its release is uninstalled. Default: false (they go with the workload, so a
	// teardown leaves no EBS volume); the program sets it in prod.
	KeepVolumes bool
	// AccessLogging turns on S3 server access logging for the logs, ruler and traces buckets, delivered to a
	// dedicated access-log bucket this component creates. Default: false; the program sets it in prod, and
	// elsewhere when observability.accessLogging is true.
	AccessLogging bool
	// AccessLogRetentionDays expires access-log records. Default: 365.
	AccessLogRetentionDays int
}

// Observability is the component.
type Observability struct {
	pulumi.ResourceState

	// Namespace of the stack.
	Namespace pulumi.StringOutput `pulumi:"namespace"`
	// GrafanaAdminPassword is the admin password (secret).
	GrafanaAdminPassword pulumi.StringOutput `pulumi:"grafanaAdminPassword"`
	// GrafanaURL, PrometheusURL, LokiURL and TempoURL are the in-cluster addresses.
	GrafanaURL    pulumi.StringOutput `pulumi:"grafanaUrl"`
	PrometheusURL pulumi.StringOutput `pulumi:"prometheusUrl"`
	// OtlpGrpcEndpoint is where workloads and the mesh send OTLP (host:port).
	OtlpGrpcEndpoint pulumi.StringOutput `pulumi:"otlpGrpcEndpoint"`
	// OtlpHost is the collector's service FQDN (for Istio's tracing provider).
	OtlpHost pulumi.StringOutput `pulumi:"otlpHost"`
	// LogsBucket and TracesBucket are the S3 bucket names.
	LogsBucket   pulumi.StringOutput `pulumi:"logsBucket"`
	TracesBucket pulumi.StringOutput `pulumi:"tracesBucket"`
	// KmsKeyArn encrypts both buckets.
	KmsKeyArn pulumi.StringOutput `pulumi:"kmsKeyArn"`
	// AccessLogsBucket receives the buckets' server access logs; empty without AccessLogging.
	AccessLogsBucket pulumi.StringOutput `pulumi:"accessLogsBucket"`
}

var promDuration = regexp.MustCompile(`^[0-9]+(ms|s|m|h|d|w|y)$`)

func (a *Args) applyDefaults() {
	if a.Namespace == "" {
		a.Namespace = DefaultNamespace
	}
	if a.KMSDeletionWindowDays == 0 {
		a.KMSDeletionWindowDays = 30
	}
	if a.AccessLogRetentionDays == 0 {
		a.AccessLogRetentionDays = 365
	}
}

// ValidateArgs returns every problem with args (after defaults), or nil.
func ValidateArgs(a *Args) error {
	p := a.Ref.Problems()
	for name, v := range map[string]int{
		"prometheusReplicas": a.PrometheusReplicas, "prometheusStorageGiB": a.PrometheusStorageGiB,
		"alertmanagerReplicas": a.AlertmanagerReplicas, "logRetentionDays": a.LogRetentionDays,
		"traceRetentionDays": a.TraceRetentionDays, "accessLogRetentionDays": a.AccessLogRetentionDays,
	} {
		if v < 1 {
			p = append(p, fmt.Sprintf("%s must be >= 1 (got %d)", name, v))
		}
	}
	if !promDuration.MatchString(a.PrometheusRetention) {
		p = append(p, fmt.Sprintf("prometheusRetention %q is not a Prometheus duration such as 15d", a.PrometheusRetention))
	}
	if a.KMSDeletionWindowDays < 7 || a.KMSDeletionWindowDays > 30 {
		p = append(p, fmt.Sprintf("kmsDeletionWindowDays must be within [7, 30] (got %d)", a.KMSDeletionWindowDays))
	}
	seen := map[string]bool{}
	for i, s := range a.SLOs {
		for _, msg := range ValidateSLO(s) {
			p = append(p, fmt.Sprintf("slos[%d]: %s", i, msg))
		}
		if seen[RuleGroupName(s)] {
			p = append(p, fmt.Sprintf("slos[%d]: duplicate SLO for %s/%s", i, s.Namespace, s.Service))
		}
		seen[RuleGroupName(s)] = true
	}
	sort.Strings(p)
	if len(p) > 0 {
		return fmt.Errorf("observability: %s", strings.Join(p, "; "))
	}
	return nil
}

// svc is the cluster-local FQDN of a service in the observability namespace.
func svc(name, ns string) string { return fmt.Sprintf("%s.%s.svc.cluster.local", name, ns) }

// NewObservability creates the stack.
func NewObservability(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Observability, error) {
	if args == nil {
		args = &Args{}
	}
	a := *args
	a.applyDefaults()
	if err := ValidateArgs(&a); err != nil {
		return nil, err
	}
	comp := &Observability{}
	opts = append(opts, a.Ref.Providers())
	if err := ctx.RegisterComponentResource(componentType, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	child := func(key string) string { return fmt.Sprintf("%s-%s", name, key) }

	// --- AWS: one customer-managed key for all observability data, buckets, IRSA roles ---------------
	key, err := kmskey.New(ctx, child("data-key"), kmskey.Args{
		Description:        pulumi.Sprintf("Loki and Tempo object storage of %s", a.ClusterName),
		DeletionWindowDays: a.KMSDeletionWindowDays,
		Tags:               a.Tags,
	}, parent, pulumi.Protect(a.ProtectData))
	if err != nil {
		return nil, fmt.Errorf("observability kms key: %w", err)
	}
	// Data buckets expire one day past retention: the compactor deletes on time; the lifecycle only catches what
	// it missed.
	logs, _, err := newBucket(ctx, child("logs"), bucketArgs{prefix: "logs", protect: a.ProtectData, clusterName: a.ClusterName, keyArn: key.Arn, expireDays: a.LogRetentionDays + 1, tags: a.Tags}, parent)
	if err != nil {
		return nil, err
	}
	// The ruler bucket holds Loki's alerting rules (configuration, not data), so it is versioned and
	// never expires.
	ruler, _, err := newBucket(ctx, child("logs-ruler"), bucketArgs{prefix: "logs-ruler", protect: a.ProtectData, clusterName: a.ClusterName, keyArn: key.Arn, versioned: true, tags: a.Tags}, parent)
	if err != nil {
		return nil, err
	}
	traces, _, err := newBucket(ctx, child("traces"), bucketArgs{prefix: "traces", protect: a.ProtectData, clusterName: a.ClusterName, keyArn: key.Arn, expireDays: a.TraceRetentionDays + 1, tags: a.Tags}, parent)
	if err != nil {
		return nil, err
	}
	accessLogs := pulumi.String("").ToStringOutput()
	if a.AccessLogging {
		b, err := newAccessLogging(ctx, name, &a, []loggedBucket{{"logs", logs}, {"logs-ruler", ruler}, {"traces", traces}}, parent)
		if err != nil {
			return nil, err
		}
		accessLogs = b.Bucket
	}

	lokiPolicy := pulumi.All(logs.Arn, ruler.Arn, key.Arn).ApplyT(func(v []any) (string, error) {
		return StoragePolicy([]string{v[0].(string), v[1].(string)}, v[2].(string))
	}).(pulumi.StringOutput)
	lokiRole, err := irsa.NewRole(ctx, child("loki-irsa"), irsa.RoleArgs{
		OidcProviderArn: a.OidcProviderArn, OidcIssuer: a.OidcIssuer,
		Namespace: a.Namespace, ServiceAccount: LokiServiceAccount, Policy: lokiPolicy, Tags: a.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	tempoPolicy := pulumi.All(traces.Arn, key.Arn).ApplyT(func(v []any) (string, error) {
		return StoragePolicy([]string{v[0].(string)}, v[1].(string))
	}).(pulumi.StringOutput)
	tempoRole, err := irsa.NewRole(ctx, child("tempo-irsa"), irsa.RoleArgs{
		OidcProviderArn: a.OidcProviderArn, OidcIssuer: a.OidcIssuer,
		Namespace: a.Namespace, ServiceAccount: TempoServiceAccount, Policy: tempoPolicy, Tags: a.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}

	// --- Kubernetes -------------------------------------------------------------------------------------
	ns, err := podsecurity.NewNamespace(ctx, child("namespace"), podsecurity.NamespaceArgs{
		Name: a.Namespace, Enforce: podsecurity.Privileged,
		Reason: "node-exporter (kube-prometheus-stack) needs hostNetwork, hostPID and hostPath",
	}, parent)
	if err != nil {
		return nil, err
	}
	inNs := []pulumi.ResourceOption{parent, pulumi.DependsOn([]pulumi.Resource{ns})}

	password := a.GrafanaAdminPassword
	if password == nil {
		// An explicit provider: default providers are disabled for every package.
		rp, err := random.NewProvider(ctx, child("random"), &random.ProviderArgs{}, parent)
		if err != nil {
			return nil, fmt.Errorf("observability random provider: %w", err)
		}
		gen, err := random.NewRandomPassword(ctx, child("grafana-admin-password"), &random.RandomPasswordArgs{
			Length: pulumi.Int(32), Special: pulumi.Bool(false),
		}, parent, pulumi.Provider(rp))
		if err != nil {
			return nil, fmt.Errorf("observability grafana password: %w", err)
		}
		password = gen.Result
	}
	secretPassword := pulumi.ToSecret(password.ToStringOutput()).(pulumi.StringOutput)
	adminSecret, err := corev1.NewSecret(ctx, child("grafana-admin"), &corev1.SecretArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(grafanaAdminSecret), Namespace: pulumi.String(a.Namespace)},
		Type:     pulumi.String("Opaque"),
		StringData: pulumi.StringMap{
			"admin-user":     pulumi.String("admin"),
			"admin-password": secretPassword,
		},
	}, inNs...)
	if err != nil {
		return nil, fmt.Errorf("observability grafana secret: %w", err)
	}

	kpsChart, err := charts.Lookup(charts.KubePrometheusStack)
	if err != nil {
		return nil, err
	}
	kps, err := helmv3.NewRelease(ctx, child(kpsRelease), &helmv3.ReleaseArgs{
		Name:           pulumi.String(kpsRelease),
		Chart:          pulumi.String(kpsChart.Chart),
		Version:        pulumi.String(kpsChart.Version),
		RepositoryOpts: &helmv3.RepositoryOptsArgs{Repo: pulumi.String(kpsChart.Repo)},
		Namespace:      pulumi.String(a.Namespace),
		Values:         pulumi.ToMap(KubePrometheusStackValues(&a)),
		// Roll back on a failed upgrade so on-call finds the last good release, not a half-applied one.
		Atomic:        pulumi.Bool(true),
		CleanupOnFail: pulumi.Bool(true),
		MaxHistory:    pulumi.Int(10),
		Timeout:       pulumi.Int(900),
	}, append(inNs, pulumi.DependsOn([]pulumi.Resource{adminSecret}))...)
	if err != nil {
		return nil, fmt.Errorf("observability %s: %w", kpsRelease, err)
	}

	install := func(release, chartName string, values map[string]any, extra ...pulumi.ResourceOption) error {
		c, err := charts.Lookup(chartName)
		if err != nil {
			return err
		}
		_, err = helmv4.NewChart(ctx, child(release), chartv4.Args(c, release, a.Namespace, values), append(inNs, extra...)...)
		if err != nil {
			return fmt.Errorf("observability %s: %w", release, err)
		}
		return nil
	}
	// Loki and Tempo render ServiceMonitors, whose CRDs come with kube-prometheus-stack.
	afterKPS := pulumi.DependsOn([]pulumi.Resource{kps})
	if err := install(lokiRelease, charts.Loki, LokiValues(&a, logs.Bucket, ruler.Bucket, lokiRole.Role.Arn), afterKPS, pulumi.DependsOn([]pulumi.Resource{lokiRole.Policy})); err != nil {
		return nil, err
	}
	if err := install(tempoRelease, charts.Tempo, TempoValues(&a, traces.Bucket, tempoRole.Role.Arn), afterKPS, pulumi.DependsOn([]pulumi.Resource{tempoRole.Policy})); err != nil {
		return nil, err
	}
	if err := install(otelRelease, charts.OpenTelemetryCollect, OtelCollectorValues(&a)); err != nil {
		return nil, err
	}
	// Dashboards as code: ConfigMaps the Grafana sidecar loads (DashboardLabel), versioned in dashboards/*.json.
	if err := newDashboards(ctx, child, a.Namespace, inNs...); err != nil {
		return nil, err
	}

	comp.Namespace = ns.Metadata.Name().Elem()
	comp.GrafanaAdminPassword = secretPassword
	comp.GrafanaURL = pulumi.String("http://" + svc(kpsRelease+"-grafana", a.Namespace)).ToStringOutput()
	comp.PrometheusURL = pulumi.String(fmt.Sprintf("http://%s:9090", svc(kpsRelease+"-prometheus", a.Namespace))).ToStringOutput()
	comp.OtlpHost = pulumi.String(svc(otelRelease, a.Namespace)).ToStringOutput()
	comp.OtlpGrpcEndpoint = pulumi.String(svc(otelRelease, a.Namespace) + ":4317").ToStringOutput()
	comp.LogsBucket = logs.Bucket
	comp.TracesBucket = traces.Bucket
	comp.KmsKeyArn = key.Arn
	comp.AccessLogsBucket = accessLogs
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"namespace":            comp.Namespace,
		"grafanaAdminPassword": comp.GrafanaAdminPassword,
		"grafanaUrl":           comp.GrafanaURL,
		"prometheusUrl":        comp.PrometheusURL,
		"otlpGrpcEndpoint":     comp.OtlpGrpcEndpoint,
		"otlpHost":             comp.OtlpHost,
		"logsBucket":           comp.LogsBucket,
		"tracesBucket":         comp.TracesBucket,
		"kmsKeyArn":            comp.KmsKeyArn,
		"accessLogsBucket":     comp.AccessLogsBucket,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

type bucketArgs struct {
	prefix      string
	clusterName pulumi.StringInput
	// keyArn encrypts by default with SSE-KMS; nil means SSE-S3 (AES256), which only the access-log bucket uses
	// (see newAccessLogging).
	keyArn pulumi.StringInput
	// expireDays > 0 expires objects after that many days.
	expireDays int
	versioned  bool
	protect    bool
	// ownerEnforced disables ACLs explicitly (Object Ownership BucketOwnerEnforced), so only the bucket policy
	// grants access.
	ownerEnforced bool
	// policy builds the bucket policy from the bucket's ARN. Default: TLSOnlyPolicy.
	policy func(bucketArn pulumi.StringOutput) pulumi.StringOutput
	tags   pulumi.StringMapInput
}

// newBucket creates an S3 bucket with default encryption (SSE-KMS with a bucket key, or SSE-S3), every public
// access block, a policy that denies plain HTTP, optional versioning, and a lifecycle that aborts stale multipart
// uploads and bounds data age. It returns the bucket and its policy.
func newBucket(ctx *pulumi.Context, name string, b bucketArgs, opts ...pulumi.ResourceOption) (*s3.BucketV2, *s3.BucketPolicy, error) {
	bucket, err := s3.NewBucketV2(ctx, name, &s3.BucketV2Args{
		BucketPrefix: pulumi.Sprintf("%s-%s-", b.clusterName, b.prefix),
		Tags:         b.tags,
		// Outside prod a destroy must finish: S3 refuses to delete a bucket that still holds objects (or, when
		// versioned, object versions) unless the provider empties it first. Prod's data is protected instead.
		ForceDestroy: pulumi.Bool(!b.protect),
	}, append(opts, pulumi.Protect(b.protect))...)
	if err != nil {
		return nil, nil, fmt.Errorf("bucket %s: %w", name, err)
	}
	if _, err := s3.NewBucketPublicAccessBlock(ctx, name+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, opts...); err != nil {
		return nil, nil, fmt.Errorf("bucket %s public access block: %w", name, err)
	}
	if b.ownerEnforced {
		if _, err := s3.NewBucketOwnershipControls(ctx, name+"-ownership", &s3.BucketOwnershipControlsArgs{
			Bucket: bucket.ID(),
			Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
		}, opts...); err != nil {
			return nil, nil, fmt.Errorf("bucket %s ownership: %w", name, err)
		}
	}
	rule := &s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
		ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
			SseAlgorithm: pulumi.String("AES256"),
		},
	}
	if b.keyArn != nil {
		rule = &s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm:   pulumi.String("aws:kms"),
				KmsMasterKeyId: b.keyArn,
			},
			// Bucket keys cut KMS requests (and cost) by orders of magnitude for chunk-heavy writers.
			BucketKeyEnabled: pulumi.Bool(true),
		}
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules:  s3.BucketServerSideEncryptionConfigurationV2RuleArray{rule},
	}, opts...); err != nil {
		return nil, nil, fmt.Errorf("bucket %s encryption: %w", name, err)
	}
	policy := bucket.Arn.ApplyT(TLSOnlyPolicy).(pulumi.StringOutput)
	if b.policy != nil {
		policy = b.policy(bucket.Arn)
	}
	policyKey := "tls-only"
	if b.policy != nil {
		policyKey = "policy"
	}
	bucketPolicy, err := s3.NewBucketPolicy(ctx, name+"-"+policyKey, &s3.BucketPolicyArgs{Bucket: bucket.ID(), Policy: policy}, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("bucket %s policy: %w", name, err)
	}
	rules := s3.BucketLifecycleConfigurationV2RuleArray{
		&s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:     pulumi.String("abort-incomplete-uploads"),
			Status: pulumi.String("Enabled"),
			Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
			AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
				DaysAfterInitiation: pulumi.Int(7),
			},
		},
	}
	if b.expireDays > 0 {
		rules = append(rules, &s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:         pulumi.String("expire-after-retention"),
			Status:     pulumi.String("Enabled"),
			Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
			Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(b.expireDays)},
		})
	}
	if b.versioned {
		if _, err := s3.NewBucketVersioningV2(ctx, name+"-versioning", &s3.BucketVersioningV2Args{
			Bucket:                  bucket.ID(),
			VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
		}, opts...); err != nil {
			return nil, nil, fmt.Errorf("bucket %s versioning: %w", name, err)
		}
		rules = append(rules, &s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:     pulumi.String("expire-old-versions"),
			Status: pulumi.String("Enabled"),
			Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
			NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
				NoncurrentDays: pulumi.Int(90),
			},
		})
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, name+"-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules:  rules,
	}, opts...); err != nil {
		return nil, nil, fmt.Errorf("bucket %s lifecycle: %w", name, err)
	}
	return bucket, bucketPolicy, nil
}
