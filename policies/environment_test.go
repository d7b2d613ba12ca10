package main

import (
	"context"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/emptypb"
)

// TestEnvironmentComesFromTheStacksConfig: the engine's ConfigureStack request carries the stack's config, and
// the pack selects its levels from platform:environment, the same value the program validates against. The
// stack name is only the fallback for a request without that key.
func TestEnvironmentComesFromTheStacksConfig(t *testing.T) {
	cases := []struct {
		name   string
		req    *pulumirpc.AnalyzerStackConfigureRequest
		env    string
		source string
		nat    pulumirpc.EnforcementLevel // nat-per-az: advisory in staging, mandatory in prod, disabled in dev
	}{
		{"config wins over the stack name", &pulumirpc.AnalyzerStackConfigureRequest{
			Stack: "dev", Project: "platform", Config: map[string]string{"platform:environment": "prod", "aws:region": "us-west-2"},
		}, "prod", "from platform:environment", pulumirpc.EnforcementLevel_MANDATORY},
		{"a custom stack name", &pulumirpc.AnalyzerStackConfigureRequest{
			Stack: "ml-sandbox", Project: "platform", Config: map[string]string{"platform:environment": "staging"},
		}, "staging", "from platform:environment", pulumirpc.EnforcementLevel_ADVISORY},
		{"an unsupported environment is judged strictest", &pulumirpc.AnalyzerStackConfigureRequest{
			Stack: "dev", Project: "platform", Config: map[string]string{"platform:environment": "qa"},
		}, "prod", `platform:environment "qa" is not dev, staging or prod: strictest`, pulumirpc.EnforcementLevel_MANDATORY},
		{"no config: the stack name", &pulumirpc.AnalyzerStackConfigureRequest{
			Stack: "acme-staging", Project: "platform",
		}, "staging", `no platform:environment in the stack's config; from stack "acme-staging"`, pulumirpc.EnforcementLevel_ADVISORY},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			client := dial(t, startPack(t))
			_, err := client.ConfigureStack(ctx, tc.req)
			require.NoError(t, err)
			info, err := client.GetAnalyzerInfo(ctx, &emptypb.Empty{})
			require.NoError(t, err)
			assert.Contains(t, info.GetDescription(), "(environment "+tc.env+", "+tc.source+")")
			assert.Equal(t, tc.nat, policyLevels(info)["nat-per-az"])
		})
	}
}
