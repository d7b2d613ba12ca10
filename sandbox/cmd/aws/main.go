// Command aws is the proving ground's STAND-IN for the AWS CLI: it models exactly one command,
// `aws eks get-token`, which the kubeconfig that pulumi-eks generates runs as its exec credential plugin
// (pulumi-eks v2.8.1 nodejs/eks/cluster.ts, generateKubeconfig). The sandbox puts it first on PATH for the
// engine and its providers, so the program's real kubeconfig (same command, same arguments) authenticates
// to the local control plane.
//
// Behaviour mirrored from the AWS CLI (awscli/customizations/eks/get_token.py): it prints an ExecCredential
// whose apiVersion follows the one the client announces in KUBERNETES_EXEC_INFO (v1beta1 otherwise), with a
// token and an expirationTimestamp; --cluster-name is required; --role-arn, --region and the global --profile
// and --output options are accepted. What differs: the token is the local control plane's admin token
// (PLATFORM_SANDBOX_KUBE_TOKEN), not a presigned STS URL, and no AWS call is made. Each call is appended to
// PLATFORM_SANDBOX_AWS_LOG when set, so tests can see which identity the kubeconfig asked for.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "aws (STAND-IN, platform sandbox): %v\n", err)
		os.Exit(252)
	}
}

func run(args []string) error {
	var positional []string
	opts := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") {
			positional = append(positional, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !hasVal {
			if i+1 >= len(args) {
				return fmt.Errorf("argument --%s: expected one argument", name)
			}
			i++
			val = args[i]
		}
		opts[name] = val
	}
	if len(positional) != 2 || positional[0] != "eks" || positional[1] != "get-token" {
		return fmt.Errorf("only `aws eks get-token` is modelled here, not `aws %s`", strings.Join(positional, " "))
	}
	for k := range opts {
		switch k {
		case "cluster-name", "role-arn", "region", "profile", "output", "cluster-id":
		default:
			return fmt.Errorf("eks get-token: unknown option --%s", k)
		}
	}
	if opts["cluster-name"] == "" && opts["cluster-id"] == "" {
		return fmt.Errorf("eks get-token: one of --cluster-name or --cluster-id is required")
	}
	token := os.Getenv("PLATFORM_SANDBOX_KUBE_TOKEN")
	if token == "" {
		return fmt.Errorf("eks get-token: no sandbox control plane (PLATFORM_SANDBOX_KUBE_TOKEN is unset)")
	}
	if path := os.Getenv("PLATFORM_SANDBOX_AWS_LOG"); path != "" {
		if f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err == nil {
			line, _ := json.Marshal(opts)
			fmt.Fprintf(f, "%s\n", line)
			f.Close()
		}
	}
	apiVersion := "client.authentication.k8s.io/v1beta1"
	if info := os.Getenv("KUBERNETES_EXEC_INFO"); info != "" {
		var ei struct {
			APIVersion string `json:"apiVersion"`
		}
		if json.Unmarshal([]byte(info), &ei) == nil && ei.APIVersion != "" {
			apiVersion = ei.APIVersion
		}
	}
	out := map[string]any{
		"kind":       "ExecCredential",
		"apiVersion": apiVersion,
		"spec":       map[string]any{},
		"status": map[string]any{
			// The AWS CLI's tokens are valid for 15 minutes; it reports an expiry 14 minutes out.
			"expirationTimestamp": time.Now().UTC().Add(14 * time.Minute).Format(time.RFC3339),
			"token":               token,
		},
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}
