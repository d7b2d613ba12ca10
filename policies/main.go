// Command platform-policy is the platform's CrossGuard policy pack: a Pulumi analyzer plugin serving the
// analyzer gRPC protocol over the policies in package pack.
//
// It runs both ways the Pulumi CLI launches a Go policy pack:
//
//   - as a prebuilt executable: `pulumi preview --policy-pack bin/platform-policy` (built by `make policy-pack`);
//     the CLI starts it with the engine's address as the last argument, reads the port it prints on stdout,
//     then calls Handshake, ConfigureStack (stack runs only), GetAnalyzerInfo and Configure;
//   - as a directory: `pulumi preview --policy-pack policies/`, where the Go language host builds and runs this
//     package the same way.
//
// The policy set is built before serving, not in ConfigureStack, so `pulumi policy analyze --file <export>`
// (which never calls ConfigureStack) works. The environment comes from the stack's platform:environment, which
// the engine sends in ConfigureStack's config (the value the program validates against), or from the stack name
// when that key is absent; without ConfigureStack it comes from $PLATFORM_POLICY_ENVIRONMENT, and otherwise it
// is prod, the strictest.
//
// It does not log through the engine and it remediates nothing.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Getenv); err != nil {
		fmt.Fprintf(os.Stderr, "platform-policy: %v\n", err)
		os.Exit(1)
	}
}

// run parses the arguments the plugin host passes, serves the analyzer and prints the port. It returns when the
// server stops.
func run(args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("platform-policy", flag.ContinueOnError)
	// Flags the plugin host may prepend (pkg/resource/plugin buildPluginArguments); accepted and ignored because
	// this pack neither traces nor logs verbosely.
	fs.Bool("logtostderr", false, "log to stderr (accepted for the plugin protocol; unused)")
	fs.Int("v", 0, "log verbosity (accepted for the plugin protocol; unused)")
	fs.String("tracing", "", "tracing endpoint (accepted for the plugin protocol; unused)")
	fs.Bool("logflow", false, "flow logging to child processes (accepted for the plugin protocol; unused)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The remaining arguments are the engine address (and, for older hosts, a working directory): not needed,
	// because every answer this pack gives is computed locally.

	srv, err := newServer(getenv("PLATFORM_POLICY_ENVIRONMENT"))
	if err != nil {
		return err
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterAnalyzerServer(s, srv)
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("starting the analyzer server: %w", err)
	}
	// The plugin protocol: the first line on stdout is the port the engine dials.
	if _, err := fmt.Fprintf(stdout, "%d\n", handle.Port); err != nil {
		return fmt.Errorf("announcing the port: %w", err)
	}
	if err := <-handle.Done; err != nil {
		return fmt.Errorf("serving: %w", err)
	}
	return nil
}
