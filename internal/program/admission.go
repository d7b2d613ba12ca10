package program

import (
	"sort"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"

	"github.com/platform-team/platform/components/admission"
	"github.com/platform-team/platform/components/autoscaling"
	"github.com/platform-team/platform/components/externalsecrets"
	"github.com/platform-team/platform/components/gpupools"
	"github.com/platform-team/platform/components/gpuruntime"
	"github.com/platform-team/platform/components/mesh"
	"github.com/platform-team/platform/components/observability"
	"github.com/platform-team/platform/components/scanning"
	"github.com/platform-team/platform/components/vault"
	"github.com/platform-team/platform/internal/config"
)

// platformNamespaces are the namespaces the program creates for its services. Kyverno's webhooks never see
// them and no workload rule applies in them, so a broken engine or rule cannot stop the platform repairing
// itself; TestAdmissionNeverLocksOutAProgramNamespace fails when a new namespace is missing here.
var platformNamespaces = []string{
	mesh.SystemNamespace, mesh.DefaultGatewayNamespace, observability.DefaultNamespace, gpuruntime.DefaultNamespace,
	autoscaling.DefaultNamespace, vault.DefaultNamespace, externalsecrets.DefaultNamespace, scanning.DefaultNamespace,
}

// admissionArgs are the engine's and the rules' inputs for this stack: the rules enforce in staging and prod
// and only report (Audit) in dev; prod runs three webhook replicas and two of each controller.
func admissionArgs(kp *kubernetes.Provider, env config.Environment, a config.Admission) *admission.Args {
	prod := env == config.Prod
	ids := make([]string, 0, len(a.Exceptions))
	for id := range a.Exceptions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var excs []admission.Exception
	for _, id := range ids {
		e := a.Exceptions[id]
		excs = append(excs, admission.Exception{ID: id, Rule: e.Rule, Namespaces: e.Namespaces, Reason: e.Reason})
	}
	return &admission.Args{
		KubeProvider:       kp,
		AdmissionReplicas:  pickInt(prod, 3, 1),
		ControllerReplicas: pickInt(prod, 2, 1),
		PlatformNamespaces: platformNamespaces,
		Enforce:            env != config.Dev,
		Registries:         a.Registries,
		GPUNamespaces:      a.GPUNamespaces,
		// The taint components/gpupools puts on every GPU node (EKS spells the effect NO_SCHEDULE).
		GPUTaintKey: gpupools.TaintKey, GPUTaintEffect: "NoSchedule",
		Exceptions: excs,
	}
}
