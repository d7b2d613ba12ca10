package pack

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/platform-team/platform/internal/cost"
)

// The budget policy reads the same estimator as `make cost` (internal/cost) over the stack's resources.
func init() {
	register(&Policy{
		ID: "budget",
		Description: "The stack's monthly cost stays within the environment's budget: idle (every autoscaled group at its minimum) " +
			"within maxIdleMonthlyUSD and ceiling (every group at its maximum) within maxCeilingMonthlyUSD, priced by internal/cost " +
			"from its dated snapshot of AWS on-demand list prices; a resource it cannot price is reported, never counted as $0.",
		Group:  "Cost",
		Types:  cost.PricedTypes,
		Stack:  true,
		Levels: levels(Advisory, Mandatory, Mandatory),
		Params: []Param{
			{Name: "maxIdleMonthlyUSD", Type: IntParam, Description: "Most the stack may cost per month with every autoscaled group at its minimum, in whole USD.",
				Default: perEnv(300, 600, 2000)},
			{Name: "maxCeilingMonthlyUSD", Type: IntParam, Description: "Most the stack may cost per month with every autoscaled group at its maximum, in whole USD.",
				Default: perEnv(2000, 2500, 16000)},
		},
		Fix: "lower node group minimum or maximum sizes, pick cheaper instance types, drop interface endpoints or NAT gateways, " +
			"or raise the limit in policies/config/<env>.json in a reviewed change (`make cost STACK=<env>` shows the items).",
		RealRun: "after `up` (and on a state export with `pulumi policy analyze`): every resource's stored state; during a preview, the planned " +
			"inputs, where values not known yet (a first preview) leave their items undecided; the rest still counts, so a plan whose known " +
			"items already exceed the budget fails. Only what the plan shows is priced: a LoadBalancer Service's NLB or a chart's volumes " +
			"count once the cluster exists and the chart's objects are in the plan.",
		checkStack: checkBudget,
	})
}

// CostResources turns what the pack sees into the estimator's resources: inputs (or state) as plain values with
// unknowns spelled as Pulumi serialises them, the region from the resource's aws provider.
func CostResources(rs []Resource) []cost.Resource {
	out := make([]cost.Resource, 0, len(rs))
	for _, r := range rs {
		cr := cost.Resource{URN: r.URN, Type: r.Type, Name: r.Name, Parent: r.Parent, ID: r.ID, Inputs: plain(r.Properties)}
		if r.Provider != nil && r.Provider.Type == "pulumi:providers:aws" {
			if v := lookup(r.Provider.Properties, "region"); v.p == known && v.v.IsString() {
				cr.Region = v.v.StringValue()
			}
		}
		out = append(out, cr)
	}
	return out
}

// plain converts a property map to JSON-like values; unknowns become cost.UnknownValue and secrets are unwrapped
// (the estimator reads sizes and instance types, and prints none of the values).
func plain(m resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[string(k)] = plainValue(v)
	}
	return out
}

func plainValue(v resource.PropertyValue) any {
	u := unwrap(v, false)
	switch u.p {
	case unknown:
		return cost.UnknownValue
	case missing:
		return nil
	}
	v = u.v
	switch {
	case v.IsObject():
		return plain(v.ObjectValue())
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plainValue(e)
		}
		return out
	case v.IsString():
		return v.StringValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsBool():
		return v.BoolValue()
	}
	return nil
}

// stackRegion is the region most of the stack's aws resources use: the default for resources that name none
// (Kubernetes objects, components).
func stackRegion(rs []cost.Resource) string {
	count := map[string]int{}
	for _, r := range rs {
		if r.Region != "" {
			count[r.Region]++
		}
	}
	best := ""
	for _, reg := range sortedKeys(count) {
		if best == "" || count[reg] > count[best] {
			best = reg
		}
	}
	return best
}

func checkBudget(c *checker, rs []Resource) {
	crs := CostResources(rs)
	prices, err := cost.Snapshot()
	if err != nil {
		c.failStack("the price snapshot cannot be read, so the budget cannot be judged: %v", err)
		return
	}
	region := stackRegion(crs)
	if _, ok := prices.Regions[region]; !ok {
		// Nothing can be priced. The snapshot covers every region a stack file names (internal/cost's tests fail
		// when a stack moves to a region it lacks), so this is a stack the pack cannot place: say so, do not guess.
		why := fmt.Sprintf("region %s is not in the price snapshot of %s (add it, then run `make cost-prices`)", region, prices.Date)
		if region == "" {
			why = "no aws provider region on the stack's resources"
		}
		c.undecided = append(c.undecided, Undecided{PolicyID: c.p.ID, Reason: "stack: budget cannot be judged: " + why})
		return
	}
	e := prices.Estimate(crs, cost.Options{DefaultRegion: region})
	maxIdle, maxCeiling := float64(c.intParam("maxIdleMonthlyUSD")), float64(c.intParam("maxCeilingMonthlyUSD"))

	var pending, unpriced []cost.Item
	for _, it := range e.Unknown() {
		if it.Pending {
			pending = append(pending, it)
		} else {
			unpriced = append(unpriced, it)
		}
	}
	atLeast := ""
	if len(pending)+len(unpriced) > 0 {
		atLeast = "at least "
	}
	var over []string
	if e.Idle > maxIdle {
		over = append(over, fmt.Sprintf("idle %s%s/month exceeds maxIdleMonthlyUSD %s", atLeast, cost.Money(e.Idle), cost.Money(maxIdle)))
	}
	if e.Ceiling > maxCeiling {
		over = append(over, fmt.Sprintf("ceiling %s%s/month exceeds maxCeilingMonthlyUSD %s", atLeast, cost.Money(e.Ceiling), cost.Money(maxCeiling)))
	}
	if len(over) > 0 {
		// Rank by what is over: idle when idle is (a warm pool), else the ceiling (a pool's maximum).
		c.failStack("%s (prices of %s). Biggest items: %s%s", strings.Join(over, "; "), e.PricesDate, biggest(e, 3, e.Idle > maxIdle), unknownNote(pending, unpriced))
		return
	}
	if len(unpriced) > 0 {
		// A rate the snapshot lacks is not an unknown value a later run fills in: the budget cannot be judged
		// until the snapshot has it.
		c.failStack("the budget cannot be judged: %d item(s) have no price (%s); priced so far idle %s, ceiling %s per month (prices of %s). "+
			"Add the rates to internal/cost/prices.json or run `make cost-prices`.",
			len(unpriced), describe(unpriced, 3), cost.Money(e.Idle), cost.Money(e.Ceiling), e.PricesDate)
		return
	}
	for _, it := range pending {
		r := Resource{URN: it.URN, Name: it.Resource, Type: it.Type}
		c.undecided = append(c.undecided, Undecided{PolicyID: c.p.ID, URN: it.URN,
			Reason: fmt.Sprintf("%s: %s: %s; the known items come to idle %s, ceiling %s per month, within the budget; budget is decided when the value is known",
				label(r), it.What, it.Unknown, cost.Money(e.Idle), cost.Money(e.Ceiling))})
	}
}

func biggest(e cost.Estimate, n int, byIdle bool) string {
	var parts []string
	for _, it := range e.Biggest(n, byIdle) {
		parts = append(parts, fmt.Sprintf("%s %q %s (idle %s, ceiling %s)", shortType(it.Type), it.Resource, it.What, cost.Money(it.Idle), cost.Money(it.Ceiling)))
	}
	return strings.Join(parts, "; ")
}

func unknownNote(pending, unpriced []cost.Item) string {
	all := append(append([]cost.Item{}, unpriced...), pending...)
	if len(all) == 0 {
		return ""
	}
	return fmt.Sprintf(". Not counted (%d unknown): %s", len(all), describe(all, 3))
}

func describe(items []cost.Item, n int) string {
	sort.SliceStable(items, func(i, j int) bool { return items[i].Resource < items[j].Resource })
	var parts []string
	for i, it := range items {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(items)-n))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %q: %s", shortType(it.Type), it.Resource, it.Unknown))
	}
	return strings.Join(parts, "; ")
}

// shortType is the type token's last part: aws:eks/nodeGroup:NodeGroup -> NodeGroup.
func shortType(t string) string {
	if i := strings.LastIndex(t, ":"); i >= 0 {
		return t[i+1:]
	}
	return t
}
