package chartmirror

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

var constraintRe = regexp.MustCompile(`(>=|<=|!=|>|<|=|\^|~)?\s*(v?[0-9][0-9A-Za-z.\-+]*)`)

// KubeVersionAllows reports whether a Chart.yaml kubeVersion constraint (Helm's semver ranges: comparisons
// joined by spaces or commas, alternatives joined by ||, ^ and ~ ranges) admits the Kubernetes minor
// version kube ("1.33"). An empty constraint admits every version. Pre-release suffixes such as the usual
// "-0" (which lets EKS's "v1.33.5-eks-..." match) are ignored.
func KubeVersionAllows(constraint, kube string) (bool, error) {
	if strings.TrimSpace(constraint) == "" {
		return true, nil
	}
	k, ok := ParseSemver(kube + ".0")
	if !ok {
		return false, fmt.Errorf("kubernetes version %q: want major.minor", kube)
	}
	for _, alt := range strings.Split(constraint, "||") {
		terms := constraintRe.FindAllStringSubmatch(alt, -1)
		if len(terms) == 0 {
			return false, fmt.Errorf("kubeVersion %q: no version in %q", constraint, alt)
		}
		all := true
		for _, t := range terms {
			v, ok := ParseSemver(padVersion(t[2]))
			if !ok {
				return false, fmt.Errorf("kubeVersion %q: cannot parse %q", constraint, t[2])
			}
			v.Pre = ""
			all = all && satisfies(k, t[1], v)
		}
		if all {
			return true, nil
		}
	}
	return false, nil
}

func padVersion(v string) string {
	core, rest := v, ""
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		core, rest = v[:i], v[i:]
	}
	for strings.Count(core, ".") < 2 {
		core += ".0"
	}
	return core + rest
}

func satisfies(k Semver, op string, v Semver) bool {
	switch op {
	case ">=":
		return !k.Less(v)
	case ">":
		return v.Less(k)
	case "<=":
		return !v.Less(k)
	case "<":
		return k.Less(v)
	case "!=":
		return k != v
	case "^": // same major (or, below 1.0, same minor)
		if v.Major == 0 {
			return k.Major == 0 && k.Minor == v.Minor && !k.Less(v)
		}
		return k.Major == v.Major && !k.Less(v)
	case "~": // same minor
		return k.Major == v.Major && k.Minor == v.Minor && !k.Less(v)
	default: // "=" or none
		return k == v
	}
}

// ManifestEntry is one row of the mirror's MANIFEST.tsv: how an archive was made and what it requires.
type ManifestEntry struct {
	Chart, Version, AppVersion, KubeVersion, Source, Dependencies, Notes string
	// MinKubernetes is the minimum Kubernetes minor the notes record for charts that state none in
	// Chart.yaml (Istio: "Istio minimum Kubernetes: min 1.32"); "" when none is recorded.
	MinKubernetes string
}

var minKubeRe = regexp.MustCompile(`minimum Kubernetes:?\s*(?:min\s*)?(\d+\.\d+)`)

// LoadManifest reads dir/MANIFEST.tsv keyed by "chart@version".
func LoadManifest(dir string) (map[string]ManifestEntry, error) {
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]ManifestEntry{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 0; sc.Scan(); line++ {
		cols := strings.Split(sc.Text(), "\t")
		if line == 0 || len(cols) < 2 {
			continue // header
		}
		for len(cols) < 7 {
			cols = append(cols, "")
		}
		e := ManifestEntry{Chart: cols[0], Version: cols[1], AppVersion: cols[2], KubeVersion: cols[3],
			Source: cols[4], Dependencies: cols[5], Notes: cols[6]}
		if m := minKubeRe.FindStringSubmatch(e.Notes); m != nil {
			e.MinKubernetes = m[1]
		}
		out[e.Chart+"@"+e.Version] = e
	}
	return out, sc.Err()
}

// MinorLess compares two "major.minor" Kubernetes versions.
func MinorLess(a, b string) bool {
	pa, pb := strings.SplitN(a, ".", 2), strings.SplitN(b, ".", 2)
	if len(pa) != 2 || len(pb) != 2 {
		return a < b
	}
	ma, _ := strconv.Atoi(pa[0])
	mb, _ := strconv.Atoi(pb[0])
	if ma != mb {
		return ma < mb
	}
	na, _ := strconv.Atoi(pa[1])
	nb, _ := strconv.Atoi(pb[1])
	return na < nb
}
