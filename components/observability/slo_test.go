package observability

import (
	"fmt"
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
	require.Len(t, alerts, 5, "four burn-rate alerts and one for absent metrics")
	// The budget the dashboards divide by: 1 - 99.9/100, rounded like the alert thresholds.
	require.Equal(t, "vector(0.001)", records[ErrorBudgetRecord])
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
	// Prometheus 3 stores Envoy's le="250" as le="250.0"; the integer form matches nothing.
	require.Contains(t, expr, `le="250.0"`)
	require.NotContains(t, expr, `le="250"`)
	require.Contains(t, expr, `response_code!~"5.."`)
	require.True(t, strings.HasPrefix(expr, "1 - ("))
}

func TestValidateSLO(t *testing.T) {
	require.Empty(t, ValidateSLO(SLO{Service: "a", Namespace: "b", Objective: 99.5, LatencyThresholdMs: 500}))
	p := ValidateSLO(SLO{Objective: 0, LatencyThresholdMs: 300})
	require.Len(t, p, 3)
}

// Prometheus 3 normalizes every bucket bound on ingestion (docs/migration.md, "le and quantile label values"); the
// expected strings are what it stores for each of Istio's default boundaries.
func TestLeValueIsWhatPrometheus3Stores(t *testing.T) {
	for bound, want := range map[float64]string{
		1: "1.0", 5: "5.0", 250: "250.0", 1000: "1000.0", 300000: "300000.0", 600000: "600000.0",
		1800000: "1.8e+06", 3600000: "3.6e+06", 0.5: "0.5", 2.5: "2.5",
	} {
		require.Equal(t, want, LeValue(bound), "bound %v", bound)
	}
	for _, ms := range IstioLatencyBucketsMs {
		s := SLO{Service: "api", Namespace: "shop", Objective: 99, LatencyThresholdMs: ms}
		require.Contains(t, errorRatioExpr(s, "5m"), `le="`+LeValue(float64(ms))+`"`)
		require.NotContains(t, errorRatioExpr(s, "5m"), fmt.Sprintf(`le="%d"`, ms))
	}
}

func alertsOf(s SLO) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range Rules(s)["groups"].([]any)[0].(map[string]any)["rules"].([]any) {
		if m := r.(map[string]any); m["alert"] != nil {
			out[m["alert"].(string)] = m
		}
	}
	return out
}

// An SLO whose metrics are missing (nothing scrapes the proxies, or the bucket matcher matches nothing) has its
// own alert; otherwise its burn-rate alerts just have no data.
func TestAbsentAlertPerSLO(t *testing.T) {
	avail := alertsOf(SLO{Service: "checkout", Namespace: "shop", Objective: 99.9})[AbsentAlertName]
	require.NotNil(t, avail)
	require.Equal(t, `absent_over_time(istio_requests_total{reporter="destination",destination_service_name="checkout",destination_service_namespace="shop"}[1h])`, avail["expr"])
	require.Equal(t, "warning", avail["labels"].(map[string]any)["severity"])

	lat := alertsOf(SLO{Service: "api", Namespace: "shop", Objective: 99, LatencyThresholdMs: 250})[AbsentAlertName]
	require.NotNil(t, lat)
	require.Contains(t, lat["expr"], `absent_over_time(istio_requests_total{`)
	require.Contains(t, lat["expr"], `absent_over_time(istio_request_duration_milliseconds_bucket{reporter="destination",destination_service_name="api",destination_service_namespace="shop",response_code!~"5..",le="250.0"}[1h])`)
}

// A team's namespaced AlertmanagerConfig only matches alerts labelled with its namespace, so every SLO alert
// carries the service's namespace (the rule itself lives in the observability namespace).
func TestSLOAlertsCarryTheServiceNamespace(t *testing.T) {
	alerts := alertsOf(SLO{Service: "checkout", Namespace: "shop", Objective: 99.9, LatencyThresholdMs: 100})
	require.Len(t, alerts, 5)
	for name, a := range alerts {
		require.Equal(t, "shop", a["labels"].(map[string]any)["namespace"], name)
	}
}
