// Package chartsource is the proving ground's STAND-IN for Helm chart repositories. The program's chart
// catalogue keeps the real repository URLs (https://prometheus-community.github.io/helm-charts, ...); in the
// sandbox, the real pulumi-kubernetes provider fetches them through an HTTPS proxy on 127.0.0.1 that this
// package runs, which answers for those repositories from a local chart source directory
// (../shared/charts here; on another machine, a directory filled from the repositories) and never connects
// anywhere else.
//
// What it mirrors: a Helm chart repository is an `index.yaml` listing every published version of each chart
// with download URLs, plus the archives (Helm's docs, "The Chart Repository Guide"; helm.sh/helm/v3
// pkg/repo/index.go is the format Helm reads). The index served here lists every version
// published-versions.json records for the repository, so a pin to a version that was never published fails
// as it would against the real repository ("chart ... version ... not found"); a published version whose
// archive is not in the local source fails when its archive is fetched, with a message naming it.
package chartsource

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/platform-team/platform/internal/charts/chartmirror"
)

// Source is a local chart source directory: <chart>-<version>.tgz archives and published-versions.json.
type Source struct {
	Dir       string
	Published chartmirror.Published
	// repos maps a repository URL (scheme, host and path, no trailing slash) to the charts it publishes.
	repos map[string][]string
}

// Load reads dir's published-versions.json.
func Load(dir string) (*Source, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	published, err := chartmirror.LoadPublished(dir)
	if err != nil {
		return nil, fmt.Errorf("chart source %s: %w (set PLATFORM_CHART_SOURCE to a directory of chart archives with a published-versions.json)", dir, err)
	}
	s := &Source{Dir: dir, Published: published, repos: map[string][]string{}}
	for name, p := range s.Published {
		key := repoKey(p.URL)
		s.repos[key] = append(s.repos[key], name)
	}
	return s, nil
}

// repoKey normalises a repository URL the way Helm joins paths onto it (a trailing slash is not part of it).
func repoKey(u string) string { return strings.TrimSuffix(strings.TrimSpace(u), "/") }

// Hosts are the repository hosts the source answers for.
func (s *Source) Hosts() []string {
	seen := map[string]bool{}
	for k := range s.repos {
		if u, err := url.Parse(k); err == nil {
			seen[u.Host] = true
		}
	}
	out := make([]string, 0, len(seen))
	for h := range seen {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// IsPublished reports whether version of chart was published in repository.
func (s *Source) IsPublished(repository, chart, version string) bool {
	p, ok := s.Published[chart]
	if !ok || repoKey(p.URL) != repoKey(repository) {
		return false
	}
	for _, v := range p.Versions {
		if v == version {
			return true
		}
	}
	return false
}

// Archive is the local path of chart's version, or an error naming what is missing.
func (s *Source) Archive(chart, version string) (string, error) {
	p := chartmirror.ArchivePath(s.Dir, chart, version)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("chart %s version %s is published but not in the local chart source %s: add %s-%s.tgz (helm pull) there",
			chart, version, s.Dir, chart, version)
	}
	return p, nil
}

// ErrNotARepository is returned for a URL that is no chart repository the source knows.
var ErrNotARepository = errors.New("not a chart repository in the local chart source")

// Resolve answers a GET for https://host/path: the repository's index.yaml, or a chart archive's path.
func (s *Source) Resolve(host, path string) (index []byte, archive string, err error) {
	for key, charts := range s.repos {
		u, perr := url.Parse(key)
		if perr != nil || u.Host != host {
			continue
		}
		base := strings.TrimSuffix(u.Path, "/")
		if !strings.HasPrefix(path, base+"/") {
			continue
		}
		file := strings.TrimPrefix(path, base+"/")
		if file == "index.yaml" {
			idx, err := s.index(key, charts)
			return idx, "", err
		}
		for _, c := range charts {
			if v, ok := strings.CutPrefix(file, c+"-"); ok && strings.HasSuffix(v, ".tgz") {
				v = strings.TrimSuffix(v, ".tgz")
				if !s.IsPublished(key, c, v) {
					continue
				}
				a, err := s.Archive(c, v)
				return nil, a, err
			}
		}
		return nil, "", fmt.Errorf("%s%s: %w", host, path, ErrNotARepository)
	}
	return nil, "", fmt.Errorf("%s%s: %w", host, path, ErrNotARepository)
}

type indexEntry struct {
	APIVersion  string   `yaml:"apiVersion"`
	Name        string   `yaml:"name"`
	Version     string   `yaml:"version"`
	AppVersion  string   `yaml:"appVersion,omitempty"`
	KubeVersion string   `yaml:"kubeVersion,omitempty"`
	Description string   `yaml:"description,omitempty"`
	Type        string   `yaml:"type,omitempty"`
	URLs        []string `yaml:"urls"`
	Digest      string   `yaml:"digest,omitempty"`
	Created     string   `yaml:"created"`
}

// index renders repository key's index.yaml: every published version of each chart, with the metadata of
// the archives present locally.
func (s *Source) index(key string, charts []string) ([]byte, error) {
	entries := map[string][]indexEntry{}
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	for _, c := range charts {
		for _, v := range s.Published[c].Versions {
			e := indexEntry{APIVersion: "v2", Name: c, Version: v, Created: created,
				URLs: []string{fmt.Sprintf("%s/%s-%s.tgz", key, c, v)}}
			if a, err := s.Archive(c, v); err == nil {
				if meta, digest, err := chartMeta(a); err == nil {
					e.APIVersion, e.AppVersion, e.KubeVersion = meta.APIVersion, meta.AppVersion, meta.KubeVersion
					e.Description, e.Type, e.Digest = meta.Description, meta.Type, digest
				}
			}
			entries[c] = append(entries[c], e)
		}
	}
	return yaml.Marshal(map[string]any{"apiVersion": "v1", "entries": entries, "generated": created})
}

// ChartMeta is the part of a chart's Chart.yaml the index and the tests read.
type ChartMeta struct {
	APIVersion  string `yaml:"apiVersion"`
	Name        string `yaml:"name"`
	Version     string `yaml:"version"`
	AppVersion  string `yaml:"appVersion"`
	KubeVersion string `yaml:"kubeVersion"`
	Description string `yaml:"description"`
	Type        string `yaml:"type"`
}

// chartMeta reads <chart>/Chart.yaml from an archive and returns it with the archive's sha256.
func chartMeta(archive string) (ChartMeta, string, error) {
	var m ChartMeta
	f, err := os.Open(archive)
	if err != nil {
		return m, "", err
	}
	defer f.Close()
	h := sha256.New()
	tee := io.TeeReader(f, h)
	gz, err := gzip.NewReader(tee)
	if err != nil {
		return m, "", err
	}
	tr := tar.NewReader(gz)
	found := false
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return m, "", err
		}
		parts := strings.Split(hdr.Name, "/")
		if !found && len(parts) == 2 && parts[1] == "Chart.yaml" {
			b, err := io.ReadAll(tr)
			if err != nil {
				return m, "", err
			}
			if err := yaml.Unmarshal(b, &m); err != nil {
				return m, "", err
			}
			found = true
		}
	}
	_, _ = io.Copy(io.Discard, tee) // the digest covers the whole file
	if !found {
		return m, "", fmt.Errorf("%s: no Chart.yaml", archive)
	}
	return m, hex.EncodeToString(h.Sum(nil)), nil
}
