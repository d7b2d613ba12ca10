// Package subnets carves a VPC CIDR into per-AZ public, private and intra subnets. The layout is a pure
// function of its inputs, so the same configuration always yields the same subnets (and the same diff-free
// preview), and each tier owns a block sized for MaxAZs zones, so raising the AZ count only adds subnets:
// the CIDR of every existing subnet stays where it was. It does not know about AWS resources; the network
// component turns the layout into subnets, and config validation uses it to reject VPCs too small for the
// request.
package subnets

import (
	"fmt"
	"net/netip"
	"sort"
)

// Tier is a subnet role.
type Tier string

const (
	// Private subnets hold nodes and pods; they are the largest because the VPC CNI gives pods VPC IPs.
	Private Tier = "private"
	// Public subnets hold NAT gateways and internet-facing load balancers.
	Public Tier = "public"
	// Intra subnets have no route to the internet: EKS control-plane ENIs and VPC endpoints.
	Intra Tier = "intra"
)

// Tiers in allocation order: largest first, so every block stays aligned without gaps.
var Tiers = []Tier{Private, Public, Intra}

// MaxPrefix is the smallest subnet AWS allows (/28).
const MaxPrefix = 28

// MaxAZs is the most availability zones a VPC may span, and so the number of subnets each tier's block is
// reserved for. Every tier's block holds MaxAZs subnets whatever the AZ count, so growing from two zones to
// three or four adds subnets at addresses nobody uses yet. Four because every commercial region with EKS
// offers at least three zones that need no opt-in, a fourth lets a three-AZ stack grow once, and more
// zones mostly add cross-AZ traffic cost; a power of two keeps each tier's block a single CIDR.
const MaxAZs = 4

// Subnet is one carved subnet.
type Subnet struct {
	Tier Tier
	// AZIndex is the position of the AZ in the sorted AZ list the layout was made for.
	AZIndex int
	Prefix  netip.Prefix
}

// Layout carves vpc into azCount subnets of each tier, each tier's prefix being the VPC prefix plus its
// new bits. Each tier gets a block of MaxAZs subnets, blocks allocated largest first in tier order, and
// the AZ at index i takes the i-th subnet of each block; so Layout(vpc, n, bits) is a prefix of
// Layout(vpc, n+1, bits) tier by tier, and no subnet's CIDR depends on azCount.
func Layout(vpc netip.Prefix, azCount int, newBits map[Tier]int) ([]Subnet, error) {
	if !vpc.IsValid() || !vpc.Addr().Is4() {
		return nil, fmt.Errorf("%s is not an IPv4 CIDR", vpc)
	}
	if azCount < 1 || azCount > MaxAZs {
		return nil, fmt.Errorf("need between 1 and %d AZs, got %d", MaxAZs, azCount)
	}
	type req struct {
		tier Tier
		bits int
	}
	reqs := make([]req, 0, len(Tiers))
	for _, t := range Tiers {
		b := newBits[t]
		if b < 1 {
			return nil, fmt.Errorf("%s subnets: new bits must be >= 1, got %d", t, b)
		}
		if vpc.Bits()+b > MaxPrefix {
			return nil, fmt.Errorf("%s subnets would be /%d, smaller than the /%d AWS allows", t, vpc.Bits()+b, MaxPrefix)
		}
		reqs = append(reqs, req{t, b})
	}
	// Largest blocks first keeps every allocation naturally aligned; stable so equal sizes keep tier order.
	sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].bits < reqs[j].bits })

	total := uint64(1) << (32 - vpc.Bits())
	var used uint64
	base := addrToUint(vpc.Masked().Addr())
	if n := need(vpc.Bits(), newBits); n > total {
		return nil, fmt.Errorf("a /%d VPC has room for %d addresses but private /%d, public /%d and intra /%d subnets, reserved for %d AZs so the AZ count can grow, need %d",
			vpc.Bits(), total,
			vpc.Bits()+newBits[Private], vpc.Bits()+newBits[Public], vpc.Bits()+newBits[Intra],
			MaxAZs, n)
	}
	out := make([]Subnet, 0, azCount*len(reqs))
	for _, r := range reqs {
		size := uint64(1) << (32 - vpc.Bits() - r.bits)
		for az := 0; az < azCount; az++ {
			p := netip.PrefixFrom(uintToAddr(base+used+uint64(az)*size), vpc.Bits()+r.bits)
			out = append(out, Subnet{Tier: r.tier, AZIndex: az, Prefix: p})
		}
		// The whole block stays reserved for the zones not used yet.
		used += MaxAZs * size
	}
	return out, nil
}

// need is the address count of all tiers' blocks, each reserved for MaxAZs subnets.
func need(vpcBits int, newBits map[Tier]int) uint64 {
	var n uint64
	for _, t := range Tiers {
		n += MaxAZs * (uint64(1) << (32 - vpcBits - newBits[t]))
	}
	return n
}

func addrToUint(a netip.Addr) uint64 {
	b := a.As4()
	return uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
}

func uintToAddr(v uint64) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
