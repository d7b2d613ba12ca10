// Command pulumi-resource-standin is the sandbox's STAND-IN resource provider
// plugin (see sandbox/standin). One binary serves every package: the sandbox
// installs it as pulumi-resource-aws, pulumi-resource-eks, ... in a project
// plugin directory used only by sandbox runs, and the name it is started
// under selects the package. It is never put on PATH, so a real `pulumi up`
// can never pick it up by accident.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/platform-team/platform/sandbox/standin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

func main() {
	exe := strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")
	pkg, ok := strings.CutPrefix(exe, "pulumi-resource-")
	if !ok || pkg == "" || pkg == "standin" || len(os.Args) < 2 {
		fmt.Fprintf(os.Stderr, "%s\nthis binary must be started by the Pulumi engine as pulumi-resource-<package> <engine address>\n(e.g. pulumi-resource-aws); run `make preview` to use the sandbox\n", standin.Banner)
		os.Exit(2)
	}
	if err := serve(pkg, os.Args[len(os.Args)-1]); err != nil {
		fmt.Fprintf(os.Stderr, "stand-in provider %s: %v\n", pkg, err)
		os.Exit(1)
	}
}

// serve speaks the plugin protocol: listen on a free port, print it, serve
// until the engine goes away or sends SIGINT. It is written against rpcutil
// rather than go/pulumi/provider to keep the binary's dependencies to the
// ones the program already has.
func serve(pkg, engineAddr string) error {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	if err := rpcutil.Healthcheck(ctx, engineAddr, 5*time.Minute, cancel); err != nil {
		return fmt.Errorf("engine health check: %w", err)
	}
	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		close(stop)
	}()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, standin.New(pkg))
			return nil
		},
	})
	if err != nil {
		return err
	}
	fmt.Printf("%d\n", handle.Port)
	return <-handle.Done
}
