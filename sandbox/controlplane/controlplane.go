// Package controlplane runs a real, local Kubernetes control plane for the proving ground: an embedded etcd
// (bin/etcd), kube-apiserver v1.34 and kube-controller-manager (bin/kube-apiserver,
// bin/kube-controller-manager), all built from sandbox/tools/controlplane and bound to 127.0.0.1 only.
//
// It stands in for an EKS cluster's control plane: the stand-in aws provider reports its endpoint and CA as
// the EKS cluster's, so the program's own kubeconfig and Kubernetes provider wiring reach it, and the REAL
// pulumi-kubernetes provider installs the real charts into it. What it is not: there is no kubelet or
// scheduler, so no pod ever runs; webhooks are registered but never called (no pod serves them); there is
// no cloud controller, so Services of type LoadBalancer get no address and volumes are never provisioned.
//
// Each cluster lives in its own directory (one per sandbox stack): its certificates, token, ports and etcd
// data are kept there, so a stack's state (which records the endpoint and CA) stays valid across runs.
package controlplane

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Binaries are the control plane's executables.
type Binaries struct {
	Etcd, APIServer, ControllerManager string
}

// BinariesIn returns the executables as `make controlplane` names them in binDir.
func BinariesIn(binDir string) Binaries {
	return Binaries{
		Etcd:              filepath.Join(binDir, "etcd"),
		APIServer:         filepath.Join(binDir, "kube-apiserver"),
		ControllerManager: filepath.Join(binDir, "kube-controller-manager"),
	}
}

// Missing lists the binaries that are not there.
func (b Binaries) Missing() []string {
	var out []string
	for _, p := range []string{b.Etcd, b.APIServer, b.ControllerManager} {
		if _, err := os.Stat(p); err != nil {
			out = append(out, p)
		}
	}
	return out
}

// ControlPlane is a running local cluster.
type ControlPlane struct {
	// Endpoint is the API server's URL (https://127.0.0.1:<port>), stable for the cluster directory.
	Endpoint string
	// CAData is the cluster CA certificate, base64-encoded PEM, as EKS reports certificateAuthority.data.
	CAData string
	// Token authenticates as a cluster admin (group system:masters).
	Token string
	// Kubeconfig is an admin kubeconfig file for people and tools (kubectl --kubeconfig ...).
	Kubeconfig string
	// Dir is the cluster directory; Logs holds each process's output.
	Dir, Logs string

	procs []*exec.Cmd
}

type ports struct {
	APIServer  int `json:"apiserver"`
	EtcdClient int `json:"etcdClient"`
	EtcdPeer   int `json:"etcdPeer"`
}

// Start brings the cluster in dir up (creating it on first use) and returns once the API server reports
// ready. Stop must be called to end the processes.
func Start(ctx context.Context, dir string, bins Binaries) (*ControlPlane, error) {
	if m := bins.Missing(); len(m) > 0 {
		return nil, fmt.Errorf("controlplane: missing %s (run `make controlplane`)", strings.Join(m, ", "))
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	cp := &ControlPlane{Dir: dir, Logs: filepath.Join(dir, "logs")}
	for _, d := range []string{dir, cp.Logs, filepath.Join(dir, "etcd")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("controlplane: %w", err)
		}
	}
	stopStale(dir)
	keys, err := ensurePKI(filepath.Join(dir, "pki"))
	if err != nil {
		return nil, fmt.Errorf("controlplane: certificates: %w", err)
	}
	p, err := ensurePorts(filepath.Join(dir, "ports.json"))
	if err != nil {
		return nil, fmt.Errorf("controlplane: ports: %w", err)
	}
	ca, err := os.ReadFile(keys.caCert)
	if err != nil {
		return nil, err
	}
	cp.Endpoint = fmt.Sprintf("https://127.0.0.1:%d", p.APIServer)
	cp.CAData = base64.StdEncoding.EncodeToString(ca)
	cp.Token = keys.token
	cp.Kubeconfig = filepath.Join(dir, "admin.kubeconfig")
	if err := os.WriteFile(cp.Kubeconfig, adminKubeconfig(cp), 0o600); err != nil {
		return nil, fmt.Errorf("controlplane: %w", err)
	}

	ok := false
	defer func() {
		if !ok {
			cp.Stop()
		}
	}()
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", p.EtcdClient)
	if err := cp.spawn("etcd", bins.Etcd,
		"-data-dir", filepath.Join(dir, "etcd"),
		"-client-url", etcdURL,
		"-peer-url", fmt.Sprintf("http://127.0.0.1:%d", p.EtcdPeer),
	); err != nil {
		return nil, err
	}
	if err := waitTCP(ctx, fmt.Sprintf("127.0.0.1:%d", p.EtcdClient), 60*time.Second); err != nil {
		return nil, cp.failed("etcd", err)
	}
	if err := cp.spawn("kube-apiserver", bins.APIServer, apiserverArgs(keys, p, etcdURL)...); err != nil {
		return nil, err
	}
	if err := cp.waitReady(ctx, ca, 120*time.Second); err != nil {
		return nil, cp.failed("kube-apiserver", err)
	}
	if err := cp.spawn("kube-controller-manager", bins.ControllerManager,
		"--kubeconfig", cp.Kubeconfig,
		// Only the controllers a Pulumi destroy depends on: namespace deletion (it finalizes Terminating
		// namespaces), garbage collection (foreground deletes of owners), the per-namespace default
		// ServiceAccount, and PVC/PV protection (they lift the kubernetes.io/pvc-protection finalizer from a
		// claim no pod uses, e.g. a chart's Grafana volume claim). Workload controllers would only create pods
		// that can never run.
		"--controllers", "namespace,garbagecollector,serviceaccount,pvc-protection,pv-protection",
		"--leader-elect=false",
		"--secure-port=0",
		"--use-service-account-credentials=false",
	); err != nil {
		return nil, err
	}
	ok = true
	return cp, nil
}

// apiserverArgs are kube-apiserver's flags. Each choice that departs from an EKS control plane says why.
func apiserverArgs(k pki, p ports, etcdURL string) []string {
	return []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(p.APIServer),
		"--tls-cert-file=" + k.servingCert,
		"--tls-private-key-file=" + k.servingKey,
		"--client-ca-file=" + k.caCert,
		// EKS authenticates with aws-iam-authenticator tokens; here one static admin token stands in for the
		// identity that holds the cluster-admin access entry.
		"--token-auth-file=" + k.tokens,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + k.saPub,
		"--service-account-signing-key-file=" + k.saKey,
		"--service-cluster-ip-range=172.20.0.0/16", // EKS's default service CIDR when none is set
		"--allow-privileged=true",
		// The `kubernetes` Service's Endpoints cannot hold a loopback address; nothing here needs them.
		"--endpoint-reconciler-type=none",
		// Webhook configurations are accepted and stored, but no pod serves them: calling them would fail
		// every request they match. Their admission plugins are off so the charts' objects reach the store.
		"--disable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook",
		"--profiling=false",
		"--v=0",
	}
}

// Env is what a process needs to reach the cluster (for tools such as the stand-in aws CLI).
func (cp *ControlPlane) Env() map[string]string {
	return map[string]string{
		"PLATFORM_SANDBOX_KUBE_ENDPOINT": cp.Endpoint,
		"PLATFORM_SANDBOX_KUBE_CA_DATA":  cp.CAData,
		"PLATFORM_SANDBOX_KUBE_TOKEN":    cp.Token,
	}
}

// Stop ends the processes, newest first, and waits for them.
func (cp *ControlPlane) Stop() {
	for i := len(cp.procs) - 1; i >= 0; i-- {
		c := cp.procs[i]
		if c.Process == nil {
			continue
		}
		_ = c.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = c.Process.Kill()
			<-done
		}
	}
	cp.procs = nil
	_ = os.Remove(filepath.Join(cp.Dir, "pids"))
}

func (cp *ControlPlane) spawn(name, bin string, args ...string) error {
	logf, err := os.OpenFile(filepath.Join(cp.Logs, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("controlplane: %w", err)
	}
	c := exec.Command(bin, args...)
	c.Stdout, c.Stderr = logf, logf
	// Own process group: a Ctrl-C to make reaches the driver, which stops these in order.
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("controlplane: starting %s: %w", name, err)
	}
	go func() { _ = c.Wait(); logf.Close() }()
	cp.procs = append(cp.procs, c)
	f, err := os.OpenFile(filepath.Join(cp.Dir, "pids"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err == nil {
		fmt.Fprintln(f, c.Process.Pid)
		f.Close()
	}
	return nil
}

// failed wraps a start-up error with the tail of the process's log.
func (cp *ControlPlane) failed(name string, err error) error {
	b, _ := os.ReadFile(filepath.Join(cp.Logs, name+".log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return fmt.Errorf("controlplane: %s did not become ready: %w\n%s (log %s):\n  %s", name, err, name,
		filepath.Join(cp.Logs, name+".log"), strings.Join(lines, "\n  "))
}

func (cp *ControlPlane) waitReady(ctx context.Context, caPEM []byte, limit time.Duration) error {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		if err := ctx.Err(); err != nil {
			return err
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, cp.Endpoint+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+cp.Token)
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("/readyz: %s: %s", resp.Status, strings.TrimSpace(string(body)))
		}
		last = err
		for _, c := range cp.procs {
			if c.ProcessState != nil {
				return fmt.Errorf("process exited: %s", c.ProcessState)
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %s: %v", limit, last)
}

func waitTCP(ctx context.Context, addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if err := ctx.Err(); err != nil {
			return err
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not listening after %s", addr, limit)
}

// ensurePorts picks three free loopback ports on first use and keeps them: the API server's port is part of
// the endpoint the stack's state records.
func ensurePorts(path string) (ports, error) {
	var p ports
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &p) == nil && p.APIServer > 0 {
		for _, port := range []int{p.APIServer, p.EtcdClient, p.EtcdPeer} {
			if !free(port) {
				return p, fmt.Errorf("port 127.0.0.1:%d recorded in %s is in use (another sandbox run on the same stack?)", port, path)
			}
		}
		return p, nil
	}
	var got []int
	for len(got) < 3 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return p, err
		}
		got = append(got, l.Addr().(*net.TCPAddr).Port)
		defer l.Close()
	}
	p = ports{APIServer: got[0], EtcdClient: got[1], EtcdPeer: got[2]}
	b, _ := json.Marshal(p)
	return p, os.WriteFile(path, b, 0o600)
}

func free(port int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// stopStale ends processes a killed earlier run left behind (their pids are recorded in dir/pids).
func stopStale(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, "pids"))
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 1 {
			continue
		}
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil {
			continue
		}
		base := filepath.Base(strings.TrimSuffix(exe, " (deleted)"))
		if base == "etcd" || base == "kube-apiserver" || base == "kube-controller-manager" {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	_ = os.Remove(filepath.Join(dir, "pids"))
	time.Sleep(200 * time.Millisecond)
}

func adminKubeconfig(cp *ControlPlane) []byte {
	cfg := map[string]any{
		"apiVersion": "v1",
		"kind":       "Config",
		"clusters": []any{map[string]any{"name": "sandbox", "cluster": map[string]any{
			"server": cp.Endpoint, "certificate-authority-data": cp.CAData,
		}}},
		"users":           []any{map[string]any{"name": "sandbox-admin", "user": map[string]any{"token": cp.Token}}},
		"contexts":        []any{map[string]any{"name": "sandbox", "context": map[string]any{"cluster": "sandbox", "user": "sandbox-admin"}}},
		"current-context": "sandbox",
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	return b
}
