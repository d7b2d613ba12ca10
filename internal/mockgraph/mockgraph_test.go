package mockgraph

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAnInvokeTheStandInDoesNotKnowFailsLoudly(t *testing.T) {
	_, err := New("dev").Call(pulumi.MockCallArgs{Token: "aws:ec2/getAmi:getAmi"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "aws:ec2/getAmi:getAmi")
	assert.Contains(t, err.Error(), "invokes.go")
}

func TestPolicyDocumentsRenderAsIAMJSON(t *testing.T) {
	out, err := New("dev").Call(pulumi.MockCallArgs{
		Token: "aws:iam/getPolicyDocument:getPolicyDocument",
		Args: resource.NewPropertyMapFromMap(map[string]any{"statements": []any{map[string]any{
			"actions": []any{"s3:GetObject"}, "resources": []any{"arn:aws:s3:::b/*"},
			"principals": []any{map[string]any{"type": "Service", "identifiers": []any{"logs.amazonaws.com"}}},
		}}}),
	})
	require.NoError(t, err)
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],
		"Resource":["arn:aws:s3:::b/*"],"Principal":{"Service":["logs.amazonaws.com"]}}]}`, out["json"].StringValue())
}

func TestPreviewLeavesComputedOutputsUnknown(t *testing.T) {
	for _, preview := range []bool{false, true} {
		rec := New("dev")
		rec.Preview = preview
		_, outs, err := rec.NewResource(pulumi.MockResourceArgs{
			TypeToken: "aws:iam/role:Role", Name: "r", Custom: true,
			Inputs: resource.NewPropertyMapFromMap(map[string]any{"assumeRolePolicy": "{}"}),
		})
		require.NoError(t, err)
		_, hasArn := outs["arn"]
		assert.Equal(t, !preview, hasArn, "preview=%v", preview)
		assert.Equal(t, "{}", outs["assumeRolePolicy"].StringValue(), "inputs always echo back")
	}
}
