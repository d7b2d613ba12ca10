package chartmirror

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// tgz packs files (path -> content) the way `helm package` lays a chart out.
func tgz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}))
		_, err := tw.Write([]byte(files[n]))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// demoChart exercises every way a chart can know a key.
func demoChart(t *testing.T) string {
	t.Helper()
	sub := tgz(t, map[string]string{
		"metrics/Chart.yaml":            "name: metrics\nversion: 2.0.0\n",
		"metrics/values.yaml":           "port: 9100\nglobal:\n  imageRegistry: \"\"\n",
		"metrics/templates/svc.yaml":    "port: {{ .Values.port }} scheme: {{ .Values.scheme }} reg: {{ .Values.global.imageRegistry }}\n",
		"metrics/templates/_helpers.tp": "",
	})
	dir := t.TempDir()
	files := map[string]string{
		"demo/Chart.yaml": "name: demo\nversion: 1.2.3\nkubeVersion: \">= 1.29.0-0\"\n" +
			"dependencies:\n- name: metrics\n  alias: exporter\n- name: crds\n",
		"demo/values.yaml": `
replicas: 1
podAnnotations: {}
extra: ~
server:
  image: {tag: v1}
  ha: {enabled: false}
meshConfig: {a: 1}
component: {size: 1}
exporter:
  port: 9200
config: |
  {{- with .Values.limits }}
  limits: {{ tpl (. | toYaml) $ }}
  {{- end }}
`,
		"demo/templates/deploy.yaml": `
replicas: {{ .Values.replicas }}
{{- if .Values.server.tls.enabled }}tls{{ end }}
env: {{ toYaml .Values.env | nindent 2 }}
{{- range $k, $v := .Values.extraArgs }}- --{{ $k }}={{ $v }}{{- end }}
{{- with .Values.tolerations }}
tolerations: {{ toYaml . | nindent 2 }}
{{- end }}
{{- $mesh := mergeOverwrite (dict "x" 1) .Values.meshConfig }}
mesh: {{ $mesh | toYaml }}
{{- include "demo.pdb" (dict "component" (mergeOverwrite (dict) .Values.component)) }}
bucket: {{ dig "storage" "bucket" "" .Values.store }}
{{ include "demo.resources" .Values.resources }}
{{ index .Values "strange-key" }}
`,
		"demo/templates/zzy_descope.yaml": `{{- $_ := mustMergeOverwrite $.Values (index $.Values "pilot") }}`,
		"demo/templates/_helpers.tpl": `
{{- define "demo.resources" -}}
{{- range $key := list "limits" "requests" }}{{ index $ $key }}{{- end }}
{{- end }}
{{- define "demo.pdb" -}}
{{ .component.size }}
{{- end }}
`,
		"demo/charts/crds/Chart.yaml":  "name: crds\nversion: 0.0.0\n",
		"demo/charts/crds/values.yaml": "enabled: true\n",
	}
	archive := tgz(t, files)
	// Splice the metrics subchart in as a nested archive (charts/metrics-2.0.0.tgz), as `helm dependency
	// build` leaves it.
	all := map[string]string{"demo/charts/metrics-2.0.0.tgz": string(sub)}
	for k, v := range files {
		all[k] = v
	}
	archive = tgz(t, all)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "demo-1.2.3.tgz"), archive, 0o644))
	return dir
}

func TestUnknownKeysFromArchive(t *testing.T) {
	c, err := Open(demoChart(t), "demo", "1.2.3")
	require.NoError(t, err)
	require.Equal(t, ">= 1.29.0-0", c.KubeVersion)
	require.Equal(t, map[string]string{"exporter": "metrics@2.0.0", "crds": "crds@0.0.0"}, c.Dependencies)

	known := map[string]any{
		"replicas":       2,                                                  // declared
		"podAnnotations": map[string]any{"a": "b"},                           // declared {}: free-form
		"extra":          map[string]any{"anything": map[string]any{"x": 1}}, // declared null: free-form
		"server": map[string]any{
			"image": map[string]any{"tag": "v2"},
			"tls":   map[string]any{"enabled": true}, // not declared, read by name
		},
		"env":         []any{"A=1"},                                             // rendered whole (toYaml .Values.env)
		"extraArgs":   map[string]any{"v": 4, "expander": "x"},                  // ranged over
		"tolerations": map[string]any{"key": map[string]any{"x": 1}},            // with + toYaml .
		"meshConfig":  map[string]any{"b": map[string]any{"c": 1}},              // merged into a rendered variable
		"limits":      map[string]any{"retention": "7d"},                        // read by the tpl config in values.yaml
		"store":       map[string]any{"storage": map[string]any{"bucket": "b"}}, // dig
		"resources":   map[string]any{"limits": map[string]any{"cpu": "1"}},     // helper ranges over it
		"strange-key": true,                                                     // index .Values "strange-key"
		"pilot":       map[string]any{"replicas": 3},                            // descoped to the top level
		"exporter":    map[string]any{"port": 1, "scheme": "https"},             // subchart under its alias
		"crds":        map[string]any{"enabled": false},                         // unpacked subchart
		"global":      map[string]any{"imageRegistry": "r"},                     // subchart global
		"component":   map[string]any{"size": 2},
	}
	require.Empty(t, c.Unknown(known))

	typos := map[string]any{
		"replica":    1,
		"server":     map[string]any{"image": map[string]any{"tags": "v2"}, "ha": map[string]any{"enabeld": true}},
		"meshConfig": map[string]any{"a": 2},                                   // still fine
		"component":  map[string]any{"sise": 2},                                // merged only into a helper's argument
		"pilot":      map[string]any{"replicaz": 3},                            // descoped, but no such top-level key
		"exporter":   map[string]any{"portt": 1},                               // subchart typo
		"metrics":    map[string]any{"port": 1},                                // chart name instead of its alias
		"store":      map[string]any{"storage": map[string]any{"buckets": ""}}, // dig names bucket
	}
	require.Equal(t, []string{
		"component.sise", "exporter.portt", "metrics.port", "pilot.replicaz", "replica",
		"server.ha.enabeld", "server.image.tags", "store.storage.buckets",
	}, c.Unknown(typos))
	require.Contains(t, c.Explain("server.ha.enabeld"), "server.ha declares: enabled")
}

func TestOpenNamesWhatIsMissing(t *testing.T) {
	dir := demoChart(t)
	_, err := Open(dir, "demo", "9.9.9")
	require.ErrorContains(t, err, "chart demo 9.9.9: no archive in the mirror")
	require.NoError(t, os.Rename(filepath.Join(dir, "demo-1.2.3.tgz"), filepath.Join(dir, "demo-1.2.4.tgz")))
	_, err = Open(dir, "demo", "1.2.4")
	require.ErrorContains(t, err, "Chart.yaml says version 1.2.3")
}

func TestPublishedCheck(t *testing.T) {
	p := Published{"loki": {URL: "https://grafana-community.github.io/helm-charts", Source: "index.yaml",
		Versions: []string{"8.1.2", "8.1.3", "8.2.0-rc.1", "18.10.0", "18.11.0"}}}
	require.NoError(t, p.Check("https://grafana-community.github.io/helm-charts/", "loki", "8.1.3"))
	require.EqualError(t, p.Check("https://grafana-community.github.io/helm-charts", "loki", "8.2.0"),
		`chart "loki" version 8.2.0 was never published to https://grafana-community.github.io/helm-charts (per index.yaml); newest published: 18.11.0`)
	require.ErrorContains(t, p.Check("https://grafana-community.github.io/helm-charts", "loki", "8.1.9"),
		"newest published in its minor line: 8.1.3")
	require.ErrorContains(t, p.Check("https://grafana.github.io/helm-charts", "loki", "8.1.3"),
		"pinned repository https://grafana.github.io/helm-charts, but it is published to https://grafana-community.github.io/helm-charts")
	require.ErrorContains(t, p.Check("x", "tempo", "1.0.0"), `chart "tempo" is not listed`)
	behind, err := p["loki"].LinesBehind("8.1.3")
	require.NoError(t, err)
	require.Equal(t, 2, behind) // 18.10 and 18.11
}

func TestKubeVersionAllows(t *testing.T) {
	for _, tc := range []struct {
		constraint, kube string
		want             bool
	}{
		{"", "1.32", true},
		{">= 1.19.0-0", "1.32", true},
		{">=v1.23.0-0", "1.34", true},
		{">=1.25.0-0", "1.24", false},
		{"^1.8.0-0", "1.34", true},
		{"^1.8.0-0", "2.0", false},
		{">=1.29.0-0 <1.34.0-0", "1.34", false},
		{">=1.29.0-0, <1.34.0-0", "1.33", true},
		{"~1.33.0", "1.33", true},
		{"<1.20 || >=1.32", "1.32", true},
		{"<1.20 || >=1.33", "1.32", false},
	} {
		got, err := KubeVersionAllows(tc.constraint, tc.kube)
		require.NoError(t, err, tc.constraint)
		require.Equal(t, tc.want, got, "%q admits %s", tc.constraint, tc.kube)
	}
	_, err := KubeVersionAllows(">= banana", "1.32")
	require.Error(t, err)
}

func TestDirFailsNamingThePath(t *testing.T) {
	root := filepath.Join(t.TempDir(), "clone")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "internal"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("module "+modulePath+"\n"), 0o644))
	t.Chdir(filepath.Join(root, "internal"))
	_, err := Dir()
	want := filepath.Join(filepath.Dir(root), "shared", "charts")
	require.ErrorContains(t, err, "chart mirror "+want+" is missing")

	require.NoError(t, os.MkdirAll(want, 0o755))
	got, err := Dir()
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(got, filepath.Join("shared", "charts")), got)
}
