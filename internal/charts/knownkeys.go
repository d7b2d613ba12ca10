package charts

import (
	"bufio"
	"embed"
	"fmt"
	"sort"
	"strings"
)

// Helm silently ignores a values key the chart does not read, so a misspelled key is a configuration bug
// that no render or deploy reports. knownkeys/<name>-<version>.txt lists, per pinned chart version, the
// values paths we set and checked by hand against the chart's values.yaml (the header of each file names
// the copy that was read). Component tests call UnknownKeys on the values they pass; a key missing from
// the list fails the test, and bumping a version without re-checking fails TestEveryChartHasKnownKeys.
//
// File format: one dotted path per line; "#" starts a comment. A path ending in ".*" marks a free-form
// subtree (resources, annotations, raw config) below which any key is accepted.

//go:embed knownkeys/*.txt
var knownKeysFS embed.FS

type keySet struct {
	exact    map[string]bool
	freeForm []string
}

func loadKeys(c Chart) (keySet, error) {
	file := fmt.Sprintf("knownkeys/%s-%s.txt", c.Name, c.Version)
	data, err := knownKeysFS.ReadFile(file)
	if err != nil {
		return keySet{}, fmt.Errorf("chart %s %s: no verified key list %s: %w", c.Name, c.Version, file, err)
	}
	ks := keySet{exact: map[string]bool{}}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		if prefix, ok := strings.CutSuffix(line, ".*"); ok {
			ks.freeForm = append(ks.freeForm, prefix)
			continue
		}
		ks.exact[line] = true
	}
	return ks, nil
}

func (ks keySet) allows(path string) bool {
	if ks.exact[path] {
		return true
	}
	for _, p := range ks.freeForm {
		if path == p || strings.HasPrefix(path, p+".") {
			return true
		}
	}
	return false
}

// UnknownKeys returns, sorted, every leaf path of values (maps are walked, anything else is a leaf) that
// is not in the verified key list of the named chart at its catalogue version.
func UnknownKeys(name string, values map[string]any) ([]string, error) {
	c, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	ks, err := loadKeys(c)
	if err != nil {
		return nil, err
	}
	var unknown []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if ks.allows(prefix) && !ks.exact[prefix] {
			return // inside a free-form subtree
		}
		m, ok := v.(map[string]any)
		if !ok || len(m) == 0 {
			if !ks.allows(prefix) {
				unknown = append(unknown, prefix)
			}
			return
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walk(prefix+"."+k, m[k])
		}
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		walk(k, values[k])
	}
	sort.Strings(unknown)
	return unknown, nil
}
