// Package chartv4 turns a catalogue entry into helm.sh/v4 Chart arguments, so every v4 chart is installed
// from its catalogue repository and exact version the same way. It is separate from internal/charts, which
// imports nothing from Pulumi so tests that only read the catalogue link cheaply.
package chartv4

import (
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/internal/charts"
)

// Args installs chart c as release in namespace with values.
func Args(c charts.Chart, release, namespace string, values map[string]any) *helmv4.ChartArgs {
	return &helmv4.ChartArgs{
		Name:           pulumi.String(release),
		Chart:          pulumi.String(c.Chart),
		Version:        pulumi.String(c.Version),
		RepositoryOpts: &helmv4.RepositoryOptsArgs{Repo: pulumi.String(c.Repo)},
		Namespace:      pulumi.String(namespace),
		Values:         pulumi.ToMap(values),
	}
}
