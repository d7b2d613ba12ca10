// Command platform is the Pulumi program: `pulumi up --stack dev|staging|prod`.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/internal/program"
)

func main() {
	pulumi.Run(program.Run)
}
