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
