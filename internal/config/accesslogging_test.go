package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Server access logging of the observability buckets: on in prod (and refused off there), off elsewhere unless
// asked for.
func TestObservabilityAccessLoggingPerEnvironment(t *testing.T) {
	for env, want := range map[Environment]bool{Dev: false, Staging: false, Prod: true} {
		s, problems := servicesFrom(t, env, nil)
		require.Empty(t, problems, env)
		require.Equal(t, want, *s.Observability.AccessLogging, env)
	}
	s, problems := servicesFrom(t, Staging, map[string]string{"observability": `{"accessLogging":true}`})
	require.Empty(t, problems)
	require.True(t, *s.Observability.AccessLogging)

	_, problems = servicesFrom(t, Prod, map[string]string{"observability": `{"accessLogging":false}`})
	require.Contains(t, strings.Join(problems, "\n"), "observability.accessLogging: must be true in prod")
}
