package standin

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// EKS rules the stand-in aws provider enforces, because EKS enforces them only when a real `pulumi up`
// reaches them:
//
//   - One access entry per IAM principal per cluster. CreateAccessEntry for a principal that already has an
//     entry fails with HTTP 409 ResourceInUseException (EKS API reference, CreateAccessEntry; the message
//     below is the one the AWS SDK reports).
//   - When a cluster is created with accessConfig.bootstrapClusterCreatorAdminPermissions (EKS's default,
//     and what pulumi-eks v2.8.1 always sets with an authentication mode: nodejs/eks/cluster.ts), EKS itself
//     creates an admin access entry for the identity that called CreateCluster. For this provider instance
//     that identity is the role its configuration assumes (assumeRole.roleArn) or the role its profile
//     resolves to (see creatorArn); with ambient credentials the creator is not known offline and nothing
//     is recorded for it.
//
// The state is per provider instance (one process per aws provider resource, as with the real provider),
// filled from Create, Update and Diff of clusters and access entries, so an existing stack's entries count
// as well as a new one's.
type eksAccess struct {
	mu sync.Mutex
	// owners maps cluster name and principal ARN to the URN of the resource that holds the entry, or
	// creatorOwner for the entry EKS made for the cluster's creator.
	owners map[accessKey]string
}

type accessKey struct{ cluster, principal string }

const creatorOwner = "the cluster creator's entry (bootstrapClusterCreatorAdminPermissions)"

const (
	eksClusterType     = "aws:eks/cluster:Cluster"
	eksAccessEntryType = "aws:eks/accessEntry:AccessEntry"
)

// creatorArn is the identity this aws provider instance calls AWS as, when its configuration says: the
// role of assumeRole.roleArn, else the role_arn of the shared-config profile its `profile` names (the file
// AWS_CONFIG_FILE names, default ~/.aws/config, as the AWS SDK reads it). A profile that is absent or names
// no role leaves the creator unknown offline, as ambient credentials do.
func (p *Provider) creatorArn() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if v, ok := get(p.config, "assumeRole.roleArn"); ok {
		if s, _ := stringOf(v); s != "" {
			return s
		}
	}
	if v, ok := get(p.config, "profile"); ok {
		if name, _ := stringOf(v); name != "" {
			return profileRoleArn(sharedConfigFile(), name)
		}
	}
	return ""
}

// sharedConfigFile is where the AWS SDK reads profiles from.
func sharedConfigFile() string {
	if f := os.Getenv("AWS_CONFIG_FILE"); f != "" {
		return f
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".aws", "config")
}

// profileRoleArn is role_arn in the [profile <name>] section of an AWS shared config file ([default] for
// "default"), or "" when the file, the section or the key is missing.
func profileRoleArn(path, name string) string {
	if path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	want := "profile " + name
	if name == "default" {
		want = "default"
	}
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			in = strings.Join(strings.Fields(strings.Trim(line, "[]")), " ") == want
			continue
		}
		if k, v, ok := strings.Cut(line, "="); in && ok && strings.TrimSpace(k) == "role_arn" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// observeEKS records what a cluster or access entry that exists (or is being created) holds. It returns the
// EKS error a create would get, for a create.
func (p *Provider) observeEKS(typ string, urn resource.URN, inputs resource.PropertyMap, creating bool) error {
	switch typ {
	case eksClusterType:
		name, ok := stringOf(inputs["name"])
		if !ok || name == "" {
			return nil
		}
		bootstrap := true // EKS's default when accessConfig is absent
		if v, ok := get(inputs, "accessConfig.bootstrapClusterCreatorAdminPermissions"); ok && unwrap(v).IsBool() {
			bootstrap = unwrap(v).BoolValue()
		}
		if creator := p.creatorArn(); bootstrap && creator != "" {
			p.eks.claim(accessKey{name, creator}, creatorOwner)
		}
	case eksAccessEntryType:
		cluster, ok1 := stringOf(inputs["clusterName"])
		principal, ok2 := stringOf(inputs["principalArn"])
		if !ok1 || !ok2 || cluster == "" || principal == "" {
			return nil
		}
		k := accessKey{cluster, principal}
		if owner := p.eks.claim(k, string(urn)); creating && owner != string(urn) {
			return fmt.Errorf("stand-in EKS: creating EKS Access Entry (%s:%s): operation error EKS: CreateAccessEntry, "+
				"https response error StatusCode: 409, ResourceInUseException: The specified access entry resource is already in use on this cluster. "+
				"(%s already holds this principal's entry; EKS allows one access entry per principal and cluster)", cluster, principal, owner)
		}
	}
	return nil
}

// claim records owner for k unless another owner holds it, and returns the holder.
func (a *eksAccess) claim(k accessKey, owner string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.owners == nil {
		a.owners = map[accessKey]string{}
	}
	if held, ok := a.owners[k]; ok {
		return held
	}
	a.owners[k] = owner
	return owner
}
