// Package vault provides the Vault component: HashiCorp Vault from its official chart with integrated
// (raft) storage, TLS on every listener (a platform CA and server certificate generated with pulumi-tls and
// kept as Pulumi secrets), auto-unseal with a dedicated KMS key through an IRSA role (never the node
// role), persistent audit storage and the Vault Agent injector.
//
// It does not initialise Vault or configure it: initialisation is a one-off human step (see the runbook in
// docs/services.md) and configuration as code lives in package vaultconfig, enabled once Vault has a token.
package vault

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/clusterref"
	"github.com/platform-team/platform/internal/irsa"
	"github.com/platform-team/platform/internal/kmskey"
	"github.com/platform-team/platform/internal/podsecurity"
)

const (
	componentType = "platform:vault:Vault"
	// DefaultNamespace for the Vault servers and injector.
	DefaultNamespace = "vault"
	// Release is the Helm release name; the chart names the server service account, services and pods
	// after it ("vault", "vault-internal", "vault-0", ...).
	Release = "vault"
	// ServiceAccount is the server's service account the unseal role trusts.
	ServiceAccount = "vault"
	// ImageTag pins Vault, stated explicitly so policies and reviewers see it. The catalogue chart (0.34.1)
	// defaults to Vault 2.0.4 and is tested with 1.19-1.21 and 2.0; moving to Vault 2.x is its own upgrade.
	ImageTag = "1.20.1"
	// TLSSecretName holds the server certificate, key and CA, mounted at TLSMountPath.
	TLSSecretName = "vault-tls"
	TLSMountPath  = "/vault/userconfig/vault-tls"
	// AuditMountPath is where the chart mounts the audit volume; vaultconfig enables a file device there.
	AuditMountPath = "/vault/audit"
)

// Args configures Vault.
type Args struct {
	// Ref is the cluster the service runs on (providers, name, region, OIDC, tags). Required.
	clusterref.Ref
	// Namespace. Default: "vault".
	Namespace string
	// Replicas of the raft cluster; odd. Required (1 in dev, >= 3 elsewhere, enforced by config).
	Replicas int
	// StorageGiB and AuditStorageGiB per replica. Default: 10 each.
	StorageGiB      int
	AuditStorageGiB int
	// Injector installs the Vault Agent sidecar injector. Default: false (zero value); config defaults it on.
	Injector bool
	// KMSDeletionWindowDays of the unseal key. Default: 30.
	KMSDeletionWindowDays int
	// ProtectUnsealKey marks the unseal key protected: deleting it makes Vault's data unrecoverable.
	// Default: false; the program sets it in prod.
	ProtectUnsealKey bool
	// KeepVolumes keeps the raft and audit volumes when the StatefulSet is deleted. Default: false (they are
	// deleted with it, so a dev or staging teardown leaves no EBS volumes behind); the program sets it in
	// prod. Scaling down never deletes a volume either way.
	KeepVolumes bool
	// Monitoring renders a ServiceMonitor for every Vault pod and the sealed/down/no-leader alerts
	// (MonitoringRules). It needs the prometheus-operator CRDs: install Vault after observability.
	// Default: false.
	Monitoring bool
	// InternalLoadBalancer gives the active node an internal NLB (the Service CIServiceName) so a client inside
	// the VPC -- the in-VPC CI runner running the second stage -- reaches Vault without a port-forward. Its
	// address is the CIAddress output. Default: none.
	InternalLoadBalancer *InternalLoadBalancer
}

// InternalLoadBalancer is Args.InternalLoadBalancer.
type InternalLoadBalancer struct {
	// SourceRanges may reach the load balancer (loadBalancerSourceRanges), e.g. the VPC's CIDR. Required: an
	// internal NLB is still reachable from every peered network and VPN.
	SourceRanges []string
}

// CIServiceName is the Service that publishes the active node on an internal NLB.
const CIServiceName = Release + "-ci"

// Vault is the component.
type Vault struct {
	pulumi.ResourceState

	// Address is Vault's in-cluster HTTPS address: the active node's Service (ActiveAddress), so clients such as
	// External Secrets never reach a sealed or standby pod.
	Address pulumi.StringOutput `pulumi:"address"`
	// CACertPem is the CA that signed Vault's certificate (public; clients need it to verify Vault).
	CACertPem pulumi.StringOutput `pulumi:"caCertPem"`
	// UnsealKeyArn is the KMS key the awskms seal uses.
	UnsealKeyArn pulumi.StringOutput `pulumi:"unsealKeyArn"`
	// Namespace Vault runs in.
	Namespace pulumi.StringOutput `pulumi:"namespace"`
	// CIAddress is the internal load balancer's https address ("" without InternalLoadBalancer, or until the
	// load balancer has a hostname). Vault's certificate does not name the NLB's hostname: clients verify the
	// name CIServerName instead (vault's tls_server_name).
	CIAddress pulumi.StringOutput `pulumi:"ciAddress"`
}

// CIServerName is the certificate name a client of the internal load balancer verifies: the active Service's
// name, which DNSNames puts on the certificate.
func CIServerName(ns string) string { return fmt.Sprintf("%s-active.%s.svc", Release, ns) }

func (a *Args) applyDefaults() {
	if a.Namespace == "" {
		a.Namespace = DefaultNamespace
	}
	if a.StorageGiB == 0 {
		a.StorageGiB = 10
	}
	if a.AuditStorageGiB == 0 {
		a.AuditStorageGiB = 10
	}
	if a.KMSDeletionWindowDays == 0 {
		a.KMSDeletionWindowDays = 30
	}
}

// ValidateArgs returns every problem with args (after defaults), or nil.
func ValidateArgs(a *Args) error {
	p := a.Ref.Problems()
	if a.Replicas < 1 || a.Replicas%2 == 0 {
		p = append(p, fmt.Sprintf("replicas must be odd and >= 1 for a raft quorum (got %d)", a.Replicas))
	}
	if a.StorageGiB < 1 || a.AuditStorageGiB < 1 {
		p = append(p, "storageGiB and auditStorageGiB must be >= 1")
	}
	if a.KMSDeletionWindowDays < 7 || a.KMSDeletionWindowDays > 30 {
		p = append(p, fmt.Sprintf("kmsDeletionWindowDays must be within [7, 30] (got %d)", a.KMSDeletionWindowDays))
	}
	if lb := a.InternalLoadBalancer; lb != nil {
		if len(lb.SourceRanges) == 0 {
			p = append(p, "internalLoadBalancer.sourceRanges is required (e.g. the VPC's CIDR)")
		}
		for _, r := range lb.SourceRanges {
			if pfx, err := netip.ParsePrefix(r); err != nil || pfx.Bits() == 0 {
				p = append(p, fmt.Sprintf("internalLoadBalancer.sourceRanges: %q is not a CIDR narrower than /0", r))
			}
		}
	}
	if len(p) > 0 {
		return fmt.Errorf("vault: %s", strings.Join(p, "; "))
	}
	return nil
}

// DNSNames are the names Vault is reached by: the client service, the active/standby services and every
// pod through the headless raft service (raft peers verify each other's certificates).
func DNSNames(ns string) []string {
	var names []string
	for _, svc := range []string{Release, Release + "-active", Release + "-standby", Release + "-internal"} {
		names = append(names, svc, fmt.Sprintf("%s.%s", svc, ns), fmt.Sprintf("%s.%s.svc", svc, ns), fmt.Sprintf("%s.%s.svc.cluster.local", svc, ns))
	}
	names = append(names, fmt.Sprintf("*.%s-internal", Release), fmt.Sprintf("*.%s-internal.%s.svc.cluster.local", Release, ns))
	return names
}

// ActiveAddress is the active node's Service. The chart's "vault" Service selects every server pod and publishes
// not-ready addresses, so it includes sealed pods; "vault-active" selects only the pod labelled vault-active=true
// by Kubernetes service registration, the unsealed leader.
func ActiveAddress(ns string) string {
	return fmt.Sprintf("https://%s-active.%s.svc:8200", Release, ns)
}

// MonitoringRules are the Prometheus alerts on Vault: a sealed pod, a pod whose metrics cannot be scraped (a
// sealed Vault does not serve sys/metrics), and no active node. Every alert carries the namespace label, so a
// namespaced AlertmanagerConfig routes it to Vault's owners.
func MonitoringRules(ns string) []any {
	job := Release + "-internal"
	rule := func(name, expr, dur, summary string) map[string]any {
		return map[string]any{
			"alert": name, "expr": expr, "for": dur,
			"labels":      map[string]any{"severity": "critical", "namespace": ns},
			"annotations": map[string]any{"summary": summary},
		}
	}
	return []any{
		rule("VaultSealed", fmt.Sprintf(`vault_core_unsealed{namespace=%q} == 0`, ns), "5m",
			"Vault pod {{ $labels.pod }} is sealed"),
		rule("VaultDown", fmt.Sprintf(`up{namespace=%q, job=%q} == 0`, ns, job), "5m",
			"Vault pod {{ $labels.pod }} serves no metrics (down or sealed)"),
		rule("VaultNoLeader", fmt.Sprintf(`sum(vault_core_active{namespace=%q}) < 1 or absent(vault_core_active{namespace=%q})`, ns, ns), "2m",
			"No Vault node is active: every request fails"),
	}
}

// UnsealPolicy lets the server use exactly the unseal key, and only for the seal's operations.
func UnsealPolicy(keyArn string) (string, error) {
	return irsa.PolicyDocument(map[string]any{
		"Sid": "AutoUnseal", "Effect": "Allow",
		"Action":   []string{"kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"},
		"Resource": []string{keyArn},
	})
}

// ServerConfig is Vault's HCL configuration: TLS listener, raft storage joining every peer over TLS,
// the awskms seal, Kubernetes service registration and Prometheus telemetry.
func ServerConfig(ns, region, keyID string, replicas int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ui = true\n\nlistener \"tcp\" {\n  address = \"[::]:8200\"\n  cluster_address = \"[::]:8201\"\n")
	fmt.Fprintf(&b, "  tls_cert_file = \"%s/tls.crt\"\n  tls_key_file = \"%s/tls.key\"\n  tls_client_ca_file = \"%s/ca.crt\"\n", TLSMountPath, TLSMountPath, TLSMountPath)
	fmt.Fprintf(&b, "  telemetry {\n    unauthenticated_metrics_access = true\n  }\n}\n\n")
	fmt.Fprintf(&b, "storage \"raft\" {\n  path = \"/vault/data\"\n")
	for i := 0; i < replicas; i++ {
		fmt.Fprintf(&b, "  retry_join {\n    leader_api_addr = \"https://%s-%d.%s-internal.%s.svc.cluster.local:8200\"\n    leader_ca_cert_file = \"%s/ca.crt\"\n  }\n", Release, i, Release, ns, TLSMountPath)
	}
	fmt.Fprintf(&b, "}\n\nseal \"awskms\" {\n  region = \"%s\"\n  kms_key_id = \"%s\"\n}\n\n", region, keyID)
	fmt.Fprintf(&b, "service_registration \"kubernetes\" {}\n\ntelemetry {\n  prometheus_retention_time = \"30s\"\n  disable_hostname = true\n}\n")
	return b.String()
}

// NewVault creates the unseal key and role, TLS material, the namespace and the Vault release.
func NewVault(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Vault, error) {
	if args == nil {
		args = &Args{}
	}
	a := *args
	a.applyDefaults()
	if err := ValidateArgs(&a); err != nil {
		return nil, err
	}
	comp := &Vault{}
	opts = append(opts, a.Ref.Providers())
	if err := ctx.RegisterComponentResource(componentType, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	child := func(key string) string { return fmt.Sprintf("%s-%s", name, key) }

	key, err := kmskey.New(ctx, child("unseal-key"), kmskey.Args{
		Description:        pulumi.Sprintf("Vault auto-unseal for %s", a.ClusterName),
		DeletionWindowDays: a.KMSDeletionWindowDays,
		Alias:              pulumi.Sprintf("%s-vault-unseal", a.ClusterName),
		Tags:               a.Tags,
	}, parent, pulumi.Protect(a.ProtectUnsealKey))
	if err != nil {
		return nil, fmt.Errorf("vault unseal key: %w", err)
	}
	role, err := irsa.NewRole(ctx, child("unseal-irsa"), irsa.RoleArgs{
		OidcProviderArn: a.OidcProviderArn, OidcIssuer: a.OidcIssuer,
		Namespace: a.Namespace, ServiceAccount: ServiceAccount,
		Policy: key.Arn.ApplyT(UnsealPolicy).(pulumi.StringOutput),
		Tags:   a.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}

	// TLS: a CA for Vault only, so clients trust exactly this CA for exactly this service.
	tp, err := tls.NewProvider(ctx, child("tls"), &tls.ProviderArgs{}, parent)
	if err != nil {
		return nil, fmt.Errorf("vault tls provider: %w", err)
	}
	withTLS := []pulumi.ResourceOption{parent, pulumi.Provider(tp)}
	caKey, err := tls.NewPrivateKey(ctx, child("ca-key"), &tls.PrivateKeyArgs{Algorithm: pulumi.String("ECDSA"), EcdsaCurve: pulumi.String("P256")}, withTLS...)
	if err != nil {
		return nil, fmt.Errorf("vault ca key: %w", err)
	}
	ca, err := tls.NewSelfSignedCert(ctx, child("ca"), &tls.SelfSignedCertArgs{
		PrivateKeyPem:       caKey.PrivateKeyPem,
		IsCaCertificate:     pulumi.Bool(true),
		ValidityPeriodHours: pulumi.Int(10 * 365 * 24),
		AllowedUses:         pulumi.ToStringArray([]string{"cert_signing", "crl_signing"}),
		Subject:             &tls.SelfSignedCertSubjectArgs{CommonName: pulumi.Sprintf("%s Vault CA", a.ClusterName), Organization: pulumi.String("platform")},
	}, withTLS...)
	if err != nil {
		return nil, fmt.Errorf("vault ca: %w", err)
	}
	serverKey, err := tls.NewPrivateKey(ctx, child("server-key"), &tls.PrivateKeyArgs{Algorithm: pulumi.String("ECDSA"), EcdsaCurve: pulumi.String("P256")}, withTLS...)
	if err != nil {
		return nil, fmt.Errorf("vault server key: %w", err)
	}
	csr, err := tls.NewCertRequest(ctx, child("server-csr"), &tls.CertRequestArgs{
		PrivateKeyPem: serverKey.PrivateKeyPem,
		DnsNames:      pulumi.ToStringArray(DNSNames(a.Namespace)),
		IpAddresses:   pulumi.ToStringArray([]string{"127.0.0.1"}),
		Subject:       &tls.CertRequestSubjectArgs{CommonName: pulumi.Sprintf("%s.%s.svc", Release, a.Namespace)},
	}, withTLS...)
	if err != nil {
		return nil, fmt.Errorf("vault csr: %w", err)
	}
	cert, err := tls.NewLocallySignedCert(ctx, child("server-cert"), &tls.LocallySignedCertArgs{
		CertRequestPem:      csr.CertRequestPem,
		CaPrivateKeyPem:     caKey.PrivateKeyPem,
		CaCertPem:           ca.CertPem,
		ValidityPeriodHours: pulumi.Int(365 * 24),
		// Re-issued by any `pulumi up` in the last 30 days; pods pick it up on their next (OnDelete) restart.
		EarlyRenewalHours: pulumi.Int(30 * 24),
		AllowedUses:       pulumi.ToStringArray([]string{"digital_signature", "key_encipherment", "server_auth", "client_auth"}),
	}, withTLS...)
	if err != nil {
		return nil, fmt.Errorf("vault server cert: %w", err)
	}

	ns, err := podsecurity.NewNamespace(ctx, child("namespace"), podsecurity.NamespaceArgs{
		Name: a.Namespace, Enforce: podsecurity.Baseline,
		Reason: "the Vault chart's default container security context does not drop all capabilities or set seccomp",
	}, parent)
	if err != nil {
		return nil, err
	}
	tlsSecret, err := corev1.NewSecret(ctx, child("tls-secret"), &corev1.SecretArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(TLSSecretName), Namespace: pulumi.String(a.Namespace)},
		Type:     pulumi.String("Opaque"),
		StringData: pulumi.StringMap{
			"tls.crt": cert.CertPem,
			"tls.key": pulumi.ToSecret(serverKey.PrivateKeyPem).(pulumi.StringOutput),
			"ca.crt":  ca.CertPem,
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{ns}))
	if err != nil {
		return nil, fmt.Errorf("vault tls secret: %w", err)
	}

	config := key.KeyId.ApplyT(func(id string) string { return ServerConfig(a.Namespace, a.Region, id, a.Replicas) }).(pulumi.StringOutput)
	vc, err := charts.Lookup(charts.Vault)
	if err != nil {
		return nil, err
	}
	if _, err := helmv3.NewRelease(ctx, child(Release), &helmv3.ReleaseArgs{
		Name:           pulumi.String(Release),
		Chart:          pulumi.String(vc.Chart),
		Version:        pulumi.String(vc.Version),
		RepositoryOpts: &helmv3.RepositoryOptsArgs{Repo: pulumi.String(vc.Repo)},
		Namespace:      pulumi.String(a.Namespace),
		Values:         pulumi.ToMap(Values(&a, config, role.Role.Arn)),
		Atomic:         pulumi.Bool(true),
		CleanupOnFail:  pulumi.Bool(true),
		MaxHistory:     pulumi.Int(10),
		Timeout:        pulumi.Int(600),
		// Sealed, uninitialised pods are not Ready until the runbook's `vault operator init`; waiting for
		// readiness would fail the first install.
		SkipAwait: pulumi.Bool(true),
	}, parent, pulumi.DependsOn([]pulumi.Resource{tlsSecret, role.Policy})); err != nil {
		return nil, fmt.Errorf("vault release: %w", err)
	}

	comp.CIAddress = pulumi.String("").ToStringOutput()
	if a.InternalLoadBalancer != nil {
		svc, err := newCIService(ctx, child("ci-service"), a.Namespace, a.InternalLoadBalancer.SourceRanges,
			parent, pulumi.DependsOn([]pulumi.Resource{ns}))
		if err != nil {
			return nil, err
		}
		comp.CIAddress = svc.Status.ApplyT(func(st *corev1.ServiceStatus) string {
			if st == nil || st.LoadBalancer == nil || len(st.LoadBalancer.Ingress) == 0 || st.LoadBalancer.Ingress[0].Hostname == nil {
				return ""
			}
			return "https://" + *st.LoadBalancer.Ingress[0].Hostname
		}).(pulumi.StringOutput)
	}
	comp.Address = pulumi.String(ActiveAddress(a.Namespace)).ToStringOutput()
	comp.CACertPem = ca.CertPem
	comp.UnsealKeyArn = key.Arn
	comp.Namespace = ns.Metadata.Name().Elem()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"address":      comp.Address,
		"caCertPem":    comp.CACertPem,
		"unsealKeyArn": comp.UnsealKeyArn,
		"namespace":    comp.Namespace,
		"ciAddress":    comp.CIAddress,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// Values are the vault chart values (keys checked against the pinned chart archive). config and roleArn may
// be outputs.
func Values(a *Args, config, roleArn pulumi.StringInput) map[string]any {
	res := func(cpu, mem, lcpu, lmem string) map[string]any {
		return map[string]any{
			"requests": map[string]any{"cpu": cpu, "memory": mem},
			"limits":   map[string]any{"cpu": lcpu, "memory": lmem},
		}
	}
	injectorReplicas := 1
	if a.Replicas >= 3 {
		injectorReplicas = 2
	}
	return map[string]any{
		"global": map[string]any{"tlsDisable": false},
		"injector": map[string]any{
			"enabled":   a.Injector,
			"replicas":  injectorReplicas,
			"resources": res("50m", "64Mi", "250m", "256Mi"),
		},
		"server": map[string]any{
			// The StatefulSet's PVC retention (Kubernetes StatefulSetAutoDeletePVC, GA in 1.32): without it
			// every raft and audit PVC, and its EBS volume, outlives the release.
			"persistentVolumeClaimRetentionPolicy": map[string]any{
				"whenDeleted": pickString(a.KeepVolumes, "Retain", "Delete"),
				"whenScaled":  "Retain",
			},
			"image":     map[string]any{"tag": ImageTag},
			"resources": res("250m", "256Mi", "1", "1Gi"),
			"dev":       map[string]any{"enabled": false},
			"ha": map[string]any{
				"enabled":  true,
				"replicas": a.Replicas,
				"raft": map[string]any{
					"enabled":   true,
					"setNodeId": true,
					"config":    config,
				},
			},
			"dataStorage":  map[string]any{"enabled": true, "size": fmt.Sprintf("%dGi", a.StorageGiB)},
			"auditStorage": map[string]any{"enabled": true, "size": fmt.Sprintf("%dGi", a.AuditStorageGiB)},
			"serviceAccount": map[string]any{
				"create":      true,
				"name":        ServiceAccount,
				"annotations": map[string]any{irsa.AnnotationKey: roleArn},
			},
			"extraEnvironmentVars": map[string]any{
				// The CLI inside the pods (probes, operators' `kubectl exec`) verifies the server certificate.
				"VAULT_CACERT": TLSMountPath + "/ca.crt",
			},
			"volumes":      []any{map[string]any{"name": "vault-tls", "secret": map[string]any{"secretName": TLSSecretName}}},
			"volumeMounts": []any{map[string]any{"name": "vault-tls", "mountPath": TLSMountPath, "readOnly": true}},
		},
		"ui":  map[string]any{"enabled": true},
		"csi": map[string]any{"enabled": false},
		"serverTelemetry": map[string]any{
			"serviceMonitor": map[string]any{
				"enabled": a.Monitoring,
				// Every pod through the headless service, not only the active one (the chart's default), so a
				// sealed standby shows up; Prometheus verifies Vault's certificate with Vault's own CA.
				"matchLabels": map[string]any{"vault-internal": "true"},
				"tlsConfig": map[string]any{
					"ca":         map[string]any{"secret": map[string]any{"name": TLSSecretName, "key": "ca.crt"}},
					"serverName": fmt.Sprintf("%s-active.%s.svc", Release, a.Namespace),
				},
			},
			"prometheusRules": map[string]any{
				"enabled": a.Monitoring,
				"rules":   MonitoringRules(a.Namespace),
			},
		},
	}
}

func pickString(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// newCIService publishes the active node (the pod Kubernetes service registration labels vault-active=true,
// selected as the chart's own vault-active Service selects it: vault 0.34.1 templates/server-ha-active-service.yaml)
// on an internal NLB. The in-tree AWS load balancer annotations are the ones the mesh gateway uses; only the
// listed source ranges may connect.
func newCIService(ctx *pulumi.Context, name, ns string, sourceRanges []string, opts ...pulumi.ResourceOption) (*corev1.Service, error) {
	ranges := append([]string(nil), sourceRanges...)
	sort.Strings(ranges)
	svc, err := corev1.NewService(ctx, name, &corev1.ServiceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:      pulumi.String(CIServiceName),
			Namespace: pulumi.String(ns),
			Annotations: pulumi.StringMap{
				"service.beta.kubernetes.io/aws-load-balancer-type":     pulumi.String("nlb"),
				"service.beta.kubernetes.io/aws-load-balancer-internal": pulumi.String("true"),
			},
		},
		Spec: &corev1.ServiceSpecArgs{
			Type:                     pulumi.String("LoadBalancer"),
			LoadBalancerSourceRanges: pulumi.ToStringArray(ranges),
			Selector: pulumi.StringMap{
				"app.kubernetes.io/name":     pulumi.String(Release),
				"app.kubernetes.io/instance": pulumi.String(Release),
				"component":                  pulumi.String("server"),
				"vault-active":               pulumi.String("true"),
			},
			Ports: corev1.ServicePortArray{corev1.ServicePortArgs{
				// 443, not 8200: the CI runner's security group allows HTTPS egress only (components/cirunner).
				Name: pulumi.String("https"), Port: pulumi.Int(443), TargetPort: pulumi.Int(8200), Protocol: pulumi.String("TCP"),
			}},
		},
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("vault ci service: %w", err)
	}
	return svc, nil
}
