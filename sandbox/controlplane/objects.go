package controlplane

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// Object names one stored object: "group/Kind namespace/name" (core group empty, cluster-scoped objects
// without a namespace).
type Object struct {
	Group, Kind, Namespace, Name string
}

func (o Object) String() string {
	ns := o.Namespace
	if ns != "" {
		ns += "/"
	}
	return fmt.Sprintf("%s/%s %s%s", o.Group, o.Kind, ns, o.Name)
}

// Objects lists every object the API server stores, through discovery and a list of every listable
// resource, skipping Events and Leases (records of activity, not configuration). Tests compare the list
// before an up and after a destroy to prove a destroy leaves nothing behind.
func (cp *ControlPlane) Objects(ctx context.Context) ([]Object, error) {
	c, err := cp.client()
	if err != nil {
		return nil, err
	}
	gvs := []string{"/api/v1"}
	var groups struct {
		Groups []struct {
			Versions []struct{ GroupVersion string } `json:"versions"`
			Pref     struct{ GroupVersion string }   `json:"preferredVersion"`
		} `json:"groups"`
	}
	if err := c.get(ctx, "/apis", &groups); err != nil {
		return nil, err
	}
	// Every served version, not only the preferred one: a kind may exist in one version of its group only
	// (Kyverno's ClusterPolicy is kyverno.io/v1 while the group prefers v2). Objects served in several versions
	// are listed once.
	for _, g := range groups.Groups {
		for _, v := range g.Versions {
			gvs = append(gvs, "/apis/"+v.GroupVersion)
		}
	}
	seen := map[Object]bool{}
	var out []Object
	for _, gv := range gvs {
		var rl struct {
			GroupVersion string `json:"groupVersion"`
			Resources    []struct {
				Name  string   `json:"name"`
				Kind  string   `json:"kind"`
				Verbs []string `json:"verbs"`
			} `json:"resources"`
		}
		if err := c.get(ctx, gv, &rl); err != nil {
			// An aggregated API whose backing service never runs here (no pods) cannot be discovered.
			continue
		}
		group := ""
		if i := strings.Index(rl.GroupVersion, "/"); i >= 0 {
			group = rl.GroupVersion[:i]
		}
		for _, r := range rl.Resources {
			if strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "list") || r.Kind == "Event" || r.Kind == "Lease" {
				continue
			}
			var list struct {
				Items []struct {
					Metadata struct{ Name, Namespace string } `json:"metadata"`
				} `json:"items"`
			}
			if err := c.get(ctx, gv+"/"+r.Name, &list); err != nil {
				continue
			}
			for _, it := range list.Items {
				o := Object{Group: group, Kind: r.Kind, Namespace: it.Metadata.Namespace, Name: it.Metadata.Name}
				if !seen[o] {
					seen[o] = true
					out = append(out, o)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out, nil
}

type apiClient struct {
	base, token string
	http        *http.Client
}

func (cp *ControlPlane) client() (*apiClient, error) {
	ca, err := base64.StdEncoding.DecodeString(cp.CAData)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &apiClient{base: cp.Endpoint, token: cp.Token, http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool}},
	}}, nil
}

func (c *apiClient) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.Unmarshal(b, v)
}
