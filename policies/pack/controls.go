package pack

// Types examined by more than one policy.
const (
	tEKSCluster     = "aws:eks/cluster:Cluster"
	tEKSComponent   = "eks:index:Cluster"
	tNodeGroup      = "aws:eks/nodeGroup:NodeGroup"
	tMNG            = "eks:index:ManagedNodeGroup"
	tLaunchTemplate = "aws:ec2/launchTemplate:LaunchTemplate"
	tSubnet         = "aws:ec2/subnet:Subnet"
	tVpc            = "aws:ec2/vpc:Vpc"
	tNatGateway     = "aws:ec2/natGateway:NatGateway"
	tFlowLog        = "aws:ec2/flowLog:FlowLog"
	tKMSKey         = "aws:kms/key:Key"
	tKMSKeyPolicy   = "aws:kms/keyPolicy:KeyPolicy"
	tRole           = "aws:iam/role:Role"
	tLogGroup       = "aws:cloudwatch/logGroup:LogGroup"
	tBucketV2       = "aws:s3/bucketV2:BucketV2"
	tBucket         = "aws:s3/bucket:Bucket"
	tHelmRelease    = "kubernetes:helm.sh/v3:Release"
	tHelmChart      = "kubernetes:helm.sh/v4:Chart"
	tPeerAuthV1     = "kubernetes:security.istio.io/v1:PeerAuthentication"
	tPeerAuthV1b1   = "kubernetes:security.istio.io/v1beta1:PeerAuthentication"
	tVaultK8sRole   = "vault:kubernetes/authBackendRole:AuthBackendRole"
	tAWSProvider    = "pulumi:providers:aws"
	tVaultProvider  = "pulumi:providers:vault"
)

// CIS Amazon EKS Benchmark section numbers as published in v1.0.1 (checked against the ComplianceAsCode
// control file for that version); later versions keep these sections.
func cis(ref, title string) Control {
	return Control{Framework: "CIS Amazon EKS Benchmark", Version: "1.0.1", Ref: ref, Title: title}
}

// eksBP cites a topic of the Amazon EKS Best Practices Guide (the guide is not numbered).
func eksBP(topic string) Control {
	return Control{Framework: "Amazon EKS Best Practices Guide", Ref: topic}
}

// hasInputs reports whether a component resource carries the inputs it was given. A remote component registered
// by its provider (a real preview or up) carries none; its concrete children are judged instead.
func hasInputs(r Resource) bool { return len(r.Properties) > 0 }
