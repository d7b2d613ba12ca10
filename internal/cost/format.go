package cost

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// Money formats USD with thousands separators: $1,626.26.
func Money(f float64) string {
	neg := f < 0
	if neg {
		f = -f
	}
	s := fmt.Sprintf("%.2f", round2(f))
	whole, frac := s[:len(s)-3], s[len(s)-3:]
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := "$" + b.String() + frac
	if neg {
		out = "-" + out
	}
	return out
}

func signed(f float64) string {
	if f > 0 {
		return "+" + Money(f)
	}
	return Money(f)
}

func rate(it Item) string {
	if it.UnitPrice == 0 {
		return ""
	}
	return fmt.Sprintf("$%s/%s", trimFloat(it.UnitPrice), it.Unit)
}

// WriteText prints an estimate as `make cost` shows it: one line per priced item, the usage-priced items
// grouped, the unknown ones with their reason, and the totals with the prices' date.
func (e Estimate) WriteText(w io.Writer, title string) error {
	fmt.Fprintf(w, "%s\n", title)
	fmt.Fprintf(w, "prices of %s: %s\n", e.PricesDate, e.PricesSource)
	fmt.Fprintf(w, "idle = every autoscaled group at its minimum; ceiling = every group at its maximum; USD per month of 730 h\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RESOURCE\tWHAT\tRATE\tIDLE\tCEILING\tNOTE")
	usage := map[string][]string{}
	var unknown []Item
	// Biggest first, so the lines that matter lead and the order does not depend on registration order.
	items := append([]Item(nil), e.Items...)
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.Ceiling != b.Ceiling {
			return a.Ceiling > b.Ceiling
		}
		if a.Idle != b.Idle {
			return a.Idle > b.Idle
		}
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		return a.What < b.What
	})
	for _, it := range items {
		switch {
		case it.Unknown != "":
			unknown = append(unknown, it)
		case it.Kind == Usage || (it.Idle == 0 && it.Ceiling == 0):
			usage[it.What] = append(usage[it.What], it.Resource)
		default:
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", it.Resource, it.What, rate(it), Money(it.Idle), Money(it.Ceiling), it.Note)
		}
	}
	fmt.Fprintf(tw, "TOTAL\t\t\t%s\t%s\t\n", Money(e.Idle), Money(e.Ceiling))
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(usage) > 0 {
		fmt.Fprintf(w, "\nusage-priced or free, $0 here (not estimated):\n")
		for _, what := range sortedKeys(usage) {
			names := usage[what]
			sort.Strings(names)
			fmt.Fprintf(w, "  %d x %s: %s\n", len(names), what, strings.Join(names, ", "))
		}
		for _, it := range items {
			if it.Kind == Usage && it.Note != "" && strings.Contains(it.Note, "per build minute") {
				fmt.Fprintf(w, "  %s: %s\n", it.Resource, it.Note)
			}
		}
	}
	if len(unknown) > 0 {
		fmt.Fprintf(w, "\nUNKNOWN, not in the totals (%d):\n", len(unknown))
		for _, it := range unknown {
			fmt.Fprintf(w, "  %s %s: %s\n", it.Resource, it.What, it.Unknown)
		}
	}
	return nil
}

// WriteMarkdown renders a plan's delta for a pull request comment.
func (d Delta) WriteMarkdown(w io.Writer, stack string) {
	fmt.Fprintf(w, "**%s**: idle %s → %s (%s), ceiling %s → %s (%s) per month",
		stack, Money(d.Current.Idle), Money(d.Planned.Idle), signed(d.Idle),
		Money(d.Current.Ceiling), Money(d.Planned.Ceiling), signed(d.Ceiling))
	if n := len(d.Planned.Unknown()); n > 0 {
		fmt.Fprintf(w, "; %d item(s) unknown, not counted", n)
	}
	fmt.Fprintf(w, " (prices of %s)\n", d.Planned.PricesDate)
	if len(d.Changes) == 0 {
		return
	}
	fmt.Fprintf(w, "\n| resource | idle before | idle after | ceiling before | ceiling after |\n|---|---|---|---|---|\n")
	for i, c := range d.Changes {
		if i == 10 {
			fmt.Fprintf(w, "| … %d more | | | | |\n", len(d.Changes)-10)
			break
		}
		fmt.Fprintf(w, "| `%s` (%s) | %s | %s | %s | %s |\n", c.Resource, c.Type,
			cell(c.IdleBefore, c.UnknownBefore), cell(c.IdleAfter, c.UnknownAfter),
			cell(c.CeilingBefore, c.UnknownBefore), cell(c.CeilingAfter, c.UnknownAfter))
	}
}

func cell(f float64, unknown bool) string {
	if unknown {
		return "unknown"
	}
	return Money(f)
}

// WriteDeltaText prints a plan's delta in a few lines.
func (d Delta) WriteDeltaText(w io.Writer) {
	fmt.Fprintf(w, "\ndelta of this plan: idle %s → %s (%s), ceiling %s → %s (%s) per month\n",
		Money(d.Current.Idle), Money(d.Planned.Idle), signed(d.Idle),
		Money(d.Current.Ceiling), Money(d.Planned.Ceiling), signed(d.Ceiling))
	for i, c := range d.Changes {
		if i == 10 {
			fmt.Fprintf(w, "  … and %d more resource(s)\n", len(d.Changes)-10)
			break
		}
		fmt.Fprintf(w, "  %s (%s): idle %s → %s, ceiling %s → %s\n", c.Resource, c.Type,
			cell(c.IdleBefore, c.UnknownBefore), cell(c.IdleAfter, c.UnknownAfter),
			cell(c.CeilingBefore, c.UnknownBefore), cell(c.CeilingAfter, c.UnknownAfter))
	}
}
