// Package irsa creates IAM roles for Kubernetes service accounts (IRSA): a role whose trust policy admits
// exactly one service account of one cluster through the cluster's OIDC provider, plus one inline policy
// scoped by the caller to the exact resources that service account needs. Add-ons never use the node role.
//
// It does not create the Kubernetes service account; the chart that runs the workload does, annotated with
// the role ARN (AnnotationKey).
package irsa

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AnnotationKey is the service account annotation EKS's pod identity webhook reads.
const AnnotationKey = "eks.amazonaws.com/role-arn"

// RoleArgs describes one IRSA role.
type RoleArgs struct {
	// OidcProviderArn is the cluster's IAM OIDC provider ARN. Required.
	OidcProviderArn pulumi.StringInput
	// OidcIssuer is the issuer URL without https:// (e.g. oidc.eks.eu-west-1.amazonaws.com/id/ABC). Required.
	OidcIssuer pulumi.StringInput
	// Namespace of the service account. Required.
	Namespace string
	// ServiceAccount name. Required.
	ServiceAccount string
	// Policy is the inline permissions policy document (JSON). Required.
	Policy pulumi.StringInput
	// Tags for the role. Default: none (provider default tags still apply).
	Tags pulumi.StringMapInput
}

// TrustPolicy returns the assume-role policy admitting only system:serviceaccount:<namespace>:<sa> of the
// cluster behind the OIDC provider, for the STS audience.
func TrustPolicy(oidcProviderArn, issuer, namespace, serviceAccount string) (string, error) {
	issuer = strings.TrimPrefix(issuer, "https://")
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Federated": oidcProviderArn},
			"Action":    "sts:AssumeRoleWithWebIdentity",
			"Condition": map[string]any{"StringEquals": map[string]any{
				issuer + ":sub": fmt.Sprintf("system:serviceaccount:%s:%s", namespace, serviceAccount),
				issuer + ":aud": "sts.amazonaws.com",
			}},
		}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("trust policy: %w", err)
	}
	return string(b), nil
}

// Role is an IRSA role and its inline policy.
type Role struct {
	Role   *iam.Role
	Policy *iam.RolePolicy
}

// NewRole creates the role (named name) and its inline policy (named name-policy). Pass the aws provider
// and parent through opts.
func NewRole(ctx *pulumi.Context, name string, args RoleArgs, opts ...pulumi.ResourceOption) (*Role, error) {
	var problems []string
	if args.OidcProviderArn == nil {
		problems = append(problems, "oidcProviderArn is required")
	}
	if args.OidcIssuer == nil {
		problems = append(problems, "oidcIssuer is required")
	}
	if args.Namespace == "" {
		problems = append(problems, "namespace is required")
	}
	if args.ServiceAccount == "" || strings.ContainsAny(args.ServiceAccount, "*?") {
		problems = append(problems, fmt.Sprintf("serviceAccount %q must be one exact name (no wildcards)", args.ServiceAccount))
	}
	if args.Policy == nil {
		problems = append(problems, "policy is required")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("irsa role %q: %s", name, strings.Join(problems, "; "))
	}
	trust := pulumi.All(args.OidcProviderArn, args.OidcIssuer).ApplyT(func(v []any) (string, error) {
		return TrustPolicy(v[0].(string), v[1].(string), args.Namespace, args.ServiceAccount)
	}).(pulumi.StringOutput)
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		AssumeRolePolicy: trust,
		Description:      pulumi.Sprintf("IRSA role for %s/%s", args.Namespace, args.ServiceAccount),
		Tags:             args.Tags,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("irsa role %q: %w", name, err)
	}
	pol, err := iam.NewRolePolicy(ctx, name+"-policy", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: args.Policy,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("irsa role %q policy: %w", name, err)
	}
	return &Role{Role: role, Policy: pol}, nil
}

// PolicyDocument renders statements as an IAM policy document.
func PolicyDocument(statements ...map[string]any) (string, error) {
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	if err != nil {
		return "", fmt.Errorf("policy document: %w", err)
	}
	return string(b), nil
}
