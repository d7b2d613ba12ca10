package controlplane

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// FinishNamespaceDeletions is the one place the sandbox stands in for a controller's behaviour. The real
// namespace controller (kube-controller-manager, pkg/controller/namespace/deletion) removes a terminating
// namespace's `kubernetes` finalizer once every object in it is gone, but it refuses to while any API group
// cannot be discovered. Here aggregated APIs such as metrics.k8s.io (metrics-server) and
// external.metrics.k8s.io (KEDA) are registered but never served (no pod runs), so every namespace deletion
// would wait forever, which on a real cluster lasts only until those pods answer or their APIService is gone.
//
// It acts only on a namespace that is terminating, whose NamespaceDeletionDiscoveryFailure condition is true
// (the controller's own report that discovery alone is in the way), and that holds no object in any
// discoverable resource; then it finalizes it as the controller would. It runs until ctx ends.
func (cp *ControlPlane) FinishNamespaceDeletions(ctx context.Context) {
	c, err := cp.client()
	if err != nil {
		return
	}
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var list struct {
			Items []json.RawMessage `json:"items"`
		}
		if err := c.get(ctx, "/api/v1/namespaces", &list); err != nil {
			continue
		}
		for _, raw := range list.Items {
			var ns struct {
				Metadata struct {
					Name              string  `json:"name"`
					DeletionTimestamp *string `json:"deletionTimestamp"`
				} `json:"metadata"`
				Status struct {
					Conditions []struct{ Type, Status string } `json:"conditions"`
				} `json:"status"`
			}
			if json.Unmarshal(raw, &ns) != nil || ns.Metadata.DeletionTimestamp == nil || !discoveryBlocked(ns.Status.Conditions) {
				continue
			}
			if n, err := cp.objectsIn(ctx, ns.Metadata.Name); err != nil || n > 0 {
				continue
			}
			var obj map[string]any
			if json.Unmarshal(raw, &obj) != nil {
				continue
			}
			if spec, ok := obj["spec"].(map[string]any); ok {
				spec["finalizers"] = []any{}
			}
			_ = c.put(ctx, "/api/v1/namespaces/"+ns.Metadata.Name+"/finalize", obj)
		}
	}
}

func discoveryBlocked(conds []struct{ Type, Status string }) bool {
	for _, c := range conds {
		if c.Type == "NamespaceDeletionDiscoveryFailure" && c.Status == "True" {
			return true
		}
	}
	return false
}

func (cp *ControlPlane) objectsIn(ctx context.Context, ns string) (int, error) {
	all, err := cp.Objects(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range all {
		if o.Namespace == ns {
			n++
		}
	}
	return n, nil
}

func (c *apiClient) put(ctx context.Context, path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("PUT %s: %s: %s", path, resp.Status, body)
	}
	return nil
}
