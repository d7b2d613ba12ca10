// Command pulumi-resource-kubernetes is the REAL Pulumi Kubernetes provider, built from
// github.com/pulumi/pulumi-kubernetes/provider/v4 at the commit go.mod pins (the v4.25.0 release), for the
// sandbox's real-Kubernetes half. Upstream's own main (provider/cmd/pulumi-resource-kubernetes/main.go)
// embeds schema files that its `go generate` step writes next to it, which a dependant cannot do inside the
// module cache; so this main embeds the copies that ./schemagen writes here (the module's schema.json with
// its version stamped, and its terraform-mapping.json), then serves the provider exactly as upstream does.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
