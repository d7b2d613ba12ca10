package tests

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Per stack: the aws provider and the kubeconfig pulumi-eks builds authenticate with the stack's AWS profile
// (platform-<env>), which resolves to the run's role; no role ARN is a provider or component input; no access
// entry is created for the deploy role, which EKS already gives the creator's admin entry; the read-only role
// has a view entry.
func TestEachStackAuthenticatesWithItsProfileAndTheCreatorHasNoSecondEntry(t *testing.T) {
	accounts := map[string]string{"dev": "111111111111", "staging": "222222222222", "prod": "333333333333"}
	for env, acct := range accounts {
		t.Run(env, func(t *testing.T) {
			g, err := runStack(t, env, false)
			require.NoError(t, err)
			profile := "platform-" + env
			cl := g.Only(t, "eks:index:Cluster")
			credOpts := cl.Inputs["providerCredentialOpts"]
			require.True(t, credOpts.IsObject(), "no providerCredentialOpts: pulumi-eks's kubeconfig uses the ambient identity")
			opts := credOpts.ObjectValue()
			assert.Equal(t, profile, opts["profileName"].StringValue())
			assert.NotContains(t, opts, "roleArn")
			prov := g.Named(t, "pulumi:providers:aws", "aws-"+env)
			assert.Equal(t, profile, prov.Inputs["profile"].StringValue())
			assert.NotContains(t, prov.Inputs, "assumeRole")

			deployer := "arn:aws:iam::" + acct + ":role/platform-deployer"
			readonly := "arn:aws:iam::" + acct + ":role/platform-readonly"
			var principals []string
			for key, e := range cl.Inputs["accessEntries"].ObjectValue() {
				p := e.ObjectValue()["principalArn"].StringValue()
				assert.NotEqual(t, deployer, p, "entry %s: the creator's entry comes from EKS", key)
				principals = append(principals, p)
			}
			assert.Contains(t, principals, readonly, "the read-only role can read during a preview")
		})
	}
}

// A read-only run (CI sets PLATFORM_AWS_ROLE=readOnly, which older programs read) must store the same
// provider and cluster inputs as the deploy that preceded it; otherwise the nightly drift check
// (`pulumi preview --refresh --expect-no-changes`) reports the providers as changed every night.
func TestARunsRoleDoesNotChangeWhatIsStored(t *testing.T) {
	for _, env := range []string{"staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			inputs := map[string][]string{}
			for _, role := range []string{"deploy", "readOnly"} {
				t.Setenv("PLATFORM_AWS_ROLE", role)
				g, err := runStack(t, env, false)
				require.NoError(t, err)
				inputs[role] = []string{
					resource.NewObjectProperty(g.Named(t, "pulumi:providers:aws", "aws-"+env).Inputs).String(),
					g.Only(t, "eks:index:Cluster").Inputs["providerCredentialOpts"].String(),
				}
			}
			assert.Equal(t, inputs["deploy"], inputs["readOnly"])
		})
	}
}

// The kubeconfig the program's Kubernetes provider (and the `kubeconfig` output) uses runs
// `aws eks get-token` with the stack's profile and region: the identity that holds the access entry.
func TestEachStacksKubeconfigExecNamesTheProfileAndRegion(t *testing.T) {
	regions := map[string]string{"dev": "us-west-2", "staging": "us-west-2", "prod": "us-east-1"}
	for env, region := range regions {
		t.Run(env, func(t *testing.T) {
			g, err := runStack(t, env, false)
			require.NoError(t, err)
			kc := g.Named(t, "pulumi:providers:kubernetes", "platform-"+env+"-k8s").Inputs["kubeconfig"]
			require.True(t, kc.IsSecret(), "the kubeconfig stays a secret")
			var doc struct {
				Users []struct {
					User struct {
						Exec struct {
							Command string
							Args    []string
						}
					}
				}
			}
			require.NoError(t, json.Unmarshal([]byte(kc.SecretValue().Element.StringValue()), &doc))
			require.Len(t, doc.Users, 1)
			exec := doc.Users[0].User.Exec
			assert.Equal(t, "aws", exec.Command)
			require.Equal(t, []string{"eks", "get-token"}, exec.Args[:2])
			flags := map[string]string{}
			for i := 2; i+1 < len(exec.Args); i += 2 {
				flags[exec.Args[i]] = exec.Args[i+1]
			}
			assert.Equal(t, "platform-"+env, flags["--cluster-name"])
			assert.Equal(t, "platform-"+env, flags["--profile"])
			assert.Equal(t, region, flags["--region"])
			assert.NotContains(t, flags, "--role", "no role ARN: it would differ between a deploy and a read-only run")
		})
	}
}
