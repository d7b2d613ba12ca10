package chartsource_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/platform-team/platform/sandbox/chartsource"
)

// sharedCharts is ../shared/charts beside the repository, as CI lays it out.
func sharedCharts(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "charts")
	_, err := os.Stat(filepath.Join(dir, "published-versions.json"))
	require.NoError(t, err, "the local chart source ../shared/charts must exist beside the repository")
	return dir
}

func client(t *testing.T, p *chartsource.Proxy) *http.Client {
	pem, err := os.ReadFile(p.CAFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	proxy, _ := url.Parse("http://" + p.Addr)
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	resp, err := c.Get(u)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestTheProxyServesARepositoryIndexAndArchivesFromTheLocalSource(t *testing.T) {
	src, err := chartsource.Load(sharedCharts(t))
	require.NoError(t, err)
	p, err := src.Serve(t.TempDir())
	require.NoError(t, err)
	defer p.Close()
	c := client(t, p)

	code, body := get(t, c, "https://istio-release.storage.googleapis.com/charts/index.yaml")
	require.Equal(t, http.StatusOK, code, body)
	var idx struct {
		Entries map[string][]struct {
			Name, Version, Digest, KubeVersion string
			URLs                               []string
		}
	}
	require.NoError(t, yaml.Unmarshal([]byte(body), &idx))
	var mirrored, listedOnly bool
	for _, e := range idx.Entries["base"] {
		if e.Version == "1.27.3" {
			mirrored = e.Digest != ""
			assert.Equal(t, []string{"https://istio-release.storage.googleapis.com/charts/base-1.27.3.tgz"}, e.URLs)
		}
		if e.Version == "1.20.0" {
			listedOnly = e.Digest == "" // published, not in the local source
		}
	}
	assert.True(t, mirrored, "base 1.27.3 is in the local source: its entry carries the archive's digest")
	assert.True(t, listedOnly, "every published version is listed, as the real repository lists it")
	assert.NotContains(t, idx.Entries, "kube-prometheus-stack", "an index lists only its own repository's charts")

	code, body = get(t, c, "https://istio-release.storage.googleapis.com/charts/base-1.27.3.tgz")
	assert.Equal(t, http.StatusOK, code)
	assert.True(t, strings.HasPrefix(body, "\x1f\x8b"), "a gzip archive")

	code, body = get(t, c, "https://istio-release.storage.googleapis.com/charts/base-1.20.0.tgz")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, body, "chart base version 1.20.0 is published but not in the local chart source")

	code, body = get(t, c, "https://istio-release.storage.googleapis.com/charts/base-9.9.9.tgz")
	assert.Equal(t, http.StatusNotFound, code, "a version that was never published does not exist")
	assert.Contains(t, body, "not a chart repository")

	code, body = get(t, c, "https://example.com/index.yaml")
	assert.NotEqual(t, http.StatusOK, code, "the proxy reaches no host but the chart repositories: %s", body)
}

func TestAMissingSourceNamesTheDirectory(t *testing.T) {
	_, err := chartsource.Load(filepath.Join(t.TempDir(), "nowhere"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nowhere")
	assert.Contains(t, err.Error(), "published-versions.json")
}
