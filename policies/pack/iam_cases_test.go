package pack_test

import (
	"github.com/platform-team/platform/policies/pack"
)

const (
	kmsKey = "aws:kms/key:Key"
	role   = "aws:iam/role:Role"
)

const (
	rootPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`
	worldKey   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}]}`
	orgKey     = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}}`
	irsaGood   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:vault:vault","oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud":"sts.amazonaws.com"}}}]}`
	irsaNoSub  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud":"sts.amazonaws.com"}}}]}`
	irsaLike   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:*:*"}}}]}`
	ec2Trust   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	anyTrust   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","*"]},"Action":"sts:AssumeRole"}]}`
	starStar   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	scoped     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::loki-chunks/*"}]}`
)

func init() {
	addTable("kms-key-rotation", [3]pack.Level{M, M, M},
		tc{name: "off-by-default", res: one(mk(kmsKey, "cluster", obj{"description": "secrets"})), want: violates, msg: "enableKeyRotation is not set"},
		tc{name: "on", res: one(mk(kmsKey, "cluster", obj{"enableKeyRotation": true})), want: passes},
		tc{name: "asymmetric-exempt", res: one(mk(kmsKey, "signing", obj{"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"})), want: passes},
		tc{name: "unknown", res: one(mk(kmsKey, "cluster", obj{"enableKeyRotation": unk})), want: undecided},
	)
	addTable("kms-deletion-window", [3]pack.Level{D, A, M},
		tc{name: "seven-days-prod", res: one(mk(kmsKey, "k", obj{"deletionWindowInDays": 7, "enableKeyRotation": true})), want: violates, msg: "deletionWindowInDays is 7"},
		tc{name: "aws-default", res: one(mk(kmsKey, "k", obj{"enableKeyRotation": true})), want: passes},
		tc{name: "thirty", res: one(mk(kmsKey, "k", obj{"deletionWindowInDays": 30})), want: passes},
		tc{name: "unknown", res: one(mk(kmsKey, "k", obj{"deletionWindowInDays": unk})), want: undecided},
	)
	addTable("kms-no-wildcard-principal", [3]pack.Level{M, M, M},
		tc{name: "world", res: one(mk(kmsKey, "k", obj{"policy": worldKey})), want: violates, msg: "Statement[0] allows any principal"},
		tc{name: "secret-policy-still-judged", res: one(mk(kmsKey, "k", obj{"policy": secret(worldKey)})), want: violates},
		tc{name: "root", res: one(mk(kmsKey, "k", obj{"policy": rootPolicy})), want: passes},
		tc{name: "wildcard-with-org-condition", res: one(mk(kmsKey, "k", obj{"policy": orgKey})), want: passes},
		tc{name: "default-policy", res: one(mk(kmsKey, "k", obj{})), want: passes},
		tc{name: "unknown", res: one(mk(kmsKey, "k", obj{"policy": unk})), want: undecided},
	)
	addTable("iam-trust-no-wildcard", [3]pack.Level{M, M, M},
		tc{name: "any-aws", res: one(mk(role, "r", obj{"assumeRolePolicy": anyTrust})), want: violates, msg: `lets any principal (Principal "*" or NotPrincipal) assume`},
		tc{name: "service", res: one(mk(role, "r", obj{"assumeRolePolicy": ec2Trust})), want: passes},
		tc{name: "unknown", res: one(mk(role, "r", obj{"assumeRolePolicy": unk})), want: undecided},
	)
	addTable("irsa-trust-scoped", [3]pack.Level{M, M, M},
		tc{name: "no-sub", res: one(mk(role, "loki", obj{"assumeRolePolicy": irsaNoSub})), want: violates, msg: "every pod in the cluster"},
		tc{name: "wildcard-sub", res: one(mk(role, "loki", obj{"assumeRolePolicy": irsaLike})), want: violates, msg: `"system:serviceaccount:*:*"`},
		tc{name: "scoped", res: one(mk(role, "vault", obj{"assumeRolePolicy": irsaGood})), want: passes},
		tc{name: "not-irsa", res: one(mk(role, "node", obj{"assumeRolePolicy": ec2Trust})), want: passes},
		tc{name: "unknown-issuer", res: one(mk(role, "vault", obj{"assumeRolePolicy": unkOutput})), want: undecided},
	)
	addTable("iam-no-star-star", [3]pack.Level{M, M, M},
		tc{name: "policy", res: one(mk("aws:iam/policy:Policy", "admin", obj{"policy": starStar})), want: violates, msg: "allows every action on every resource"},
		tc{name: "inline", res: one(mk(role, "r", obj{"assumeRolePolicy": ec2Trust, "inlinePolicies": arr{obj{"name": "x", "policy": starStar}}})), want: violates, msg: "inlinePolicies[0].policy"},
		tc{name: "scoped", res: one(mk("aws:iam/rolePolicy:RolePolicy", "loki", obj{"policy": scoped})), want: passes},
		tc{name: "unknown", res: one(mk("aws:iam/policy:Policy", "p", obj{"policy": unk})), want: undecided},
	)
	addTable("iam-no-admin-attachment", [3]pack.Level{M, M, M},
		tc{name: "attachment", res: one(mk("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", obj{"role": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})), want: violates, msg: "AdministratorAccess"},
		tc{name: "managed-arns", res: one(mk(role, "r", obj{"managedPolicyArns": arr{"arn:aws-us-gov:iam::aws:policy/AdministratorAccess"}})), want: violates},
		tc{name: "worker-policy", res: one(mk("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", obj{"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"})), want: passes},
		tc{name: "unknown", res: one(mk("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", obj{"role": "r", "policyArn": unk})), want: undecided},
	)
	addTable("provider-no-static-credentials", [3]pack.Level{M, M, M},
		tc{name: "access-keys", res: one(mk("pulumi:providers:aws", "aws", obj{"region": "eu-west-1", "accessKey": secret("AKIAEXAMPLE"), "secretKey": secret("s3cr3t")})), want: violates, msg: "accessKey is set"},
		tc{name: "vault-plain-token", res: one(mk("pulumi:providers:vault", "vault", obj{"address": "https://vault:8200", "token": "hvs.plain"})), want: violates, msg: "token is set in plaintext"},
		tc{name: "assume-role", res: one(mk("pulumi:providers:aws", "aws", obj{"region": "eu-west-1", "assumeRole": obj{"roleArn": "arn:aws:iam::1:role/deploy"}})), want: passes},
		tc{name: "vault-secret-token", res: one(mk("pulumi:providers:vault", "vault", obj{"address": "https://vault:8200", "token": secret("hvs.x")})), want: passes},
		tc{name: "unknown-key", res: one(mk("pulumi:providers:aws", "aws", obj{"region": "eu-west-1", "accessKey": unk})), want: violates},
		tc{name: "vault-token-unknown", res: one(mk("pulumi:providers:vault", "vault", obj{"address": "https://vault:8200", "token": unk})), want: undecided},
	)
	addTable("prod-resources-protected", [3]pack.Level{D, A, M},
		tc{name: "unprotected-key", res: one(mk(kmsKey, "k", obj{"enableKeyRotation": true})), want: violates, msg: "protect is false"},
		tc{name: "protected", res: func() []pack.Resource {
			r := mk(kmsKey, "k", obj{"enableKeyRotation": true})
			r.Protect = true
			return one(r)
		}(), want: passes},
		tc{name: "not-critical", res: one(mk(subnet, "s", obj{"mapPublicIpOnLaunch": false})), want: passes},
	)
}
