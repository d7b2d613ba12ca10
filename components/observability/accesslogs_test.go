package observability

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/mockgraph"
	"github.com/platform-team/platform/policies/pack"
)

// Outside prod access logging is off unless asked: the three buckets and nothing else.
func TestNoAccessLoggingUnlessAsked(t *testing.T) {
	g, _, err := run(t, devArgs(), false)
	require.NoError(t, err)
	require.Len(t, g.OfType("aws:s3/bucketV2:BucketV2"), 3)
	require.Empty(t, g.OfType("aws:s3/bucketLoggingV2:BucketLoggingV2"))
}

// With access logging (prod), each observability bucket delivers its server access logs under its own prefix to
// one dedicated bucket, built to the Amazon S3 User Guide's rules for a destination (accesslogs.go).
func TestAccessLogsGoToADedicatedSSES3Bucket(t *testing.T) {
	a := devArgs()
	a.AccessLogging, a.ProtectData = true, true
	g, comp, err := run(t, a, false)
	require.NoError(t, err)
	require.Len(t, g.OfType("aws:s3/bucketV2:BucketV2"), 4)
	target := g.ByName(t, "dev-observability-access-logs")
	require.True(t, target.Protect, "prod keeps its access logs")
	require.False(t, target.Inputs["forceDestroy"].BoolValue())
	require.Equal(t, "platform-dev-access-logs-", target.Inputs["bucketPrefix"].StringValue())
	require.NotNil(t, comp)

	logged := map[string]string{} // source bucket id -> prefix
	for _, l := range g.OfType("aws:s3/bucketLoggingV2:BucketLoggingV2") {
		require.Equal(t, target.ID, l.Inputs["targetBucket"].StringValue(), l.Name)
		require.Equal(t, "EventTime", l.Inputs["targetObjectKeyFormat"].ObjectValue()["partitionedPrefix"].ObjectValue()["partitionDateSource"].StringValue())
		require.Contains(t, l.DependsOn, g.ByName(t, "dev-observability-access-logs-policy").URN, "delivery is allowed before logging is turned on")
		logged[l.Inputs["bucket"].StringValue()] = l.Inputs["targetPrefix"].StringValue()
	}
	sources := map[string]string{"dev-observability-logs": "logs/", "dev-observability-logs-ruler": "logs-ruler/", "dev-observability-traces": "traces/"}
	require.Len(t, logged, len(sources))
	for name, prefix := range sources {
		require.Equal(t, prefix, logged[g.ByName(t, name).ID], name)
	}

	// SSE-S3: default SSE-KMS is not supported on a server access log destination.
	def := g.ByName(t, "dev-observability-access-logs-encryption").Inputs["rules"].ArrayValue()[0].ObjectValue()["applyServerSideEncryptionByDefault"].ObjectValue()
	require.Equal(t, "AES256", def["sseAlgorithm"].StringValue())
	require.NotContains(t, def, "kmsMasterKeyId")
	require.Equal(t, "BucketOwnerEnforced", g.ByName(t, "dev-observability-access-logs-ownership").Inputs["rule"].ObjectValue()["objectOwnership"].StringValue())
	require.Equal(t, "Enabled", g.ByName(t, "dev-observability-access-logs-versioning").Inputs["versioningConfiguration"].ObjectValue()["status"].StringValue())
	pab := g.ByName(t, "dev-observability-access-logs-public-access").Inputs
	for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		require.True(t, pab[resource.PropertyKey(k)].BoolValue(), k)
	}
	var expiry float64
	for _, r := range g.ByName(t, "dev-observability-access-logs-lifecycle").Inputs["rules"].ArrayValue() {
		if e, ok := r.ObjectValue()["expiration"]; ok {
			expiry = e.ObjectValue()["days"].NumberValue()
		}
	}
	require.EqualValues(t, 365, expiry)

	// The policy: each source's delivery may write only under its prefix, pinned to its ARN and this account.
	var doc struct {
		Statement []struct {
			Sid       string
			Effect    string
			Principal any
			Action    any
			Resource  any
			Condition map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(g.ByName(t, "dev-observability-access-logs-policy").Inputs["policy"].StringValue()), &doc))
	require.Len(t, doc.Statement, 4)
	targetArn := target.Outputs["arn"].StringValue()
	allowed := map[string]string{}
	for _, st := range doc.Statement[:3] {
		require.Equal(t, "Allow", st.Effect)
		require.Equal(t, map[string]any{"Service": "logging.s3.amazonaws.com"}, st.Principal)
		require.Equal(t, "s3:PutObject", st.Action)
		require.Equal(t, mockgraph.Account, st.Condition["StringEquals"]["aws:SourceAccount"])
		allowed[st.Condition["ArnLike"]["aws:SourceArn"]] = st.Resource.(string)
	}
	for name, prefix := range sources {
		require.Equal(t, targetArn+"/"+prefix+"*", allowed[g.ByName(t, name).Outputs["arn"].StringValue()], name)
	}
	deny := doc.Statement[3]
	require.Equal(t, "Deny", deny.Effect)
	require.Equal(t, "false", deny.Condition["Bool"]["aws:SecureTransport"])
}

// The decision is enforced: the prod graph with access logging passes s3-access-logging and s3-encryption (the
// destination's SSE-S3 included); without it, s3-access-logging blocks each observability bucket.
func TestProdAccessLoggingSatisfiesThePolicyPack(t *testing.T) {
	verdict := func(accessLogging bool) map[string][]string {
		a := devArgs()
		a.AccessLogging, a.ProtectData = accessLogging, true
		g, _, err := run(t, a, false)
		require.NoError(t, err)
		out := map[string][]string{}
		for _, d := range pack.Blocking(pack.Evaluate(pack.Prod, pack.Config{}, packResources(g))) {
			out[d.PolicyID] = append(out[d.PolicyID], d.Message)
		}
		return out
	}
	on := verdict(true)
	require.Empty(t, on["s3-access-logging"])
	require.Empty(t, on["s3-encryption"])
	off := verdict(false)
	require.Len(t, off["s3-access-logging"], 3, strings.Join(off["s3-access-logging"], "\n"))
}

func packResources(g mockgraph.Graph) []pack.Resource {
	out := make([]pack.Resource, 0, len(g.Resources))
	for _, r := range g.Resources {
		out = append(out, pack.Resource{
			Type: r.Type, URN: r.URN, Name: r.Name, ID: r.ID, Properties: r.Inputs, Outputs: r.Outputs,
			Protect: r.Protect, Parent: r.Parent, PropertyDependencies: r.PropertyDependencies,
		})
	}
	return out
}
