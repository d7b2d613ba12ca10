package cluster

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// The add-on's schema takes enableNetworkPolicy as a string, not a JSON boolean.
func TestVpcCniConfigurationSwitchesNetworkPolicyAsAString(t *testing.T) {
	for _, on := range []bool{true, false} {
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(VpcCniConfiguration(on)), &v))
		want := "false"
		if on {
			want = "true"
		}
		require.Equal(t, map[string]any{"enableNetworkPolicy": want}, v)
	}
}
