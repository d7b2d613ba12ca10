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
	assert.Equal(t, "10.20.128.0/22", got[3].Prefix.String(), "public tier starts after the private block reserved for four /19s")
}

// Growing the AZ count only adds subnets: every subnet of the smaller layout keeps its tier, AZ and CIDR,
// and the new ones overlap nothing. Carving the tiers one after another (the old layout) moved the public
// and intra subnets when a third AZ's private subnet took their place.
func TestGrowingFromTwoToThreeAZsKeepsEveryExistingCIDR(t *testing.T) {
	vpc := netip.MustParsePrefix("10.10.0.0/16")
	for _, grow := range [][2]int{{2, 3}, {1, 4}, {3, 4}} {
		before, err := Layout(vpc, grow[0], defaultBits)
		require.NoError(t, err)
		after, err := Layout(vpc, grow[1], defaultBits)
		require.NoError(t, err)

		type key struct {
			tier Tier
			az   int
		}
		was := map[key]string{}
		for _, s := range before {
			was[key{s.Tier, s.AZIndex}] = s.Prefix.String()
		}
		now := map[key]string{}
		for _, s := range after {
			now[key{s.Tier, s.AZIndex}] = s.Prefix.String()
		}
		for k, cidr := range was {
			assert.Equal(t, cidr, now[k], "%d -> %d AZs: %s subnet of AZ %d moved", grow[0], grow[1], k.tier, k.az)
		}
		assert.Len(t, now, len(Tiers)*grow[1])
		for i, a := range after {
			for _, b := range after[i+1:] {
				assert.False(t, a.Prefix.Overlaps(b.Prefix), "%s overlaps %s", a.Prefix, b.Prefix)
			}
		}
	}
	two, _ := Layout(vpc, 2, defaultBits)
	three, _ := Layout(vpc, 3, defaultBits)
	var cidrs2, cidrs3 []string
	for _, s := range two {
		cidrs2 = append(cidrs2, string(s.Tier)+" "+s.Prefix.String())
	}
	for _, s := range three {
		cidrs3 = append(cidrs3, string(s.Tier)+" "+s.Prefix.String())
	}
	assert.Equal(t, []string{
		"private 10.10.0.0/19", "private 10.10.32.0/19",
		"public 10.10.128.0/22", "public 10.10.132.0/22",
		"intra 10.10.144.0/22", "intra 10.10.148.0/22",
	}, cidrs2)
	assert.Equal(t, []string{
		"private 10.10.0.0/19", "private 10.10.32.0/19", "private 10.10.64.0/19",
		"public 10.10.128.0/22", "public 10.10.132.0/22", "public 10.10.136.0/22",
		"intra 10.10.144.0/22", "intra 10.10.148.0/22", "intra 10.10.152.0/22",
	}, cidrs3)
}

func TestLayoutRejectsMoreAZsThanItReserves(t *testing.T) {
	for _, n := range []int{0, MaxAZs + 1} {
		_, err := Layout(netip.MustParsePrefix("10.0.0.0/16"), n, defaultBits)
		require.Error(t, err, n)
		assert.Contains(t, err.Error(), "between 1 and 4 AZs")
	}
}

// The reservation is for MaxAZs whatever azCount is, so a VPC that fits two AZs but not four is refused
// up front instead of at the day the third AZ is added.
func TestLayoutRejectsAVPCThatCannotGrowToMaxAZs(t *testing.T) {
	_, err := Layout(netip.MustParsePrefix("10.0.0.0/16"), 2, map[Tier]int{Private: 2, Public: 4, Intra: 4})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "reserved for 4 AZs")
}

func TestLayoutRejectsAVPCTooSmall(t *testing.T) {
	_, err := Layout(netip.MustParsePrefix("10.0.0.0/24"), 3, map[Tier]int{Private: 2, Public: 4, Intra: 4})
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
