package cost

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// snapshot is the dated price snapshot the repository carries (prices.json). `make cost-prices` rewrites it from
// the AWS Price List API; until then it holds hand-entered rates and says so in its source field.
//
//go:embed prices.json
var snapshot []byte

// Prices is a dated snapshot of AWS on-demand list prices (USD) for the regions the stacks use.
type Prices struct {
	// Date is the day the rates were taken (YYYY-MM-DD); every estimate prints it.
	Date string `json:"date"`
	// Source says where the rates came from and how far to trust them.
	Source string `json:"source"`
	// Confirmed and Unconfirmed list which rates were checked against a source and which were not.
	Confirmed   []string `json:"confirmed,omitempty"`
	Unconfirmed []string `json:"unconfirmed,omitempty"`
	// HoursPerMonth converts hourly rates to monthly ones. AWS's Pricing Calculator uses 730.
	HoursPerMonth float64 `json:"hoursPerMonth"`
	// Regions holds the rates per AWS region code.
	Regions map[string]RegionPrices `json:"regions"`
}

// RegionPrices are the rates of one region. A zero or missing rate is "not in the snapshot", never "free":
// the estimator reports the item as unknown.
type RegionPrices struct {
	// Location is the Price List API's name for the region ("US East (N. Virginia)"), the value GetProducts
	// filters on.
	Location string `json:"location"`
	// EKSClusterHour is the EKS control plane in standard support, per cluster-hour.
	EKSClusterHour float64 `json:"eksClusterHour"`
	// NATGatewayHour is a NAT gateway per hour (data processing per GB is usage and not estimated).
	NATGatewayHour float64 `json:"natGatewayHour"`
	// PublicIPv4Hour is a public IPv4 address (an Elastic IP, attached or not) per hour.
	PublicIPv4Hour float64 `json:"publicIPv4Hour"`
	// InterfaceEndpointAZHour is an interface VPC endpoint per AZ per hour.
	InterfaceEndpointAZHour float64 `json:"interfaceEndpointAZHour"`
	// NLBHour, ALBHour and CLBHour are load balancers per hour (capacity units are usage).
	NLBHour float64 `json:"nlbHour"`
	ALBHour float64 `json:"albHour"`
	CLBHour float64 `json:"clbHour"`
	// KMSKeyMonth is a customer-managed KMS key per month (requests are usage).
	KMSKeyMonth float64 `json:"kmsKeyMonth"`
	// EBSGBMonth is EBS storage per GB-month by volume type (gp3, gp2).
	EBSGBMonth map[string]float64 `json:"ebsGBMonth"`
	// CodeBuildMinute is a Linux build minute by compute type.
	CodeBuildMinute map[string]float64 `json:"codebuildMinute"`
	// InstanceHour is an on-demand Linux instance per hour by instance type.
	InstanceHour map[string]float64 `json:"instanceHour"`
}

// Snapshot returns the embedded price snapshot.
func Snapshot() (Prices, error) { return ParsePrices(snapshot) }

// MustSnapshot is Snapshot for callers that cannot proceed without it; the embedded file is tested.
func MustSnapshot() Prices {
	p, err := Snapshot()
	if err != nil {
		panic(err)
	}
	return p
}

// ParsePrices reads and validates a price snapshot, reporting every problem at once.
func ParsePrices(b []byte) (Prices, error) {
	var p Prices
	if err := json.Unmarshal(b, &p); err != nil {
		return Prices{}, fmt.Errorf("price snapshot: %w", err)
	}
	var problems []string
	if len(p.Date) != len("2006-01-02") {
		problems = append(problems, fmt.Sprintf("date: %q is not YYYY-MM-DD", p.Date))
	}
	if strings.TrimSpace(p.Source) == "" {
		problems = append(problems, "source: required (where the rates came from)")
	}
	if p.HoursPerMonth <= 0 {
		problems = append(problems, "hoursPerMonth: must be > 0")
	}
	if len(p.Regions) == 0 {
		problems = append(problems, "regions: at least one region is required")
	}
	for _, r := range sortedKeys(p.Regions) {
		if p.Regions[r].Location == "" {
			problems = append(problems, fmt.Sprintf("regions.%s.location: required (the Price List API's location name)", r))
		}
		for k, v := range p.Regions[r].InstanceHour {
			if v <= 0 {
				problems = append(problems, fmt.Sprintf("regions.%s.instanceHour.%s: must be > 0", r, k))
			}
		}
	}
	if len(problems) > 0 {
		return Prices{}, errors.New("price snapshot: " + strings.Join(problems, "; "))
	}
	return p, nil
}

// JSON renders the snapshot as the repository stores it.
func (p Prices) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
