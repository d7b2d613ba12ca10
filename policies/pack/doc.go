// Package pack holds the platform's CrossGuard policies as plain Go over resource.PropertyMap: the catalogue
// (Policies), per-environment enforcement levels, policy config (thresholds) and its v2 config file format,
// and the evaluation of resources and whole stacks (Evaluate, Session).
//
// It deliberately imports only github.com/pulumi/pulumi/sdk/v3/go/common/resource (no provider SDKs, no gRPC), HCL
// v1 and internal/cost (the pure cost estimator the budget policy shares with `make cost`), so it compiles and links
// fast and the program's mock tests can call Evaluate directly. It does not speak the
// analyzer gRPC protocol (the policies main package does), and it does not apply policy exceptions during a real
// preview: the Pulumi CLI matches exceptions from the --policy-pack-config file itself. Evaluate honours the same
// exceptions so that offline checks agree with the CLI.
//
// Semantics every policy follows:
//   - An unknown value (a preview of a resource whose inputs depend on resources not created yet) means
//     "cannot decide yet": it is recorded as undecided, never as a violation.
//   - Secret values are used for decisions but never printed; messages show "[secret]".
//   - Component resources (eks:index:Cluster, eks:index:ManagedNodeGroup) are judged on the inputs they were
//     given. A remote component registered by its provider carries no inputs, so its concrete children
//     (aws:eks/cluster:Cluster, aws:eks/nodeGroup:NodeGroup, ...) are judged too; a fault already reported on an
//     ancestor component is not reported again on its children (see Session).
package pack
