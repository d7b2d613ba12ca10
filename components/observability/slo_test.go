package observability

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAvailabilitySLORules(t *testing.T) {
	s := SLO{Service: "checkout", Namespace: "shop", Objective: 99.9}
	group := Rules(s)["groups"].([]any)[0].(map[string]any)
	require.Equal(t, "slo-shop-checkout", group["name"])
	records := map[string]string{}
	var alerts []map[string]any
	for _, r := range group["rules"].([]any) {
		m := r.(map[string]any)
		if rec, ok := m["record"]; ok {
			records[rec.(string)] = m["expr"].(string)
			continue
		}
		alerts = append(alerts, m)
	}
	for _, w := range []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d"} {
		expr, ok := records["slo:sli_error:ratio_rate"+w]
		require.True(t, ok, "window %s not recorded", w)
		require.Contains(t, expr, `response_code=~"5.."`)
		require.Contains(t, expr, `destination_service_name="checkout",destination_service_namespace="shop"`)
		require.Contains(t, expr, "["+w+"]")
	}
	require.Len(t, alerts, 4)
	// Page on a 14.4x burn over 1h confirmed by 5m; ticket on 1x over 3d confirmed by 6h.
	first := alerts[0]["expr"].(string)
	require.Contains(t, first, `slo:sli_error:ratio_rate1h{slo_service="checkout",slo_namespace="shop"} > (14.4 * 0.001)`)
	require.Contains(t, first, "slo:sli_error:ratio_rate5m")
	require.Equal(t, "critical", alerts[0]["labels"].(map[string]any)["severity"])
	last := alerts[3]["expr"].(string)
	require.True(t, strings.Contains(last, "ratio_rate3d") && strings.Contains(last, "ratio_rate6h"))
	require.Equal(t, "warning", alerts[3]["labels"].(map[string]any)["severity"])
}

func TestLatencySLOCountsSlowRequestsAsBad(t *testing.T) {
	s := SLO{Service: "api", Namespace: "shop", Objective: 99, LatencyThresholdMs: 250}
	expr := errorRatioExpr(s, "1h")
	require.Contains(t, expr, `istio_request_duration_milliseconds_bucket{`)
	require.Contains(t, expr, `le="250"`)
	require.Contains(t, expr, `response_code!~"5.."`)
	require.True(t, strings.HasPrefix(expr, "1 - ("))
}

func TestValidateSLO(t *testing.T) {
	require.Empty(t, ValidateSLO(SLO{Service: "a", Namespace: "b", Objective: 99.5, LatencyThresholdMs: 500}))
	p := ValidateSLO(SLO{Objective: 0, LatencyThresholdMs: 300})
	require.Len(t, p, 3)
}
