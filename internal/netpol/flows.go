package netpol

// Namespaces the platform creates, as the components name them by default.
const (
	Observability   = "observability"
	IstioSystem     = "istio-system"
	IstioIngress    = "istio-ingress"
	Vault           = "vault"
	ExternalSecrets = "external-secrets"
	Autoscaling     = "autoscaling"
	GPURuntime      = "gpu-runtime"
	Scanning        = "trivy-system"
	Kyverno         = "kyverno"
	// KubeSystem is EKS's own; the program creates no policy there (CoreDNS, the CNI, kube-proxy, metrics-server
	// and istio-cni run in it).
	KubeSystem = "kube-system"
)

// prometheus is the Prometheus the observability stack runs: prometheus-operator labels its pods
// app.kubernetes.io/name=prometheus (kube-prometheus-stack 88.5.3 templates/prometheus/podDisruptionBudget.yaml
// selects them by it).
var prometheus = PodsIn(Observability, "app.kubernetes.io/name", "prometheus")

// scrape is Prometheus scraping the given pods on their metrics ports.
func scrape(name string, to Peer, why string, ports ...int) Flow {
	return Flow{Name: name, From: prometheus, To: to, Ports: TCP(ports...), Why: why}
}

// PlatformFlows is every connection the platform's namespaces need. Ports are the pods' container ports
// (a NetworkPolicy matches the port after a Service's mapping); each comes from the pinned chart named in the
// row's comment. Adding a namespace is adding its rows here: its default deny, DNS and API server egress come
// with the namespace itself (the flows from EveryPlatformNamespace).
var PlatformFlows = []Flow{
	// Every namespace.
	{Name: "dns", From: PodsIn(EveryPlatformNamespace), To: PodsIn(KubeSystem, "k8s-app", "kube-dns"),
		Ports: []Port{{"UDP", 53}, {"TCP", 53}}, Why: "name resolution through CoreDNS"},
	{Name: "apiserver", From: PodsIn(EveryPlatformNamespace), To: APIServer, Ports: TCP(443),
		Why: "controllers, operators and sidecars watch the Kubernetes API"},

	// Mesh: istiod 1.30.3 (templates/deployment.yaml containerPorts 15010, 15012, 15014, 15017; the Service's
	// 443 maps to 15017) and the gateway 1.30.3 (values.yaml service.ports 15021, 80, 443 to the same target
	// ports; templates/deployment.yaml 15090 http-envoy-prom).
	{Name: "istiod-xds", From: PodsIn(AnyNamespace), To: PodsIn(IstioSystem, "app", "istiod"), Ports: TCP(15010, 15012),
		Why: "sidecars and gateways fetch configuration and certificates from istiod"},
	{Name: "istiod-webhook", From: APIServer, To: PodsIn(IstioSystem, "app", "istiod"), Ports: TCP(15017),
		Why: "sidecar injection and config validation webhooks"},
	{Name: "gateway-xds", From: PodsIn(IstioIngress), To: PodsIn(IstioSystem, "app", "istiod"), Ports: TCP(15012),
		Why: "the ingress gateway's own connection to istiod"},
	{Name: "gateway-ingress", From: Internet, To: PodsIn(IstioIngress), Ports: TCP(80, 443, 15021),
		Why: "clients through the NLB (its source ranges are the NLB's control) and the NLB's health checks"},
	{Name: "gateway-backends", From: PodsIn(IstioIngress), To: PodsIn(AnyNamespace),
		Why: "the gateway routes to workloads in any namespace, on any port"},
	scrape("scrape-istiod", PodsIn(IstioSystem, "app", "istiod"), "istiod's http-monitoring endpoint (ServiceMonitor istio-system/istiod)", 15014),
	scrape("scrape-gateway", PodsIn(IstioIngress), "the gateway's Envoy stats (PodMonitor istio-system/envoy-stats)", 15090),

	// Observability: kube-prometheus-stack 88.5.3, Loki 18.11.0, Tempo 2.2.4, opentelemetry-collector 0.170.0.
	{Name: "observability-internal", From: PodsIn(Observability), To: PodsIn(Observability),
		Why: "Grafana to Prometheus, Loki and Tempo; the collector and Tempo's generator to Prometheus, Loki and Tempo; Alertmanager's cluster; Prometheus scraping its own stack"},
	{Name: "scrape-all", From: prometheus, To: PodsIn(AnyNamespace),
		Why: "Prometheus selects every ServiceMonitor and PodMonitor in the cluster; the target's namespace decides whether it may be scraped"},
	{Name: "scrape-nodes", From: prometheus, To: PrivateNets, Ports: TCP(10250, 9100),
		Why: "kubelet and cAdvisor (10250) and node-exporter, which runs on the host network (prometheus-node-exporter values.yaml hostNetwork, port 9100)"},
	{Name: "otlp", From: PodsIn(AnyNamespace), To: PodsIn(Observability, "app.kubernetes.io/instance", "otel-collector"), Ports: TCP(4317, 4318),
		Why: "traces, metrics and logs from Envoy and applications to the OpenTelemetry collector (OTLP gRPC and HTTP)"},
	{Name: "prometheus-operator-webhook", From: APIServer, To: PodsIn(Observability, "app", "kube-prometheus-stack-operator"), Ports: TCP(10250),
		Why: "PrometheusRule and Alertmanager config validation (prometheusOperator.tls.internalPort 10250)"},
	{Name: "alertmanager-receivers", From: PodsIn(Observability, "app.kubernetes.io/name", "alertmanager"), To: Internet, Ports: TCP(443),
		Why: "Alertmanager notifies PagerDuty or Slack (observability.alerting; templates/alertmanager/networkpolicy.yaml selects it by this label)"},
	{Name: "loki-s3", From: PodsIn(Observability, "app.kubernetes.io/instance", "loki"), To: Internet, Ports: TCP(443),
		Why: "Loki's chunks and index in S3, through STS (IRSA) and KMS"},
	{Name: "tempo-s3", From: PodsIn(Observability, "app.kubernetes.io/instance", "tempo"), To: Internet, Ports: TCP(443),
		Why: "Tempo's traces in S3, through STS (IRSA) and KMS"},

	// Vault 0.34.1 (server 8200 API, 8201 cluster; injector values.yaml injector.port 8080) and External
	// Secrets 2.9.0 (values.yaml webhook.port 10250).
	{Name: "vault-api", From: PodsIn(AnyNamespace), To: PodsIn(Vault, "app.kubernetes.io/name", "vault", "component", "server"), Ports: TCP(8200),
		Why: "External Secrets, Vault Agent in injected workloads, and Prometheus (/v1/sys/metrics) reach Vault's API"},
	{Name: "vault-from-vpc", From: PrivateNets, To: PodsIn(Vault, "app.kubernetes.io/name", "vault", "component", "server"), Ports: TCP(8200),
		Why: "the in-VPC CI runner through Vault's internal NLB (vault.internalLoadBalancer) for the second stage"},
	{Name: "vault-internal", From: PodsIn(Vault), To: PodsIn(Vault),
		Why: "raft replication and request forwarding between Vault servers (8201), retry_join (8200)"},
	{Name: "vault-injector-webhook", From: APIServer, To: PodsIn(Vault, "app.kubernetes.io/name", "vault-agent-injector"), Ports: TCP(8080),
		Why: "the Vault Agent injector's mutating webhook"},
	{Name: "vault-kms", From: PodsIn(Vault, "app.kubernetes.io/name", "vault", "component", "server"), To: Internet, Ports: TCP(443),
		Why: "auto-unseal with KMS, through STS (IRSA)"},
	{Name: "eso-to-vault", From: PodsIn(ExternalSecrets, "app.kubernetes.io/name", "external-secrets"), To: PodsIn(Vault, "app.kubernetes.io/name", "vault", "component", "server"), Ports: TCP(8200),
		Why: "External Secrets reads secrets from Vault (ClusterSecretStores vault-<team>)"},
	{Name: "eso-webhook", From: APIServer, To: PodsIn(ExternalSecrets, "app.kubernetes.io/name", "external-secrets-webhook"), Ports: TCP(10250),
		Why: "ExternalSecret and SecretStore validation and conversion webhooks"},

	// Autoscaling: cluster-autoscaler 9.59.0, KEDA 2.20.2 (metrics apiserver 6443, webhooks 9443, operator gRPC
	// 9666).
	{Name: "autoscaling-internal", From: PodsIn(Autoscaling), To: PodsIn(Autoscaling),
		Why: "KEDA's metrics API server asks the operator for scaler metrics (gRPC 9666)"},
	{Name: "keda-metrics-apiserver", From: APIServer, To: PodsIn(Autoscaling, "app", "keda-operator-metrics-apiserver"), Ports: TCP(6443),
		Why: "the external metrics API (an aggregated APIService) HPAs read"},
	{Name: "keda-webhook", From: APIServer, To: PodsIn(Autoscaling, "app", "keda-admission-webhooks"), Ports: TCP(9443),
		Why: "ScaledObject validation webhook"},
	{Name: "cluster-autoscaler-aws", From: PodsIn(Autoscaling, "app.kubernetes.io/instance", "cluster-autoscaler"), To: Internet, Ports: TCP(443),
		Why: "Auto Scaling and EC2 APIs, through STS (IRSA)"},

	// GPU runtime: dcgm-exporter 4.8.2 (9400).
	scrape("scrape-dcgm", PodsIn(GPURuntime, "app.kubernetes.io/instance", "dcgm-exporter"), "GPU metrics (the DCGM exporter's ServiceMonitor)", 9400),

	// Scanning: trivy-operator 0.32.1 (templates/deployment.yaml metrics 8080; trivy-server 4954).
	{Name: "trivy-internal", From: PodsIn(Scanning), To: PodsIn(Scanning),
		Why: "scan jobs and the operator to a built-in Trivy server when one runs (4954)"},
	{Name: "trivy-downloads", From: PodsIn(Scanning), To: Internet, Ports: TCP(443),
		Why: "the vulnerability database (OCI registry) and the scanned images' registries, from the operator's scan jobs"},
	scrape("scrape-trivy", PodsIn(Scanning, "app.kubernetes.io/instance", "trivy-operator"), "Trivy Operator's findings metrics (its ServiceMonitor)", 8080),

	// Kyverno 3.9.0 (admission and cleanup controllers' webhookServer/server port 9443; metering port 8000).
	{Name: "kyverno-webhooks", From: APIServer, To: PodsIn(Kyverno), Ports: TCP(9443),
		Why: "admission (validate, mutate) and cleanup webhooks"},
	scrape("scrape-kyverno", PodsIn(Kyverno), "Kyverno's controllers' metrics", 8000),
}
