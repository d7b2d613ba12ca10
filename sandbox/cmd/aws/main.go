// Command aws is the proving ground's STAND-IN for the AWS CLI: it models exactly one command,
// `aws eks get-token`, which the kubeconfig that pulumi-eks generates runs as its exec credential plugin
// (pulumi-eks v2.8.1 nodejs/eks/cluster.ts, generateKubeconfig). The sandbox puts it first on PATH for the
// engine and its providers, so the program's real kubeconfig (same command, same arguments) authenticates
// to the local control plane.
//
// Behaviour mirrored from the AWS CLI (awscli/customizations/eks/get_token.py): it prints an ExecCredential
// whose apiVersion follows the one the client announces in KUBERNETES_EXEC_INFO (v1beta1 otherwise), with a
// token and an expirationTimestamp; --cluster-name (or --cluster-id) is required; --role-arn, or any
// unambiguous prefix of an option such as the `--role` pulumi-eks emits, and the global --region, --profile
// and --output options are accepted; AWS_PROFILE is read as the CLI reads it. What differs: the token is the local control plane's admin token
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

// getTokenOptions are `aws eks get-token`'s own options; globalOptions are the AWS CLI's global ones this
// stand-in accepts.
var (
	getTokenOptions = []string{"cluster-name", "cluster-id", "role-arn"}
	globalOptions   = []string{"region", "profile", "output"}
)

// optionName resolves an option as the AWS CLI's argparse-based parser does: an exact name, or an
// unambiguous prefix of one of the command's own options (argparse's allow_abbrev, which the CLI keeps on).
// That is why pulumi-eks v2.8.1's `--role <arn>` (nodejs/eks/cluster.ts, generateKubeconfig) reaches
// --role-arn.
func optionName(k string) (string, error) {
	for _, o := range append(append([]string{}, getTokenOptions...), globalOptions...) {
		if k == o {
			return o, nil
		}
	}
	var matches []string
	for _, o := range getTokenOptions {
		if strings.HasPrefix(o, k) {
			matches = append(matches, "--"+o)
		}
	}
	switch len(matches) {
	case 1:
		return strings.TrimPrefix(matches[0], "--"), nil
	case 0:
		return "", fmt.Errorf("eks get-token: unknown option --%s", k)
	}
	return "", fmt.Errorf("eks get-token: ambiguous option: --%s could match %s", k, strings.Join(matches, ", "))
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
	resolved := map[string]string{}
	for k, v := range opts {
		name, err := optionName(k)
		if err != nil {
			return err
		}
		resolved[name] = v
	}
	opts = resolved
	if p := os.Getenv("AWS_PROFILE"); p != "" && opts["profile"] == "" {
		opts["profile"] = p // logged, so tests see which profile the kubeconfig's environment named
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
