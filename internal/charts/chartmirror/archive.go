package chartmirror

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Chart is what one chart archive tells about its values: the keys its values.yaml declares (subcharts'
// values merged in under their dependency key, as Helm does) and the values paths its templates read.
type Chart struct {
	// Name and Version come from the archive's Chart.yaml.
	Name, Version string
	// KubeVersion is Chart.yaml's kubeVersion constraint ("" when the chart states none).
	KubeVersion string
	// Dependencies are the subcharts bundled in the archive, keyed by their values key (alias or name).
	Dependencies map[string]string

	declared map[string]any
	reads    map[string]bool // dotted values path -> read as a whole subtree (rendered, merged or ranged over)
	// descoped are top-level keys whose contents the templates merge into the root of .Values (istiod
	// copies pilot.* to the top level), so pilot.x is known when x is.
	descoped map[string]bool
	// helperWhole are the chart's named templates (define "x") that render or iterate their argument whole.
	helperWhole map[string]bool
}

// ArchivePath is where the mirror keeps chart at version.
func ArchivePath(dir, chart, version string) string {
	return filepath.Join(dir, fmt.Sprintf("%s-%s.tgz", chart, version))
}

// Open reads chart at version from the mirror dir.
func Open(dir, chart, version string) (*Chart, error) {
	p := ArchivePath(dir, chart, version)
	files, err := Files(dir, chart, version)
	if err != nil {
		return nil, err
	}
	tops := map[string]bool{}
	for name := range files {
		if i := strings.IndexByte(name, '/'); i > 0 {
			tops[name[:i]] = true
		}
	}
	if !tops[chart] {
		return nil, fmt.Errorf("%s: no top-level %s/ directory", p, chart)
	}
	c, err := load(files, chart)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if c.Version != version {
		return nil, fmt.Errorf("%s: Chart.yaml says version %s", p, c.Version)
	}
	return c, nil
}

// Files returns every regular file of chart's archive at version in the mirror dir, by path inside the
// archive ("<chart>/values.yaml", "<chart>/templates/...").
func Files(dir, chart, version string) (map[string][]byte, error) {
	p := ArchivePath(dir, chart, version)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("chart %s %s: no archive in the mirror: %w", chart, version, err)
	}
	files, err := untar(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return files, nil
}

// untar returns every regular file of a gzipped tar by its cleaned path.
func untar(data []byte) (map[string][]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		files[path.Clean(strings.TrimPrefix(h.Name, "./"))] = b
	}
}

type chartMeta struct {
	Name         string `yaml:"name"`
	Version      string `yaml:"version"`
	KubeVersion  string `yaml:"kubeVersion"`
	Dependencies []struct {
		Name  string `yaml:"name"`
		Alias string `yaml:"alias"`
	} `yaml:"dependencies"`
}

// load builds the chart rooted at dir inside files, subcharts included (unpacked directories under charts/
// or nested archives charts/*.tgz), the way Helm's chart loader lays them out.
func load(files map[string][]byte, dir string) (*Chart, error) {
	var meta chartMeta
	raw, ok := files[dir+"/Chart.yaml"]
	if !ok {
		return nil, fmt.Errorf("%s/Chart.yaml missing", dir)
	}
	if err := yaml.Unmarshal(raw, &meta); err != nil {
		return nil, fmt.Errorf("%s/Chart.yaml: %w", dir, err)
	}
	c := &Chart{Name: meta.Name, Version: meta.Version, KubeVersion: meta.KubeVersion,
		Dependencies: map[string]string{}, declared: map[string]any{}, reads: map[string]bool{}, descoped: map[string]bool{},
		helperWhole: map[string]bool{}}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var templates []string
	for _, name := range names {
		if rel, ok := strings.CutPrefix(name, dir+"/templates/"); ok && rel != "" {
			templates = append(templates, string(files[name]))
			c.collectHelpers(string(files[name]))
		}
	}
	if raw, ok := files[dir+"/values.yaml"]; ok {
		if err := yaml.Unmarshal(raw, &c.declared); err != nil {
			return nil, fmt.Errorf("%s/values.yaml: %w", dir, err)
		}
		if c.declared == nil {
			c.declared = map[string]any{}
		}
		c.liftIstioDefaults()
		// Charts such as loki and tempo keep their config file as a template string in values.yaml and
		// render it with tpl, so the values it reads are referenced there.
		c.scan(string(raw), "")
	}
	for _, t := range templates {
		c.scan(t, "")
	}

	subs, err := subcharts(files, dir)
	if err != nil {
		return nil, err
	}
	// A dependency's values live under its alias (or its name); one chart may be bundled under several
	// aliases. A bundled chart not named in dependencies is still loaded by Helm under its own name.
	keys := map[string]string{} // values key -> subchart name
	for _, d := range meta.Dependencies {
		k := d.Alias
		if k == "" {
			k = d.Name
		}
		if _, ok := subs[d.Name]; ok {
			keys[k] = d.Name
		}
	}
	for n := range subs {
		found := false
		for _, s := range keys {
			found = found || s == n
		}
		if !found {
			keys[n] = n
		}
	}
	for k, n := range keys {
		sub := subs[n]
		c.Dependencies[k] = sub.Name + "@" + sub.Version
		c.mergeSubchart(k, sub)
	}
	return c, nil
}

func subcharts(files map[string][]byte, dir string) (map[string]*Chart, error) {
	out := map[string]*Chart{}
	prefix := dir + "/charts/"
	seen := map[string]bool{}
	for name, data := range files {
		rel, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		if !strings.Contains(rel, "/") && strings.HasSuffix(rel, ".tgz") {
			nested, err := untar(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			for top := range topDirs(nested) {
				sub, err := load(nested, top)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
				out[sub.Name] = sub
			}
			continue
		}
		if i := strings.IndexByte(rel, '/'); i > 0 && rel[i+1:] == "Chart.yaml" && !seen[rel[:i]] {
			seen[rel[:i]] = true
			sub, err := load(files, prefix+rel[:i])
			if err != nil {
				return nil, err
			}
			out[sub.Name] = sub
		}
	}
	return out, nil
}

func topDirs(files map[string][]byte) map[string]bool {
	tops := map[string]bool{}
	for name := range files {
		if i := strings.IndexByte(name, '/'); i > 0 && name[i+1:] == "Chart.yaml" {
			tops[name[:i]] = true
		}
	}
	return tops
}

// istioDefaultsKey holds the Istio charts' defaults: their templates/zzz_profile.yaml merges it under the
// user's values and removes it, so users set those keys at the top level.
const istioDefaultsKey = "_internal_defaults_do_not_set"

func (c *Chart) liftIstioDefaults() {
	defaults, ok := c.declared[istioDefaultsKey].(map[string]any)
	if !ok {
		return
	}
	rest := map[string]any{}
	for k, v := range c.declared {
		if k != istioDefaultsKey {
			rest[k] = v
		}
	}
	c.declared = mergeMaps(defaults, rest)
}

// mergeSubchart puts sub's declared values and template reads under key; its globals stay global.
func (c *Chart) mergeSubchart(key string, sub *Chart) {
	subValues := map[string]any{}
	for k, v := range sub.declared {
		if k == "global" {
			if g, ok := v.(map[string]any); ok {
				parentGlobal, _ := c.declared["global"].(map[string]any)
				c.declared["global"] = mergeMaps(g, parentGlobal)
			}
			continue
		}
		subValues[k] = v
	}
	parent, _ := c.declared[key].(map[string]any)
	c.declared[key] = mergeMaps(subValues, parent)
	for p, whole := range sub.reads {
		if p != "global" && !strings.HasPrefix(p, "global.") {
			p = key + "." + p
		}
		c.reads[p] = c.reads[p] || whole
	}
}

// mergeMaps returns base overlaid with over (maps merged key by key, anything else replaced).
func mergeMaps(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		bm, bok := out[k].(map[string]any)
		om, ook := v.(map[string]any)
		if bok && ook {
			out[k] = mergeMaps(bm, om)
			continue
		}
		if v == nil && out[k] != nil {
			continue // a parent's empty key does not hide what the subchart declares
		}
		out[k] = v
	}
	return out
}

var (
	actionRe = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	// valuesRe finds .Values references ($.Values, $root.Values and .ctx.Values alike) with their dotted path.
	valuesRe = regexp.MustCompile(`\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)*)`)
	// indexRe finds `index .Values.a "b" "c"` and `index .Values "a"`: keys Go templates cannot dot into.
	indexRe = regexp.MustCompile(`\bindex\s+\$?[A-Za-z0-9_.]*\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)*)((?:\s+"[^"]*")+)`)
	quoteRe = regexp.MustCompile(`"([^"]*)"`)
	// digRe finds `dig "a" "b" <default> .Values.x`: a lookup of x.a.b that may be absent from values.yaml.
	digRe = regexp.MustCompile(`\bdig\s+([^{}]*?)\$?[A-Za-z0-9_.]*?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)*)`)
	// renderBeforeRe: the reference is the argument of a function that renders or copies it whole.
	renderBeforeRe = regexp.MustCompile(`\b(toYaml|toJson|toPrettyJson|toRawJson|tpl|deepCopy|mustDeepCopy)[\s(]*$`)
	// renderAfterRe: the reference is piped into such a function.
	renderAfterRe = regexp.MustCompile(`^\)*\s*\|\s*(toYaml|toJson|toPrettyJson|toRawJson|tpl|deepCopy|mustDeepCopy)\b`)
	// rangeBeforeRe: {{ range $k, $v := .Values.x }} iterates keys the chart never names.
	rangeBeforeRe = regexp.MustCompile(`\brange\s+(\$\w*\s*(,\s*\$\w*\s*)?:=\s*)?\(?\s*$`)
	mergeRe       = regexp.MustCompile(`\b(merge|mergeOverwrite|mustMerge|mustMergeOverwrite)\s+`)
	// rootTargetRe: a merge into the root of .Values itself.
	rootTargetRe = regexp.MustCompile(`^\(?\s*\$?\.Values\s+\(?\s*$`)
	// assignRe: the merge's result is kept in a variable ({{ $mesh := mergeOverwrite ... }}).
	assignRe     = regexp.MustCompile(`(\$\w+)\s*:?=\s*\(?\s*$`)
	withBeforeRe = regexp.MustCompile(`^\{\{-?\s*with\s+$`)
	// dotRenderRe renders the dot (`toYaml .`, `(. | toYaml)`) inside a with block.
	dotRenderRe = regexp.MustCompile(`\b(toYaml|toJson|toPrettyJson|tpl)\s+\(?\s*\.\s*[|)}]|\(\s*\.\s*\|\s*(toYaml|toJson)\b`)
	endRe       = regexp.MustCompile(`\{\{-?\s*end\b`)
	// includeBeforeRe: the reference is the argument of {{ include "name" ... }}.
	includeBeforeRe = regexp.MustCompile(`\b(?:include|template)\s+"([^"]+)"\s*\(?\s*$`)
	defineRe        = regexp.MustCompile(`^\{\{-?\s*define\s+"([^"]+)"`)
	openBlockRe     = regexp.MustCompile(`^\{\{-?\s*(if|range|with|define|block)\b`)
	// dotWholeRe: a named template's body renders, iterates or dynamically indexes its argument (. or $).
	dotWholeRe = regexp.MustCompile(`\b(toYaml|toJson|toPrettyJson|tpl)\s+\(?\s*[.$]\s*[|)}\s]|\(\s*[.$]\s*\|\s*(toYaml|toJson)\b|\brange\s+(\$\w+\s*(,\s*\$\w+\s*)?:=\s*)?[.$]\s*-?\}\}|\bindex\s+[.$]\s+\$\w+`)
)

// collectHelpers records which named templates in text use their argument whole.
func (c *Chart) collectHelpers(text string) {
	actions := actionRe.FindAllStringIndex(text, -1)
	for i, loc := range actions {
		m := defineRe.FindStringSubmatch(text[loc[0]:loc[1]])
		if m == nil {
			continue
		}
		depth, end := 1, len(text)
		for _, l := range actions[i+1:] {
			a := text[l[0]:l[1]]
			if openBlockRe.MatchString(a) {
				depth++
			} else if endRe.MatchString(a) {
				if depth--; depth == 0 {
					end = l[0]
					break
				}
			}
		}
		if dotWholeRe.MatchString(text[loc[1]:end]) {
			c.helperWhole[m[1]] = true
		}
	}
}

// scan records every values path the template text refers to (prefixed with prefix), whether the template
// hands that subtree to the output whole (so keys the chart never names still count), and subtrees merged
// into the root of .Values.
func (c *Chart) scan(text, prefix string) {
	for _, loc := range actionRe.FindAllStringIndex(text, -1) {
		action := text[loc[0]:loc[1]]
		record := func(p string, at, end int) {
			if p == "" {
				return // the whole of .Values: too broad to vouch for any key
			}
			use := c.classify(text, action, at, end, loc[1])
			if use == descopedUse && prefix == "" && !strings.Contains(p, ".") {
				c.descoped[p] = true
			}
			c.reads[prefix+p] = c.reads[prefix+p] || use == wholeUse
		}
		for _, m := range valuesRe.FindAllStringSubmatchIndex(action, -1) {
			record(strings.TrimPrefix(action[m[2]:m[3]], "."), m[0], m[1])
		}
		for _, m := range indexRe.FindAllStringSubmatchIndex(action, -1) {
			p := strings.TrimPrefix(action[m[2]:m[3]], ".")
			for _, q := range quoteRe.FindAllStringSubmatch(action[m[4]:m[5]], -1) {
				p = join(p, q[1])
			}
			record(p, m[0], m[1])
		}
		for _, m := range digRe.FindAllStringSubmatchIndex(action, -1) {
			args := action[m[2]:m[3]]
			keys := quoteRe.FindAllStringSubmatch(args, -1)
			if strings.TrimSpace(quoteRe.ReplaceAllString(args, "")) == "" && len(keys) > 0 {
				keys = keys[:len(keys)-1] // the last quoted argument was the default
			}
			p := strings.TrimPrefix(action[m[4]:m[5]], ".")
			for _, k := range keys {
				p = join(p, k[1])
			}
			record(p, m[0], m[1])
		}
	}
}

func join(p, k string) string {
	if p == "" {
		return k
	}
	return p + "." + k
}

type use int

const (
	plainUse    use = iota // read by name: only the keys the template names count
	wholeUse               // rendered, copied, iterated or merged into something rendered
	descopedUse            // merged into the root of .Values
)

// classify says how the reference action[at:end] uses its subtree. file is the whole template (for
// variables holding a merge result, and the body of a with block starting at file[actionEnd:]).
func (c *Chart) classify(file, action string, at, end, actionEnd int) use {
	before, after := action[:at], action[end:]
	if renderBeforeRe.MatchString(before) || renderAfterRe.MatchString(after) || rangeBeforeRe.MatchString(before) {
		return wholeUse
	}
	// The argument of a named template that renders or iterates it whole (istiod.resources ranges over
	// whatever limits/requests it is given).
	if m := includeBeforeRe.FindStringSubmatch(before); m != nil && c.helperWhole[m[1]] {
		return wholeUse
	}
	// An argument of merge* at the call's own nesting level (not inside a nested (dict ...)) counts when the
	// merge lands in the root of .Values, is rendered directly, or is kept in a variable the file renders.
	// A merge into a helper's argument (loki's component dicts) is read by name like any other use.
	if locs := mergeRe.FindAllStringIndex(before, -1); len(locs) > 0 {
		last := locs[len(locs)-1]
		args, head := before[last[1]:], before[:last[0]]
		if open := strings.TrimRight(args, "( \t\n"); strings.Count(open, "(") == strings.Count(open, ")") {
			switch {
			case rootTargetRe.MatchString(args):
				return descopedUse
			case renderBeforeRe.MatchString(head):
				return wholeUse
			}
			if m := assignRe.FindStringSubmatch(head); m != nil {
				v := regexp.QuoteMeta(m[1])
				rendered := regexp.MustCompile(`\b(toYaml|toJson|toPrettyJson|toRawJson|tpl)\s+\(?\s*` + v + `\b|` + v + `\s*\|\s*(toYaml|toJson|toPrettyJson|toRawJson)\b`)
				if rendered.MatchString(file) {
					return wholeUse
				}
			}
		}
	}
	// {{ with .Values.x }} ... {{ toYaml . }} ... {{ end }}: the block renders x whole.
	if withBeforeRe.MatchString(before) {
		body := file[actionEnd:]
		if e := endRe.FindStringIndex(body); e != nil {
			body = body[:e[0]]
		}
		if dotRenderRe.MatchString(body) {
			return wholeUse
		}
	}
	return plainUse
}

// Unknown returns, sorted, every leaf path of values (maps are walked; lists, scalars and empty maps are
// leaves) that the chart neither declares in its values nor reads in its templates. A path is known when:
//   - values.yaml declares it, or declares one of its parents as an empty map or null (free-form, like
//     annotations: {});
//   - a template reads exactly that path, or one of its children;
//   - a template hands a parent of it to the output whole (toYaml, tpl, range, a merge that is rendered, a
//     with block that renders the dot, or a named template that does one of these with its argument), as
//     charts do with free-form config blocks;
//   - its first key is merged into the root of .Values (istiod's pilot.*) and the rest of it is known.
func (c *Chart) Unknown(values map[string]any) []string {
	var unknown []string
	walkLeaves(values, nil, func(p []string) {
		if !c.known(p) {
			unknown = append(unknown, strings.Join(p, "."))
		}
	})
	sort.Strings(unknown)
	return unknown
}

func walkLeaves(v any, prefix []string, leaf func([]string)) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		if len(prefix) > 0 {
			leaf(prefix)
		}
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		walkLeaves(m[k], append(append([]string(nil), prefix...), k), leaf)
	}
}

func (c *Chart) known(p []string) bool {
	if len(p) > 1 && c.descoped[p[0]] && c.known(p[1:]) {
		return true
	}
	if c.declares(p) {
		return true
	}
	full := strings.Join(p, ".")
	if _, ok := c.reads[full]; ok {
		return true
	}
	for i := 1; i < len(p); i++ {
		if c.reads[strings.Join(p[:i], ".")] {
			return true
		}
	}
	for r := range c.reads {
		if strings.HasPrefix(r, full+".") {
			return true // we set a subtree (a list or an empty map) whose parts the templates read
		}
	}
	return false
}

// declares reports whether values.yaml declares p or makes a parent of p free-form.
func (c *Chart) declares(p []string) bool {
	var node any = c.declared
	for _, k := range p {
		m, ok := node.(map[string]any)
		if !ok {
			return node == nil // declared as null: a free-form slot
		}
		if len(m) == 0 {
			return true // declared as {}: a free-form map
		}
		next, ok := m[k]
		if !ok {
			return false
		}
		node = next
	}
	return true
}

// Explain says why path is unknown: the deepest parent the chart declares and the keys it declares there,
// which is usually enough to spot a rename.
func (c *Chart) Explain(dotted string) string {
	p := strings.Split(dotted, ".")
	var node any = c.declared
	depth := 0
	for _, k := range p {
		m, ok := node.(map[string]any)
		if !ok {
			break
		}
		next, ok := m[k]
		if !ok {
			break
		}
		node, depth = next, depth+1
	}
	where := "the top level"
	if depth > 0 {
		where = strings.Join(p[:depth], ".")
	}
	m, ok := node.(map[string]any)
	if !ok {
		return fmt.Sprintf("%s: %s %s declares %s as a %T, not a map, and no template reads the path",
			dotted, c.Name, c.Version, where, node)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 15 {
		keys = append(keys[:15], "...")
	}
	return fmt.Sprintf("%s: not in %s %s values.yaml (%s declares: %s) and no template reads it",
		dotted, c.Name, c.Version, where, strings.Join(keys, ", "))
}
