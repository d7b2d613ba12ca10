package tags

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStandardKeysWinOverExtras(t *testing.T) {
	s := New("prod", "platform-team", "cc-1", map[string]string{"Environment": "dev", "Team": "infra"})
	assert.Equal(t, map[string]string{
		"Environment": "prod", "Owner": "platform-team", "CostCenter": "cc-1", "ManagedBy": "pulumi", "Team": "infra",
	}, s.Plain())
	assert.Equal(t, []string{"CostCenter", "Environment", "ManagedBy", "Owner", "Team"}, s.Keys())
}

func TestForCarriesOnlyNameAndRoleTagsWhileAllCarriesEverything(t *testing.T) {
	s := New("dev", "o", "c", nil)
	assert.Len(t, s.For("vpc", map[string]string{"tier": "public"}), 2, "the provider's default tags add the rest")
	all := s.All("node", map[string]string{"role": "gpu"})
	assert.Len(t, all, 6)
	assert.Contains(t, all, "Environment")
	assert.Contains(t, all, "Name")
}
