package controlplane

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki is the control plane's key material, generated once per cluster directory and kept, so the endpoint's
// CA (which the stand-in EKS cluster reports and Pulumi stores in state) is the same on every run.
type pki struct {
	caCert, caKey           string // cluster CA, signs the serving certificate
	servingCert, servingKey string // kube-apiserver's serving certificate for 127.0.0.1 and localhost
	saKey, saPub            string // service-account token signing key pair
	tokens                  string // --token-auth-file: the one admin token
	token                   string
}

func pkiPaths(dir string) pki {
	p := func(n string) string { return filepath.Join(dir, n) }
	return pki{
		caCert: p("ca.crt"), caKey: p("ca.key"),
		servingCert: p("apiserver.crt"), servingKey: p("apiserver.key"),
		saKey: p("sa.key"), saPub: p("sa.pub"),
		tokens: p("tokens.csv"),
	}
}

// ensurePKI creates the key material in dir unless a complete set is already there.
func ensurePKI(dir string) (pki, error) {
	k := pkiPaths(dir)
	tokenFile := filepath.Join(dir, "token")
	if allExist(k.caCert, k.caKey, k.servingCert, k.servingKey, k.saKey, k.saPub, k.tokens, tokenFile) {
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			return k, err
		}
		k.token = string(b)
		return k, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return k, err
	}
	now := time.Now().Add(-time.Hour)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return k, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "platform-sandbox-cluster-ca (stand-in for the EKS cluster CA)"},
		NotBefore:             now,
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return k, err
	}
	ca, _ := x509.ParseCertificate(caDER)

	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return k, err
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now,
		NotAfter:     now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		return k, err
	}
	// Service-account tokens are signed with RSA, the key type kube-apiserver's examples use.
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return k, err
	}
	saPub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return k, err
	}
	tok := make([]byte, 24)
	if _, err := rand.Read(tok); err != nil {
		return k, err
	}
	k.token = "sandbox-" + hex.EncodeToString(tok)

	caKeyDER, _ := x509.MarshalECPrivateKey(caKey)
	srvKeyDER, _ := x509.MarshalECPrivateKey(srvKey)
	writes := []struct {
		path, typ string
		der       []byte
	}{
		{k.caCert, "CERTIFICATE", caDER},
		{k.caKey, "EC PRIVATE KEY", caKeyDER},
		{k.servingCert, "CERTIFICATE", srvDER},
		{k.servingKey, "EC PRIVATE KEY", srvKeyDER},
		{k.saKey, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(saKey)},
		{k.saPub, "PUBLIC KEY", saPub},
	}
	for _, w := range writes {
		if err := os.WriteFile(w.path, pem.EncodeToMemory(&pem.Block{Type: w.typ, Bytes: w.der}), 0o600); err != nil {
			return k, err
		}
	}
	// token,user,uid,"group1,group2": system:masters is the group RBAC treats as cluster-admin, like the
	// admin access entry (AmazonEKSClusterAdminPolicy) EKS maps the cluster creator to.
	line := fmt.Sprintf("%s,sandbox-admin,sandbox-admin,\"system:masters\"\n", k.token)
	if err := os.WriteFile(k.tokens, []byte(line), 0o600); err != nil {
		return k, err
	}
	return k, os.WriteFile(tokenFile, []byte(k.token), 0o600)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

func allExist(paths ...string) bool {
	for _, p := range paths {
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			return false
		}
	}
	return true
}
