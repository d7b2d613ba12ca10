package standin

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Failure is one offline check failure: the input's path and why AWS would
// reject it.
type Failure struct {
	Property string
	Reason   string
}

func (f Failure) String() string { return f.Property + ": " + f.Reason }

func enumValues[T ~string](vals []T) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	sort.Strings(out)
	return out
}

// Enum sets come from the AWS SDK for Go v2 API models, so they track what the
// AWS APIs accept rather than a hand-written list.
var (
	amiTypes      = enumValues(ekstypes.AMITypes("").Values())
	capacityTypes = enumValues(ekstypes.CapacityTypes("").Values())
	logTypes      = enumValues(ekstypes.LogType("").Values())
	taintEffects  = enumValues(ekstypes.TaintEffect("").Values())
	authModes     = enumValues(ekstypes.AuthenticationMode("").Values())
	ipFamilies    = enumValues(ekstypes.IpFamily("").Values())
	resolveModes  = enumValues(ekstypes.ResolveConflicts("").Values())
	accessScopes  = enumValues(ekstypes.AccessScopeType("").Values())
	instanceTypes = enumValues(ec2types.InstanceType("").Values())
	volumeTypes   = enumValues(ec2types.VolumeType("").Values())
	httpTokens    = enumValues(ec2types.LaunchTemplateHttpTokensState("").Values())
	httpEndpoints = enumValues(ec2types.LaunchTemplateInstanceMetadataEndpointState("").Values())
	trafficTypes  = enumValues(ec2types.TrafficType("").Values())
	logDestTypes  = enumValues(ec2types.LogDestinationType("").Values())
	endpointTypes = enumValues(ec2types.VpcEndpointType("").Values())
	retentionDays = []float64{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	// The API server's own name rules (RFC 1123 subdomain and label, and
	// qualified names for label keys), so a bad name fails at preview.
	dnsSubdomain   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	dnsLabel       = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	qualifiedName  = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	labelValue     = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)
	k8sVersionExpr = regexp.MustCompile(`^1\.[0-9]{2}$`)
)

// required lists, per type, the inputs AWS rejects a request without.
var required = map[string][]string{
	"aws:ec2/subnet:Subnet":                                     {"vpcId"},
	"aws:ec2/natGateway:NatGateway":                             {"subnetId"},
	"aws:ec2/route:Route":                                       {"routeTableId"},
	"aws:ec2/routeTableAssociation:RouteTableAssociation":       {"routeTableId"},
	"aws:ec2/vpcEndpoint:VpcEndpoint":                           {"vpcId", "serviceName"},
	"aws:ec2/securityGroupRule:SecurityGroupRule":               {"type", "fromPort", "toPort", "protocol", "securityGroupId"},
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {"securityGroupId", "ipProtocol"},
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":   {"securityGroupId", "ipProtocol"},
	"aws:eks/cluster:Cluster":                                   {"roleArn", "vpcConfig"},
	"aws:eks/nodeGroup:NodeGroup":                               {"clusterName", "nodeRoleArn", "subnetIds", "scalingConfig"},
	"aws:eks/addon:Addon":                                       {"clusterName", "addonName"},
	"aws:eks/accessEntry:AccessEntry":                           {"clusterName", "principalArn"},
	"aws:eks/accessPolicyAssociation:AccessPolicyAssociation":   {"clusterName", "policyArn", "principalArn", "accessScope"},
	"aws:iam/role:Role":                                         {"assumeRolePolicy"},
	"aws:iam/policy:Policy":                                     {"policy"},
	"aws:iam/rolePolicy:RolePolicy":                             {"role", "policy"},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":         {"role", "policyArn"},
	"aws:iam/openIdConnectProvider:OpenIdConnectProvider":       {"url"},
	"aws:kms/alias:Alias":                                       {"targetKeyId"},
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":    {"bucket"},
	"aws:ec2/flowLog:FlowLog":                                   {"trafficType"},
	// PutBucketLogging: LoggingEnabled requires TargetBucket and TargetPrefix (Amazon S3 API Reference,
	// LoggingEnabled); pulumi-aws v6 calls the resource BucketLoggingV2, v7 BucketLogging.
	"aws:s3/bucketLoggingV2:BucketLoggingV2": {"bucket", "targetBucket", "targetPrefix"},
	"aws:s3/bucketLogging:BucketLogging":     {"bucket", "targetBucket", "targetPrefix"},
}

// S3 enumerations from the Amazon S3 API Reference (the S3 SDK is not a dependency of this module):
// ServerSideEncryptionByDefault.SSEAlgorithm, PartitionedPrefix.PartitionDateSource and
// OwnershipControlsRule.ObjectOwnership.
var (
	s3SSEAlgorithms   = []string{"AES256", "aws:kms", "aws:kms:dsse"}
	s3PartitionDates  = []string{"DeliveryTime", "EventTime"}
	s3ObjectOwnership = []string{"BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"}
)

// policyDocuments lists the inputs that must hold an IAM policy document.
var policyDocuments = map[string][]string{
	"aws:iam/role:Role":                {"assumeRolePolicy"},
	"aws:iam/policy:Policy":            {"policy"},
	"aws:iam/rolePolicy:RolePolicy":    {"policy"},
	"aws:kms/key:Key":                  {"policy"},
	"aws:s3/bucketPolicy:BucketPolicy": {"policy"},
}

// cidrKeys are input names that hold CIDR blocks wherever they appear.
var cidrKeys = []string{"cidrBlock", "cidrBlocks", "destinationCidrBlock", "cidrIpv4", "publicAccessCidrs", "ipv6CidrBlocks"}

// Validate checks a resource's inputs offline and returns every problem found,
// sorted by property path. Unknown values (a preview of values computed by
// other resources) are never failures.
func Validate(typ string, in resource.PropertyMap) []Failure {
	v := &validator{in: in}
	for _, k := range required[typ] {
		v.required(k)
	}
	for _, k := range policyDocuments[typ] {
		v.policyDocument(k)
	}
	if strings.HasPrefix(typ, "aws:") {
		v.walk("", resource.NewObjectProperty(in))
	}
	switch typ {
	case "aws:ec2/vpc:Vpc":
		if _, ok := in["ipv4IpamPoolId"]; !ok {
			v.required("cidrBlock")
		}
	case "aws:eks/cluster:Cluster":
		v.enumList("enabledClusterLogTypes", logTypes, "EKS control-plane log type")
		v.enum("accessConfig.authenticationMode", authModes, "EKS authentication mode")
		v.enum("kubernetesNetworkConfig.ipFamily", lower(ipFamilies), "EKS IP family")
		v.pattern("version", k8sVersionExpr, `a Kubernetes minor version such as "1.31"`)
		v.enumListAt("encryptionConfig.resources", []string{"secrets"}, "EKS encryption resource")
	case "aws:eks/nodeGroup:NodeGroup":
		v.enum("amiType", amiTypes, "EKS AMI type")
		v.enum("capacityType", capacityTypes, "EKS capacity type")
		v.instanceTypeList("instanceTypes")
		v.eachObject("taints", func(path string, t resource.PropertyMap) {
			v.enumIn(t, path, "effect", taintEffects, "EKS taint effect")
			v.requiredIn(t, path, "key")
		})
		v.scaling("scalingConfig")
		v.labels("labels")
	case "aws:eks/addon:Addon":
		v.enum("resolveConflictsOnCreate", resolveModes, "EKS add-on conflict resolution")
		v.enum("resolveConflictsOnUpdate", resolveModes, "EKS add-on conflict resolution")
	case "aws:eks/accessPolicyAssociation:AccessPolicyAssociation":
		v.enum("accessScope.type", accessScopes, "EKS access scope type")
	case "aws:ec2/launchTemplate:LaunchTemplate":
		v.instanceType("instanceType")
		v.enum("metadataOptions.httpTokens", httpTokens, "IMDS http tokens state")
		v.enum("metadataOptions.httpEndpoint", httpEndpoints, "IMDS endpoint state")
		v.numberRange("metadataOptions.httpPutResponseHopLimit", 1, 64)
		v.eachObject("blockDeviceMappings", func(path string, m resource.PropertyMap) {
			v.enumIn(m, path, "ebs.volumeType", volumeTypes, "EBS volume type")
		})
	case "aws:ec2/flowLog:FlowLog":
		v.enum("trafficType", trafficTypes, "VPC flow log traffic type")
		v.enum("logDestinationType", logDestTypes, "VPC flow log destination type")
	case "aws:ec2/vpcEndpoint:VpcEndpoint":
		v.enum("vpcEndpointType", endpointTypes, "VPC endpoint type")
	case "aws:cloudwatch/logGroup:LogGroup":
		if n, ok := v.number("retentionInDays"); ok && !slices.Contains(retentionDays, n) {
			v.fail("retentionInDays", fmt.Sprintf("%v is not a CloudWatch Logs retention period (allowed: %s)", n, joinNumbers(retentionDays)))
		}
	case "aws:kms/key:Key":
		v.numberRange("deletionWindowInDays", 7, 30)
	case "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
		"aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
		// ServerSideEncryptionByDefault: KMSMasterKeyID "is allowed if and only if SSEAlgorithm is set to aws:kms
		// or aws:kms:dsse" (Amazon S3 API Reference), so an SSE-S3 rule naming a key is refused.
		v.eachObject("rules", func(path string, r resource.PropertyMap) {
			v.enumIn(r, path, "applyServerSideEncryptionByDefault.sseAlgorithm", s3SSEAlgorithms, "S3 default encryption algorithm")
			alg, _ := getString(r, "applyServerSideEncryptionByDefault.sseAlgorithm")
			if key, ok := getString(r, "applyServerSideEncryptionByDefault.kmsMasterKeyId"); ok && key != "" && alg == "AES256" {
				v.fail(join(path, "applyServerSideEncryptionByDefault.kmsMasterKeyId"), "a KMS key is allowed only with sseAlgorithm aws:kms or aws:kms:dsse, not AES256")
			}
		})
	case "aws:s3/bucketLoggingV2:BucketLoggingV2", "aws:s3/bucketLogging:BucketLogging":
		// AWS accepts a bucket logging into itself (not recommended); the policy s3-access-logging refuses that.
		v.enum("targetObjectKeyFormat.partitionedPrefix.partitionDateSource", s3PartitionDates, "S3 access log partition date source")
	case "aws:s3/bucketOwnershipControls:BucketOwnershipControls":
		v.enum("rule.objectOwnership", s3ObjectOwnership, "S3 object ownership")
	}
	sort.SliceStable(v.failures, func(i, j int) bool { return v.failures[i].Property < v.failures[j].Property })
	return v.failures
}

// validateProviderConfig checks the aws provider's own configuration.
func validateProviderConfig(cfg resource.PropertyMap) []Failure {
	v := &validator{in: cfg}
	v.pattern("region", regionPattern, `an AWS region such as "eu-west-1"`)
	for _, k := range []string{"accessKey", "secretKey", "token"} {
		if _, ok := cfg[resource.PropertyKey(k)]; ok {
			v.fail(k, "static credentials in provider configuration; use a role or the ambient credential chain")
		}
	}
	v.walk("", resource.NewObjectProperty(cfg))
	return v.failures
}

type validator struct {
	in       resource.PropertyMap
	failures []Failure
}

func (v *validator) fail(path, reason string) {
	v.failures = append(v.failures, Failure{Property: path, Reason: reason})
}

func (v *validator) required(path string) {
	v.requiredIn(v.in, "", path)
}

func (v *validator) requiredIn(m resource.PropertyMap, prefix, path string) {
	val, ok := get(m, path)
	if !ok || (known(val) && isEmpty(val) && !unwrap(val).IsObject()) {
		v.fail(join(prefix, path), "is required")
	}
}

// walk applies the checks that depend only on an input's name (CIDRs, ARNs)
// wherever the input appears, without descending into free-form maps (tags).
func (v *validator) walk(path string, val resource.PropertyValue) {
	val = unwrap(val)
	key := path[strings.LastIndex(path, ".")+1:]
	if i := strings.Index(key, "["); i >= 0 {
		key = key[:i]
	}
	switch {
	case val.IsComputed():
		return
	case val.IsObject():
		if key == "tags" || key == "tagsAll" || key == "values" {
			return
		}
		m := val.ObjectValue()
		for _, k := range m.StableKeys() {
			v.walk(join(path, string(k)), m[k])
		}
	case val.IsArray():
		for i, e := range val.ArrayValue() {
			v.walk(fmt.Sprintf("%s[%d]", path, i), e)
		}
	case val.IsString():
		s := val.StringValue()
		if slices.Contains(cidrKeys, key) && s != "" {
			if msg := checkCIDR(s); msg != "" {
				v.fail(path, msg)
			}
		}
		if (strings.HasSuffix(key, "Arn") || key == "arn") && s != "" && !isARN(s) {
			v.fail(path, fmt.Sprintf("%q is not an ARN (arn:partition:service:region:account:resource)", s))
		}
	}
}

func checkCIDR(s string) string {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return fmt.Sprintf("%q is not a CIDR block (e.g. 10.0.0.0/16)", s)
	}
	if p.Masked() != p {
		return fmt.Sprintf("%q has host bits set; AWS expects %q", s, p.Masked().String())
	}
	return ""
}

func isARN(s string) bool {
	parts := strings.SplitN(s, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[1] != "" && parts[2] != "" && parts[5] != ""
}

func (v *validator) enum(path string, allowed []string, what string) {
	v.enumIn(v.in, "", path, allowed, what)
}

func (v *validator) enumIn(m resource.PropertyMap, prefix, path string, allowed []string, what string) {
	s, ok := getString(m, path)
	if !ok {
		return
	}
	if !slices.Contains(allowed, s) {
		v.fail(join(prefix, path), fmt.Sprintf("%q is not a valid %s (allowed: %s)", s, what, strings.Join(allowed, ", ")))
	}
}

func (v *validator) enumList(path string, allowed []string, what string) {
	v.enumListAt(path, allowed, what)
}

func (v *validator) enumListAt(path string, allowed []string, what string) {
	val, ok := get(v.in, path)
	if !ok {
		return
	}
	val = unwrap(val)
	if !val.IsArray() {
		return
	}
	for i, e := range val.ArrayValue() {
		s, ok := stringOf(e)
		if ok && !slices.Contains(allowed, s) {
			v.fail(fmt.Sprintf("%s[%d]", path, i), fmt.Sprintf("%q is not a valid %s (allowed: %s)", s, what, strings.Join(allowed, ", ")))
		}
	}
}

func (v *validator) instanceType(path string) {
	s, ok := getString(v.in, path)
	if ok && !slices.Contains(instanceTypes, s) {
		v.fail(path, fmt.Sprintf("%q is not an EC2 instance type (checked against the AWS SDK for Go v2 EC2 API model)", s))
	}
}

func (v *validator) instanceTypeList(path string) {
	val, ok := get(v.in, path)
	if !ok {
		return
	}
	val = unwrap(val)
	if !val.IsArray() {
		return
	}
	for i, e := range val.ArrayValue() {
		if s, ok := stringOf(e); ok && !slices.Contains(instanceTypes, s) {
			v.fail(fmt.Sprintf("%s[%d]", path, i), fmt.Sprintf("%q is not an EC2 instance type (checked against the AWS SDK for Go v2 EC2 API model)", s))
		}
	}
}

func (v *validator) eachObject(path string, fn func(path string, m resource.PropertyMap)) {
	val, ok := get(v.in, path)
	if !ok {
		return
	}
	val = unwrap(val)
	if !val.IsArray() {
		return
	}
	for i, e := range val.ArrayValue() {
		e = unwrap(e)
		if e.IsObject() {
			fn(fmt.Sprintf("%s[%d]", path, i), e.ObjectValue())
		}
	}
}

func (v *validator) number(path string) (float64, bool) {
	val, ok := get(v.in, path)
	if !ok {
		return 0, false
	}
	val = unwrap(val)
	if !val.IsNumber() {
		return 0, false
	}
	return val.NumberValue(), true
}

func (v *validator) numberRange(path string, lo, hi float64) {
	if n, ok := v.number(path); ok && (n < lo || n > hi) {
		v.fail(path, fmt.Sprintf("%v is outside the allowed range %v..%v", n, lo, hi))
	}
}

func (v *validator) pattern(path string, re *regexp.Regexp, what string) {
	if s, ok := getString(v.in, path); ok && !re.MatchString(s) {
		v.fail(path, fmt.Sprintf("%q is not %s", s, what))
	}
}

func (v *validator) scaling(path string) {
	minSize, okMin := v.number(path + ".minSize")
	maxSize, okMax := v.number(path + ".maxSize")
	desired, okDesired := v.number(path + ".desiredSize")
	if okMax && maxSize < 1 {
		v.fail(path+".maxSize", fmt.Sprintf("%v: EKS requires maxSize >= 1", maxSize))
	}
	if okMin && okMax && minSize > maxSize {
		v.fail(path+".minSize", fmt.Sprintf("%v is greater than maxSize %v", minSize, maxSize))
	}
	if okDesired && okMin && desired < minSize {
		v.fail(path+".desiredSize", fmt.Sprintf("%v is below minSize %v", desired, minSize))
	}
	if okDesired && okMax && desired > maxSize {
		v.fail(path+".desiredSize", fmt.Sprintf("%v is above maxSize %v", desired, maxSize))
	}
}

// policyDocument checks that an input holds a JSON IAM policy document whose
// statements each carry a valid Effect, as IAM's own parser would.
func (v *validator) policyDocument(path string) {
	s, ok := getString(v.in, path)
	if !ok {
		return
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		v.fail(path, fmt.Sprintf("is not a JSON policy document: %v", err))
		return
	}
	stmts, ok := doc["Statement"]
	if !ok {
		v.fail(path, "policy document has no Statement")
		return
	}
	list, isList := stmts.([]any)
	if !isList {
		list = []any{stmts}
	}
	for i, st := range list {
		m, ok := st.(map[string]any)
		if !ok {
			v.fail(fmt.Sprintf("%s.Statement[%d]", path, i), "is not an object")
			continue
		}
		if e, _ := m["Effect"].(string); e != "Allow" && e != "Deny" {
			v.fail(fmt.Sprintf("%s.Statement[%d].Effect", path, i), fmt.Sprintf("%q is not Allow or Deny", e))
		}
	}
}

func join(prefix, path string) string {
	if prefix == "" {
		return path
	}
	if path == "" {
		return prefix
	}
	return prefix + "." + path
}

func lower(vals []string) []string {
	out := make([]string, len(vals))
	for i, s := range vals {
		out[i] = strings.ToLower(s)
	}
	return out
}

func joinNumbers(ns []float64) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ", ")
}

// labels checks Kubernetes label keys ([prefix/]name) and values.
func (v *validator) labels(path string) {
	val, ok := get(v.in, path)
	if !ok {
		return
	}
	val = unwrap(val)
	if !val.IsObject() {
		return
	}
	m := val.ObjectValue()
	for _, k := range m.StableKeys() {
		key := string(k)
		prefix, name, hasPrefix := strings.Cut(key, "/")
		if !hasPrefix {
			name, prefix = prefix, ""
		}
		if len(name) > 63 || !qualifiedName.MatchString(name) || (hasPrefix && (len(prefix) > 253 || !dnsSubdomain.MatchString(prefix))) {
			v.fail(path+"."+key, "is not a valid label key ([DNS subdomain prefix/]name, name at most 63 characters of alphanumerics, '-', '_', '.')")
		}
		if s, ok := stringOf(m[k]); ok && (len(s) > 63 || !labelValue.MatchString(s)) {
			v.fail(path+"."+key, fmt.Sprintf("%q is not a valid label value (at most 63 characters of alphanumerics, '-', '_', '.', starting and ending alphanumeric)", s))
		}
	}
}
