package chartsource

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Proxy is the loopback HTTPS proxy through which the provider reaches the chart repositories. It answers
// CONNECT only for the source's repository hosts, terminates TLS with certificates minted by its own CA
// (trusted through SSL_CERT_FILE in the processes the sandbox starts) and serves from the Source. It never
// dials out.
type Proxy struct {
	// Addr is host:port on 127.0.0.1.
	Addr string
	// CAFile is a PEM bundle holding the proxy's CA, for SSL_CERT_FILE.
	CAFile string

	src   *Source
	ln    net.Listener
	ca    *x509.Certificate
	caKey *ecdsa.PrivateKey
	mu    sync.Mutex
	certs map[string]*tls.Certificate
	log   *log.Logger
	wg    sync.WaitGroup
}

// Serve starts the proxy on a free loopback port. stateDir receives the CA bundle and the request log.
func (s *Source) Serve(stateDir string) (*Proxy, error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, err
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now().Add(-time.Hour)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "platform sandbox chart source (STAND-IN for chart repositories)"},
		NotBefore:             now,
		NotAfter:              now.Add(48 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, _ := x509.ParseCertificate(der)
	caFile := filepath.Join(stateDir, "chart-source-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(filepath.Join(stateDir, "chart-source.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{Addr: ln.Addr().String(), CAFile: caFile, src: s, ln: ln, ca: ca, caKey: caKey,
		certs: map[string]*tls.Certificate{}, log: log.New(logf, "", log.LstdFlags)}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Env makes Go programs (the Pulumi CLI, the providers, Helm inside the kubernetes provider) use the proxy
// for HTTPS and trust its CA, and keeps loopback traffic (the API server) direct.
func (p *Proxy) Env() map[string]string {
	return map[string]string{
		"HTTPS_PROXY":   "http://" + p.Addr,
		"https_proxy":   "http://" + p.Addr,
		"NO_PROXY":      "127.0.0.1,localhost,::1",
		"no_proxy":      "127.0.0.1,localhost,::1",
		"SSL_CERT_FILE": p.CAFile,
	}
}

// Close stops the proxy.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *Proxy) handle(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	if req.Method != http.MethodConnect {
		p.log.Printf("refused %s %s: plain HTTP", req.Method, req.URL)
		writeStatus(c, http.StatusForbidden, "the sandbox chart source serves HTTPS chart repositories only\n")
		return
	}
	host, _, err := net.SplitHostPort(req.Host)
	if err != nil {
		host = req.Host
	}
	if !slices.Contains(p.src.Hosts(), host) {
		p.log.Printf("refused CONNECT %s: not a chart repository in %s", req.Host, p.src.Dir)
		writeStatus(c, http.StatusForbidden, fmt.Sprintf("sandbox chart source: %s is not a chart repository in %s; the sandbox reaches no other host\n", host, p.src.Dir))
		return
	}
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	tc := tls.Server(&bufferedConn{Conn: c, r: br}, &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return p.certFor(host) },
	})
	if err := tc.Handshake(); err != nil {
		p.log.Printf("TLS with client for %s: %v", host, err)
		return
	}
	tr := bufio.NewReader(tc)
	for {
		r, err := http.ReadRequest(tr)
		if err != nil {
			return
		}
		resp := p.respond(host, r)
		if err := resp.Write(tc); err != nil {
			return
		}
		if r.Close {
			return
		}
	}
}

func (p *Proxy) respond(host string, r *http.Request) *http.Response {
	_, _ = io.Copy(io.Discard, r.Body)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return response(r, http.StatusMethodNotAllowed, []byte("chart repositories are read-only\n"))
	}
	idx, archive, err := p.src.Resolve(host, r.URL.Path)
	switch {
	case errors.Is(err, ErrNotARepository):
		p.log.Printf("404 https://%s%s", host, r.URL.Path)
		return response(r, http.StatusNotFound, []byte(err.Error()+"\n"))
	case err != nil:
		p.log.Printf("404 https://%s%s: %v", host, r.URL.Path, err)
		return response(r, http.StatusNotFound, []byte(err.Error()+"\n"))
	case idx != nil:
		p.log.Printf("200 https://%s%s (index)", host, r.URL.Path)
		return response(r, http.StatusOK, idx)
	}
	b, err := os.ReadFile(archive)
	if err != nil {
		return response(r, http.StatusInternalServerError, []byte(err.Error()+"\n"))
	}
	p.log.Printf("200 https://%s%s <- %s", host, r.URL.Path, archive)
	return response(r, http.StatusOK, b)
}

func response(r *http.Request, code int, body []byte) *http.Response {
	resp := &http.Response{
		StatusCode: code, Status: fmt.Sprintf("%d %s", code, http.StatusText(code)),
		ProtoMajor: 1, ProtoMinor: 1, Request: r, Header: http.Header{},
		ContentLength: int64(len(body)), Body: io.NopCloser(bytes.NewReader(body)),
	}
	if r.Method == http.MethodHead {
		resp.Body = http.NoBody
	}
	return resp
}

func writeStatus(w io.Writer, code int, msg string) {
	fmt.Fprintf(w, "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		code, http.StatusText(code), len(msg), msg)
}

func (p *Proxy) certFor(host string) (*tls.Certificate, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.certs[host]; ok {
		return c, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now().Add(-time.Hour)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    now,
		NotAfter:     now.Add(48 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	p.certs[host] = c
	return c, nil
}

// bufferedConn lets the TLS server read bytes the CONNECT parser already buffered.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }
