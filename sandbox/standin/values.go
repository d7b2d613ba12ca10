package standin

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// unwrap strips secret and output wrappers so a value can be inspected; the
// wrappers only matter for how a value is stored and shown, not what it is.
func unwrap(v resource.PropertyValue) resource.PropertyValue {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsOutput():
			o := v.OutputValue()
			if !o.Known {
				return resource.MakeComputed(resource.NewStringProperty(""))
			}
			v = o.Element
		default:
			return v
		}
	}
}

// known reports whether v is fully known (no unknowns at any depth).
func known(v resource.PropertyValue) bool {
	return !v.ContainsUnknowns()
}

func stringOf(v resource.PropertyValue) (string, bool) {
	v = unwrap(v)
	if v.IsString() {
		return v.StringValue(), true
	}
	return "", false
}

// get walks a dotted path through nested objects ("vpcConfig.subnetIds").
func get(m resource.PropertyMap, path string) (resource.PropertyValue, bool) {
	cur := resource.NewObjectProperty(m)
	for _, part := range strings.Split(path, ".") {
		cur = unwrap(cur)
		if !cur.IsObject() {
			return resource.PropertyValue{}, false
		}
		next, ok := cur.ObjectValue()[resource.PropertyKey(part)]
		if !ok || next.IsNull() {
			return resource.PropertyValue{}, false
		}
		cur = next
	}
	return cur, true
}

func getString(m resource.PropertyMap, path string) (string, bool) {
	v, ok := get(m, path)
	if !ok {
		return "", false
	}
	return stringOf(v)
}

// hash is the basis of every deterministic id and name: the same URN always
// yields the same id, so repeated sandbox runs produce identical state.
func hash(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])
}

// equalValues compares two values ignoring secret wrappers (a value that
// becomes secret is not a change the stand-in needs to report as a diff; the
// engine tracks secretness itself).
func equalValues(a, b resource.PropertyValue) bool {
	a, b = unwrap(a), unwrap(b)
	switch {
	case a.IsComputed() || b.IsComputed():
		return false
	case a.IsNull() || b.IsNull():
		return isEmpty(a) && isEmpty(b)
	case a.IsArray() && b.IsArray():
		x, y := a.ArrayValue(), b.ArrayValue()
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValues(x[i], y[i]) {
				return false
			}
		}
		return true
	case a.IsObject() && b.IsObject():
		x, y := a.ObjectValue(), b.ObjectValue()
		keys := map[resource.PropertyKey]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		for k := range keys {
			if !equalValues(x[k], y[k]) {
				return false
			}
		}
		return true
	case a.IsResourceReference() && b.IsResourceReference():
		return a.ResourceReferenceValue().Equal(b.ResourceReferenceValue())
	default:
		return a.DeepEquals(b)
	}
}

// isEmpty treats null, empty arrays and empty objects alike: providers do not
// distinguish them, and neither should the diff.
func isEmpty(v resource.PropertyValue) bool {
	v = unwrap(v)
	switch {
	case v.IsNull():
		return true
	case v.IsArray():
		return len(v.ArrayValue()) == 0
	case v.IsObject():
		return len(v.ObjectValue()) == 0
	}
	return false
}

type inputDiff struct {
	changed  []string
	replaces []string
}

// diffInputs lists the top-level keys whose values differ, in sorted order.
func diffInputs(olds, news resource.PropertyMap, ignore []string) inputDiff {
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	var changed []string
	for k := range keys {
		if strings.HasPrefix(string(k), "__") || slices.Contains(ignore, string(k)) {
			continue
		}
		if !equalValues(olds[k], news[k]) {
			changed = append(changed, string(k))
		}
	}
	sort.Strings(changed)
	return inputDiff{changed: changed}
}

func diffResponse(d inputDiff) *pulumirpc.DiffResponse {
	if len(d.changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}
	}
	detailed := map[string]*pulumirpc.PropertyDiff{}
	for _, k := range d.changed {
		kind := pulumirpc.PropertyDiff_UPDATE
		if slices.Contains(d.replaces, k) {
			kind = pulumirpc.PropertyDiff_UPDATE_REPLACE
		}
		detailed[k] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	return &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_SOME,
		Diffs:           d.changed,
		Replaces:        d.replaces,
		DetailedDiff:    detailed,
		HasDetailedDiff: true,
	}
}

// forceNew lists, per type, the inputs AWS cannot change in place; a change to
// one shows as a replacement in the preview, which is what reviewers must see.
var forceNew = map[string][]string{
	"aws:ec2/vpc:Vpc":                                     {"cidrBlock"},
	"aws:ec2/subnet:Subnet":                               {"availabilityZone", "cidrBlock", "vpcId"},
	"aws:ec2/natGateway:NatGateway":                       {"allocationId", "subnetId"},
	"aws:ec2/securityGroup:SecurityGroup":                 {"name", "vpcId", "description"},
	"aws:eks/cluster:Cluster":                             {"name", "encryptionConfig"},
	"aws:eks/nodeGroup:NodeGroup":                         {"amiType", "capacityType", "clusterName", "instanceTypes", "nodeGroupName", "subnetIds", "diskSize"},
	"aws:iam/role:Role":                                   {"name"},
	"aws:kms/alias:Alias":                                 {"name"},
	"aws:cloudwatch/logGroup:LogGroup":                    {"name"},
	"aws:s3/bucketV2:BucketV2":                            {"bucket"},
	"aws:s3/bucket:Bucket":                                {"bucket"},
	"aws:eks/addon:Addon":                                 {"addonName", "clusterName"},
	"aws:iam/openIdConnectProvider:OpenIdConnectProvider": {"url"},
}

func replacementKeys(typ string, changed []string) []string {
	var out []string
	for _, k := range changed {
		if slices.Contains(forceNew[typ], k) {
			out = append(out, k)
		}
	}
	return out
}
