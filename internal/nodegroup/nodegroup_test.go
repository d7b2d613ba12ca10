package nodegroup

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNodeTemplateTagsSpellTaintsTheWayKubernetesDoes(t *testing.T) {
	got := NodeTemplateTags(
		map[string]string{"platform.io/gpu-model": "L4"},
		[]Taint{{Key: "nvidia.com/gpu", Value: "true", Effect: "NO_SCHEDULE"}, {Key: "spot", Value: "yes", Effect: "PREFER_NO_SCHEDULE"}},
		map[string]string{"ephemeral-storage": "200Gi"},
	)
	const p = "k8s.io/cluster-autoscaler/node-template/"
	assert.Equal(t, map[string]string{
		p + "label/platform.io/gpu-model": "L4",
		p + "taint/nvidia.com/gpu":        "true:NoSchedule",
		p + "taint/spot":                  "yes:PreferNoSchedule",
		p + "resources/ephemeral-storage": "200Gi",
	}, got)
}

func TestTagKeySlugIsAStableResourceNameKey(t *testing.T) {
	assert.Equal(t, "taint-nvidia-com-gpu", tagKeySlug("k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu"))
}
