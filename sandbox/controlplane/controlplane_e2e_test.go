//go:build e2e

package controlplane_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/sandbox/controlplane"
)

func bins(t *testing.T) controlplane.Binaries {
	_, file, _, _ := runtime.Caller(0)
	b := controlplane.BinariesIn(filepath.Join(filepath.Dir(file), "..", "..", "bin"))
	require.Empty(t, b.Missing(), "run `make controlplane` first")
	return b
}

func call(t *testing.T, cp *controlplane.ControlPlane, method, path, body string) (int, string) {
	ca, err := base64.StdEncoding.DecodeString(cp.CAData)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(ca))
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, err := http.NewRequest(method, cp.Endpoint+path, bytes.NewBufferString(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+cp.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The control plane is a real API server: it authenticates the admin token, validates objects, keeps them
// across a restart on the same endpoint and CA, and finishes a namespace's deletion (the controller
// manager's namespace controller).
func TestAControlPlaneKeepsItsEndpointAndDataAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	start := time.Now()
	cp, err := controlplane.Start(ctx, dir, bins(t))
	require.NoError(t, err)
	t.Logf("ready in %s at %s", time.Since(start).Round(time.Millisecond), cp.Endpoint)

	code, body := call(t, cp, "POST", "/api/v1/namespaces", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a"}}`)
	require.Equal(t, http.StatusCreated, code, body)
	code, body = call(t, cp, "POST", "/api/v1/namespaces", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"Not_A_Name"}}`)
	assert.Equal(t, http.StatusUnprocessableEntity, code, "the API server validates names: %s", body)
	code, _ = call(t, cp, "GET", "/api/v1/namespaces", "")
	assert.Equal(t, http.StatusOK, code)

	endpoint, caData := cp.Endpoint, cp.CAData
	cp.Stop()
	cp, err = controlplane.Start(ctx, dir, bins(t))
	require.NoError(t, err)
	defer cp.Stop()
	assert.Equal(t, endpoint, cp.Endpoint, "the endpoint recorded in a stack's state stays valid")
	assert.Equal(t, caData, cp.CAData)
	code, body = call(t, cp, "GET", "/api/v1/namespaces/team-a", "")
	require.Equal(t, http.StatusOK, code, "etcd's data survives a restart: %s", body)

	code, body = call(t, cp, "DELETE", "/api/v1/namespaces/team-a", "")
	require.Equal(t, http.StatusOK, code, body)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if code, _ = call(t, cp, "GET", "/api/v1/namespaces/team-a", ""); code == http.StatusNotFound {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	assert.Equal(t, http.StatusNotFound, code, "the namespace controller finishes a namespace's deletion")
}

// Objects lists every kind of a group, also one served only in a version the group does not prefer (Kyverno's
// ClusterPolicy is kyverno.io/v1 while kyverno.io prefers v2), and an object once however many versions serve it.
func TestObjectsListsKindsOfEveryServedVersion(t *testing.T) {
	cp, err := controlplane.Start(context.Background(), t.TempDir(), bins(t))
	require.NoError(t, err)
	defer cp.Stop()
	crd := func(kind, plural string, versions ...string) string {
		vs := ""
		for i, v := range versions {
			if i > 0 {
				vs += ","
			}
			vs += `{"name":"` + v + `","served":true,"storage":` + map[bool]string{true: "true", false: "false"}[i == len(versions)-1] +
				`,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}`
		}
		return `{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"` + plural + `.example.platform.io"},` +
			`"spec":{"group":"example.platform.io","scope":"Cluster","names":{"kind":"` + kind + `","plural":"` + plural + `"},"versions":[` + vs + `]}}`
	}
	for _, body := range []string{crd("Old", "olds", "v1"), crd("New", "news", "v1", "v2")} {
		code, out := call(t, cp, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", body)
		require.Equal(t, http.StatusCreated, code, out)
	}
	var code int
	var out string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		if code, out = call(t, cp, "POST", "/apis/example.platform.io/v1/olds", `{"apiVersion":"example.platform.io/v1","kind":"Old","metadata":{"name":"only-v1"}}`); code == http.StatusCreated {
			break
		}
	}
	require.Equal(t, http.StatusCreated, code, out)
	code, out = call(t, cp, "POST", "/apis/example.platform.io/v2/news", `{"apiVersion":"example.platform.io/v2","kind":"New","metadata":{"name":"both"}}`)
	require.Equal(t, http.StatusCreated, code, out)

	objs, err := cp.Objects(context.Background())
	require.NoError(t, err)
	count := map[string]int{}
	for _, o := range objs {
		if o.Group == "example.platform.io" {
			count[o.Kind+"/"+o.Name]++
		}
	}
	assert.Equal(t, map[string]int{"Old/only-v1": 1, "New/both": 1}, count)
}
