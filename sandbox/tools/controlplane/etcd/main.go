// Command etcd runs a single-member etcd for the sandbox's local control plane, embedded from
// go.etcd.io/etcd/server/v3 (the same etcd release k8s.io/kubernetes v1.34 builds against), on loopback
// only. It exists so the proving ground needs no etcd package from the host: `make controlplane` builds it
// beside kube-apiserver from this tools module.
//
// Usage: etcd -data-dir DIR -client-url http://127.0.0.1:PORT -peer-url http://127.0.0.1:PORT
package main

import (
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	dataDir := flag.String("data-dir", "", "directory for etcd's data (required)")
	client := flag.String("client-url", "http://127.0.0.1:2379", "client URL; must be on loopback")
	peer := flag.String("peer-url", "http://127.0.0.1:2380", "peer URL; must be on loopback")
	flag.Parse()
	if *dataDir == "" {
		log.Fatal("etcd: -data-dir is required")
	}
	cu, err := loopback(*client)
	if err != nil {
		log.Fatalf("etcd: -client-url: %v", err)
	}
	pu, err := loopback(*peer)
	if err != nil {
		log.Fatalf("etcd: -peer-url: %v", err)
	}

	cfg := embed.NewConfig()
	cfg.Name = "sandbox"
	cfg.Dir = *dataDir
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster = fmt.Sprintf("%s=%s", cfg.Name, pu.String())
	cfg.LogLevel = "error"
	// A rehearsal store: no fsync per write keeps a 2-core machine responsive; the data is thrown away.
	cfg.UnsafeNoFsync = true

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		log.Fatalf("etcd: %v", err)
	}
	defer e.Close()
	select {
	case <-e.Server.ReadyNotify():
		fmt.Fprintf(os.Stderr, "etcd: ready on %s\n", cu)
	case <-time.After(60 * time.Second):
		e.Server.Stop()
		log.Fatal("etcd: not ready after 60s")
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case <-sig:
	case err := <-e.Err():
		log.Fatalf("etcd: %v", err)
	}
}

func loopback(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return nil, fmt.Errorf("%q is not a loopback address", raw)
	}
	return u, nil
}
