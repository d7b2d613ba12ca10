package charts

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Guard is the program-side half of the policy pack's helm-chart-pinned and helm-allowed-repositories. In a real
// run a helm.sh/v4 Chart reaches the pack without inputs (its provider constructs it) and nothing it renders names
// the repository or the version that was asked for, so those two gates cannot act there. Every chart input the
// program builds comes from a catalogue entry (Lookup, then chartv4.Args or a helm.sh/v3 Release), so Lookup is
// where Guard belongs: it refuses an entry the pack would refuse. guard_test.go runs the pack's own policies over
// every catalogue entry, so a bad entry also fails `go test ./internal/charts`.
//
// An entry must name a chart by plain name (an absolute chart URL is fetched from that URL and repositoryOpts is
// ignored), an absolute https repository, and an exact SemVer version (Helm reads anything else as a constraint
// and installs whatever is newest).
func Guard(c Chart) error {
	var errs []error
	switch {
	case c.Chart == "":
		errs = append(errs, errors.New("chart: must name the chart inside the repository"))
	case strings.Contains(c.Chart, "/") || strings.Contains(c.Chart, ":"):
		errs = append(errs, fmt.Errorf("chart: %q is a path or URL; use the chart's plain name and put the repository in repo", c.Chart))
	}
	if u, err := url.Parse(c.Repo); err != nil || u.Scheme != "https" || u.Host == "" {
		errs = append(errs, fmt.Errorf("repo: %q must be an absolute https:// chart repository URL", c.Repo))
	}
	if !exactVersion.MatchString(c.Version) {
		errs = append(errs, fmt.Errorf("version: %q must be an exact release version such as 1.2.3 (not a range, a partial version or latest)", c.Version))
	}
	if len(errs) > 0 {
		return fmt.Errorf("chart %q: %w", c.Name, errors.Join(errs...))
	}
	return nil
}

// exactVersion is a SemVer 2 version with an optional leading v, the form the pack's helm-chart-pinned accepts.
var exactVersion = regexp.MustCompile(`^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
