// Package chartmirror reads the offline chart mirror that sits beside the clone (../shared/charts from the
// module root): which versions each chart repository has published (published-versions.json), and, for one
// chart archive, the values keys it declares and the values paths its templates read. Tests use it to prove
// that every catalogue pin exists upstream and that every values key the program sets is one the pinned
// chart version knows; Helm silently ignores any other key.
//
// It uses the standard library and a YAML parser only, so the tests that link it stay small. It does not
// render charts, resolve chart repositories or download anything.
package chartmirror

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// modulePath is the module whose root anchors the mirror's relative location.
const modulePath = "github.com/platform-team/platform"

// RelDir is the mirror's location relative to the module root.
const RelDir = "../shared/charts"

// Dir returns the mirror directory: RelDir resolved from the module root (found by walking up from the
// working directory to the go.mod of modulePath). It fails naming the path it looked for when the folder
// is missing.
func Dir() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Clean(filepath.Join(root, RelDir))
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return "", fmt.Errorf("chart mirror %s is missing: it holds the published chart archives and "+
			"published-versions.json and must sit beside the clone (%s from the module root %s)", dir, RelDir, root)
	}
	return dir, nil
}

func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if mod, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && declaresModule(mod) {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no go.mod of module %s above %s", modulePath, wd)
		}
	}
}

func declaresModule(gomod []byte) bool {
	sc := bufio.NewScanner(strings.NewReader(string(gomod)))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "module" {
			return f[1] == modulePath
		}
	}
	return false
}

// Repository is one chart's entry in published-versions.json.
type Repository struct {
	// URL is the chart repository the versions were published to.
	URL string `json:"repository"`
	// Source says where the list came from (an index.yaml and its date, or release tags).
	Source string `json:"published_versions_source"`
	// Versions are every published version, in the file's order.
	Versions []string `json:"published_versions"`
}

// Published maps a chart name to its repository and published versions.
type Published map[string]Repository

// LoadPublished reads dir/published-versions.json.
func LoadPublished(dir string) (Published, error) {
	path := filepath.Join(dir, "published-versions.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p Published
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Check fails unless chart was published at version to repo.
func (p Published) Check(repo, chart, version string) error {
	r, ok := p[chart]
	if !ok {
		return fmt.Errorf("chart %q is not listed in published-versions.json (listed: %s)", chart, strings.Join(p.charts(), ", "))
	}
	if strings.TrimSuffix(r.URL, "/") != strings.TrimSuffix(repo, "/") {
		return fmt.Errorf("chart %q: pinned repository %s, but it is published to %s", chart, repo, r.URL)
	}
	for _, v := range r.Versions {
		if v == version {
			return nil
		}
	}
	msg := fmt.Sprintf("chart %q version %s was never published to %s (per %s)", chart, version, r.URL, r.Source)
	if near := r.NewestInLine(version); near != "" {
		msg += fmt.Sprintf("; newest published in its minor line: %s", near)
	}
	if newest := r.Newest(); newest != "" {
		msg += fmt.Sprintf("; newest published: %s", newest)
	}
	return errors.New(msg)
}

func (p Published) charts() []string {
	out := make([]string, 0, len(p))
	for c := range p {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Newest is the highest published release (pre-releases excluded).
func (r Repository) Newest() string {
	return r.newest(func(Semver) bool { return true })
}

// NewestInLine is the highest published release with the same major and minor as version.
func (r Repository) NewestInLine(version string) string {
	want, ok := ParseSemver(version)
	if !ok {
		return ""
	}
	return r.newest(func(s Semver) bool { return s.Major == want.Major && s.Minor == want.Minor })
}

func (r Repository) newest(keep func(Semver) bool) string {
	best, bestV := "", Semver{}
	for _, v := range r.Versions {
		s, ok := ParseSemver(v)
		if !ok || s.Pre != "" || !keep(s) {
			continue
		}
		if best == "" || bestV.Less(s) {
			best, bestV = v, s
		}
	}
	return best
}

// Semver is a parsed major.minor.patch[-pre] version (a leading "v" is accepted).
type Semver struct {
	Major, Minor, Patch int
	Pre                 string
}

// ParseSemver parses v; ok is false when it is not major.minor.patch[-pre][+build].
func ParseSemver(v string) (Semver, bool) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	if i := strings.IndexByte(v, '+'); i >= 0 {
		v = v[:i]
	}
	var s Semver
	core := v
	if i := strings.IndexByte(v, '-'); i >= 0 {
		core, s.Pre = v[:i], v[i+1:]
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return Semver{}, false
	}
	nums := [3]*int{&s.Major, &s.Minor, &s.Patch}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return Semver{}, false
		}
		*nums[i] = n
	}
	return s, true
}

// Less orders releases; a pre-release sorts before its release.
func (s Semver) Less(o Semver) bool {
	if s.Major != o.Major {
		return s.Major < o.Major
	}
	if s.Minor != o.Minor {
		return s.Minor < o.Minor
	}
	if s.Patch != o.Patch {
		return s.Patch < o.Patch
	}
	return s.Pre != "" && (o.Pre == "" || s.Pre < o.Pre)
}

// LinesBehind counts the published release lines (major.minor, pre-releases excluded) newer than version's.
func (r Repository) LinesBehind(version string) (int, error) {
	v, ok := ParseSemver(version)
	if !ok {
		return 0, fmt.Errorf("version %q is not semver", version)
	}
	newer := map[[2]int]bool{}
	for _, p := range r.Versions {
		s, ok := ParseSemver(p)
		if !ok || s.Pre != "" {
			continue
		}
		if s.Major > v.Major || (s.Major == v.Major && s.Minor > v.Minor) {
			newer[[2]int{s.Major, s.Minor}] = true
		}
	}
	return len(newer), nil
}
