// Package clusterref is what an in-cluster service needs to know about the cluster it runs on: the explicit
// aws and kubernetes providers, the cluster's name and region, its OIDC provider for IRSA, and the tags of
// the service. Components embed Ref in their Args so the program builds it once and every service checks it
// the same way. It creates nothing.
package clusterref

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Ref describes the cluster a service is installed on.
type Ref struct {
	// AWSProvider is the stack's explicit aws provider. Required.
	AWSProvider *aws.Provider
	// KubeProvider is the explicit Kubernetes provider built from the cluster's kubeconfig. Required.
	KubeProvider *kubernetes.Provider
	// ClusterName of the EKS cluster. Required.
	ClusterName pulumi.StringInput
	// Region the cluster runs in. Required.
	Region string
	// OidcProviderArn and OidcIssuer (without https://) of the cluster, for IRSA trust. Required.
	OidcProviderArn pulumi.StringInput
	OidcIssuer      pulumi.StringInput
	// Tags of the service's AWS resources (display Name and role tags). Default: none.
	Tags pulumi.StringMapInput
}

// Problems lists every missing required field, in field order.
func (r Ref) Problems() []string {
	var p []string
	if r.AWSProvider == nil {
		p = append(p, "awsProvider is required")
	}
	if r.KubeProvider == nil {
		p = append(p, "kubeProvider is required")
	}
	if r.ClusterName == nil {
		p = append(p, "clusterName is required")
	}
	if r.Region == "" {
		p = append(p, "region is required")
	}
	if r.OidcProviderArn == nil || r.OidcIssuer == nil {
		p = append(p, "oidcProviderArn and oidcIssuer are required")
	}
	return p
}

// Providers is the option that hands both providers to a component's children.
func (r Ref) Providers() pulumi.ResourceOption {
	return pulumi.Providers(r.AWSProvider, r.KubeProvider)
}
