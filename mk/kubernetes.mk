# The proving ground's real-Kubernetes half (issue 9), built from pinned tools modules under sandbox/tools/:
#
#   bin/pulumi-resource-kubernetes  the REAL pulumi-kubernetes provider (v4.25.0 commit), from
#                                   sandbox/tools/kubernetes-provider (cold: ~15 min, ~4.6 GB peak)
#   bin/kube-apiserver, bin/kube-controller-manager, bin/etcd
#                                   a real Kubernetes v1.34 control plane (API server, the controllers that
#                                   finish namespace deletion and garbage collection) and an embedded etcd,
#                                   from sandbox/tools/controlplane (cold: ~12 min)
#
# Each binary depends only on its tools module's files: bumping a pin rebuilds it, anything else leaves it
# alone (like bin/pulumi). The sandbox starts etcd and kube-apiserver itself, on 127.0.0.1 only.

GO ?= go
BIN_DIR ?= bin
K8S_PROVIDER_VERSION := 4.25.0
K8S_PROVIDER_DIR := sandbox/tools/kubernetes-provider
K8S_PROVIDER := $(BIN_DIR)/pulumi-resource-kubernetes
CONTROLPLANE_DIR := sandbox/tools/controlplane
KUBE_VERSION := $(shell awk '$$1 == "k8s.io/kubernetes" && $$2 ~ /^v/ { print $$2 }' $(CONTROLPLANE_DIR)/go.mod)
KUBE_APISERVER := $(BIN_DIR)/kube-apiserver
KUBE_CONTROLLER_MANAGER := $(BIN_DIR)/kube-controller-manager
ETCD := $(BIN_DIR)/etcd
KUBE_LDFLAGS := -X k8s.io/component-base/version.gitVersion=$(KUBE_VERSION) \
	-X k8s.io/component-base/version.gitMajor=$(word 1,$(subst ., ,$(patsubst v%,%,$(KUBE_VERSION)))) \
	-X k8s.io/component-base/version.gitMinor=$(word 2,$(subst ., ,$(patsubst v%,%,$(KUBE_VERSION)))) \
	-X k8s.io/component-base/version.gitTreeState=clean

.PHONY: kubernetes-provider controlplane

kubernetes-provider: $(K8S_PROVIDER)
controlplane: $(KUBE_APISERVER) $(KUBE_CONTROLLER_MANAGER) $(ETCD)

$(K8S_PROVIDER): $(K8S_PROVIDER_DIR)/go.mod $(K8S_PROVIDER_DIR)/go.sum $(K8S_PROVIDER_DIR)/main.go $(K8S_PROVIDER_DIR)/schemagen/main.go
	@mkdir -p $(BIN_DIR)
	@echo ">> building the real pulumi-kubernetes provider $(K8S_PROVIDER_VERSION) into $@ (cold: ~15 min on 2 cores; later runs reuse it)"
	cd $(K8S_PROVIDER_DIR) && $(GO) run ./schemagen -version $(K8S_PROVIDER_VERSION) -out .
	cd $(K8S_PROVIDER_DIR) && $(GO) build \
		-ldflags "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$(K8S_PROVIDER_VERSION)" \
		-o $(abspath $@) .

$(KUBE_APISERVER): $(CONTROLPLANE_DIR)/go.mod $(CONTROLPLANE_DIR)/go.sum
	@mkdir -p $(BIN_DIR)
	@echo ">> building kube-apiserver $(KUBE_VERSION) into $@ (cold: ~9 min on 2 cores; later runs reuse it)"
	cd $(CONTROLPLANE_DIR) && $(GO) build -tags providerless -ldflags "$(KUBE_LDFLAGS)" -o $(abspath $@) k8s.io/kubernetes/cmd/kube-apiserver

$(KUBE_CONTROLLER_MANAGER): $(CONTROLPLANE_DIR)/go.mod $(CONTROLPLANE_DIR)/go.sum
	@mkdir -p $(BIN_DIR)
	cd $(CONTROLPLANE_DIR) && $(GO) build -tags providerless -ldflags "$(KUBE_LDFLAGS)" -o $(abspath $@) k8s.io/kubernetes/cmd/kube-controller-manager

$(ETCD): $(CONTROLPLANE_DIR)/go.mod $(CONTROLPLANE_DIR)/go.sum $(CONTROLPLANE_DIR)/etcd/main.go
	@mkdir -p $(BIN_DIR)
	cd $(CONTROLPLANE_DIR) && $(GO) build -o $(abspath $@) ./etcd
