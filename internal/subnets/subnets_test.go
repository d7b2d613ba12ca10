package subnets

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var defaultBits = map[Tier]int{Private: 3, Public: 6, Intra: 6}

func TestLayoutIsDisjointInsideTheVPCAndDeterministic(t *testing.T) {
	vpc := netip.MustParsePrefix("10.20.0.0/16")
	got, err := Layout(vpc, 3, defaultBits)
	require.NoError(t, err)
	require.Len(t, got, 9)

	again, err := Layout(vpc, 3, defaultBits)
	require.NoError(t, err)
	assert.Equal(t, got, again, "same input must give the same layout")

	for i, a := range got {
		assert.True(t, vpc.Contains(a.Prefix.Addr()), "%s outside VPC", a.Prefix)
		assert.Equal(t, a.Prefix, a.Prefix.Masked(), "%s is not aligned", a.Prefix)
		for _, b := range got[i+1:] {
			assert.False(t, a.Prefix.Overlaps(b.Prefix), "%s overlaps %s", a.Prefix, b.Prefix)
		}
	}
	assert.Equal(t, "10.20.0.0/19", got[0].Prefix.String())
	assert.Equal(t, Private, got[0].Tier)
	assert.Equal(t, "10.20.96.0/22", got[3].Prefix.String(), "public tier starts after three private /19s")
}

func TestLayoutRejectsAVPCTooSmall(t *testing.T) {
	_, err := Layout(netip.MustParsePrefix("10.0.0.0/24"), 3, map[Tier]int{Private: 1, Public: 2, Intra: 2})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "room for 256 addresses")
}

func TestLayoutRejectsSubnetsSmallerThanAWSAllows(t *testing.T) {
	_, err := Layout(netip.MustParsePrefix("10.0.0.0/24"), 2, map[Tier]int{Private: 2, Public: 5, Intra: 4})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "/29")
}

func TestLayoutRejectsIPv6(t *testing.T) {
	_, err := Layout(netip.MustParsePrefix("fd00::/56"), 2, defaultBits)
	require.Error(t, err)
}
