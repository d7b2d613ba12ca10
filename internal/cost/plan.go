package cost

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Plan is what a preview says about a stack: the resources as they are (old states) and as they will be (new
// states).
type Plan struct {
	Current []Resource
	Planned []Resource
	// Regions are the regions of the plan's aws providers, sorted.
	Regions []string
}

// state is the part of a step's old or new state the estimator reads. `pulumi preview --json` writes
// apitype.ResourceV3 and engine events write apitype.StepEventStateMetadata (pulumi sdk/go/common/apitype); both
// spell these fields the same.
type state struct {
	URN      string         `json:"urn"`
	Type     string         `json:"type"`
	ID       string         `json:"id"`
	Parent   string         `json:"parent"`
	Provider string         `json:"provider"`
	Inputs   map[string]any `json:"inputs"`
}

type step struct {
	Op       string `json:"op"`
	URN      string `json:"urn"`
	Provider string `json:"provider"`
	OldState *state `json:"oldState"`
	NewState *state `json:"newState"`
}

// Ops whose new state does not exist after the update, and ops whose old state did not exist before it
// (pulumi pkg/resource/deploy/step.go, the OpType constants).
var (
	goneAfter = map[string]bool{"delete": true, "delete-replaced": true, "discard": true, "discard-replaced": true, "remove-pending-replace": true, "read-discard": true}
	newBefore = map[string]bool{"create": true, "create-replacement": true, "import": true, "import-replacement": true}
)

// ParsePlan reads the JSON `pulumi preview --json` prints (display.PreviewDigest: {"steps": [{"op", "urn",
// "oldState", "newState"}]}); the sandbox's `plan` action writes the same shape.
func ParsePlan(b []byte) (Plan, error) {
	var d struct {
		Steps []step `json:"steps"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return Plan{}, fmt.Errorf("reading preview JSON: %w", err)
	}
	if d.Steps == nil {
		return Plan{}, fmt.Errorf("reading preview JSON: no \"steps\" (pass the output of `pulumi preview --json`)")
	}
	cur, planned := map[string]*state{}, map[string]*state{}
	var order []string
	seen := map[string]bool{}
	for _, s := range d.Steps {
		if !seen[s.URN] {
			seen[s.URN] = true
			order = append(order, s.URN)
		}
		if s.OldState != nil && !newBefore[s.Op] {
			cur[s.URN] = s.OldState
		}
		if s.NewState != nil && !goneAfter[s.Op] {
			planned[s.URN] = s.NewState
		} else if s.Op == "delete" || s.Op == "discard" || s.Op == "read-discard" {
			// The resource itself goes; *-replaced steps remove only the old copy of a replaced one.
			delete(planned, s.URN)
		}
	}
	regions := map[string]string{} // provider URN -> region
	set := map[string]bool{}
	for _, m := range []map[string]*state{cur, planned} {
		for urn, st := range m {
			if st.Type == "pulumi:providers:aws" {
				if r, ok := str(st.Inputs, "region"); ok {
					regions[urn] = r
					set[r] = true
				}
			}
		}
	}
	p := Plan{}
	for r := range set {
		p.Regions = append(p.Regions, r)
	}
	sort.Strings(p.Regions)
	for _, urn := range order {
		if st := cur[urn]; st != nil {
			p.Current = append(p.Current, st.resource(urn, regions))
		}
		if st := planned[urn]; st != nil {
			p.Planned = append(p.Planned, st.resource(urn, regions))
		}
	}
	return p, nil
}

func (s *state) resource(urn string, regions map[string]string) Resource {
	if s.URN != "" {
		urn = s.URN
	}
	r := Resource{URN: urn, Type: s.Type, Parent: s.Parent, Inputs: s.Inputs, Name: nameOf(urn)}
	if s.ID != UnknownValue {
		r.ID = s.ID
	}
	if i := strings.LastIndex(s.Provider, "::"); i > 0 {
		r.Region = regions[s.Provider[:i]]
	}
	if s.Type == "pulumi:providers:aws" {
		r.Region, _ = str(s.Inputs, "region")
	}
	return r
}

// nameOf is the name part of a URN (urn:pulumi:stack::project::type::name).
func nameOf(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

// Delta compares the current and the planned estimate of a stack.
type Delta struct {
	Current, Planned Estimate
	// Idle and Ceiling are planned minus current (USD per month).
	Idle, Ceiling float64
	// Changes lists the resources whose monthly cost changes, largest ceiling change first.
	Changes []Change
}

// Change is one resource's cost before and after.
type Change struct {
	URN, Resource, Type         string
	IdleBefore, IdleAfter       float64
	CeilingBefore, CeilingAfter float64
	UnknownBefore, UnknownAfter bool
}

// EstimatePlan prices both sides of a plan.
func (p Prices) EstimatePlan(plan Plan, o Options) Delta {
	d := Delta{Current: p.Estimate(plan.Current, o), Planned: p.Estimate(plan.Planned, o)}
	d.Idle = round2(d.Planned.Idle - d.Current.Idle)
	d.Ceiling = round2(d.Planned.Ceiling - d.Current.Ceiling)
	byURN := map[string]*Change{}
	var order []string
	add := func(items []Item, after bool) {
		for _, it := range items {
			c := byURN[it.URN]
			if c == nil {
				c = &Change{URN: it.URN, Resource: it.Resource, Type: it.Type}
				byURN[it.URN] = c
				order = append(order, it.URN)
			}
			switch {
			case after && it.Unknown != "":
				c.UnknownAfter = true
			case after:
				c.IdleAfter += it.Idle
				c.CeilingAfter += it.Ceiling
			case it.Unknown != "":
				c.UnknownBefore = true
			default:
				c.IdleBefore += it.Idle
				c.CeilingBefore += it.Ceiling
			}
		}
	}
	add(d.Current.Items, false)
	add(d.Planned.Items, true)
	for _, urn := range order {
		c := byURN[urn]
		if round2(c.IdleBefore) != round2(c.IdleAfter) || round2(c.CeilingBefore) != round2(c.CeilingAfter) || c.UnknownBefore != c.UnknownAfter {
			d.Changes = append(d.Changes, *c)
		}
	}
	sort.SliceStable(d.Changes, func(i, j int) bool {
		a, b := d.Changes[i], d.Changes[j]
		return abs(a.CeilingAfter-a.CeilingBefore) > abs(b.CeilingAfter-b.CeilingBefore)
	})
	return d
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
