package kmskey

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPolicyLetsTheAccountAdministerAndScopesServiceStatements(t *testing.T) {
	doc, err := Policy("123456789012", "aws", "eu-west-1", []map[string]any{CloudWatchLogsStatement("/aws/eks/x/cluster")})
	require.NoError(t, err)
	var p struct {
		Statement []struct {
			Sid       string
			Principal map[string]string
			Condition map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(doc), &p))
	require.Len(t, p.Statement, 2)
	assert.Equal(t, "arn:aws:iam::123456789012:root", p.Statement[0].Principal["AWS"])
	assert.Equal(t, "logs.eu-west-1.amazonaws.com", p.Statement[1].Principal["Service"])
	assert.Equal(t, "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/eks/x/cluster",
		p.Statement[1].Condition["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"])
	assert.NotContains(t, doc, "${", "every placeholder is replaced")
}
