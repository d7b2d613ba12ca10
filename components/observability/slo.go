package observability

import (
	"fmt"
	"strconv"
	"strings"
)

// SLO is one service-level objective measured from Istio's standard request metrics.
type SLO struct {
	// Service and Namespace identify the destination workload (destination_service_name/_namespace).
	Service   string
	Namespace string
	// Objective is the target percentage of good requests, e.g. 99.9.
	Objective float64
	// LatencyThresholdMs, when > 0, also counts requests slower than this as bad. It must be one of Istio's
	// request-duration bucket boundaries (IstioLatencyBucketsMs), or the ratio cannot be computed.
	LatencyThresholdMs int
}

// IstioLatencyBucketsMs are the default boundaries of istio_request_duration_milliseconds.
var IstioLatencyBucketsMs = []int{1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

// burnRateAlert is one multi-window alert of the Google SRE workbook's table: the error budget burns
// Factor times faster than sustainable over both the long and the short window.
type burnRateAlert struct {
	Long, Short string
	Factor      float64
	Severity    string
}

// burnRateAlerts pages on fast burns (2% of a 30-day budget in 1h, 5% in 6h) and opens tickets on slow ones
// (10% in 1d, 10% in 3d). The short window makes the alert reset quickly once the burn stops.
var burnRateAlerts = []burnRateAlert{
	{Long: "1h", Short: "5m", Factor: 14.4, Severity: "critical"},
	{Long: "6h", Short: "30m", Factor: 6, Severity: "critical"},
	{Long: "1d", Short: "2h", Factor: 3, Severity: "warning"},
	{Long: "3d", Short: "6h", Factor: 1, Severity: "warning"},
}

// sloWindows are every window the alerts read, each recorded once.
var sloWindows = []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d"}

// RuleGroupName is the PrometheusRule group (and additionalPrometheusRulesMap key) of an SLO.
func RuleGroupName(s SLO) string { return fmt.Sprintf("slo-%s-%s", s.Namespace, s.Service) }

// ValidateSLO returns every problem with one SLO.
func ValidateSLO(s SLO) []string {
	var p []string
	if s.Service == "" || s.Namespace == "" {
		p = append(p, "service and namespace are required")
	}
	if !(s.Objective > 0 && s.Objective < 100) {
		p = append(p, fmt.Sprintf("objective %v must be strictly between 0 and 100", s.Objective))
	}
	if s.LatencyThresholdMs != 0 && !isBucket(s.LatencyThresholdMs) {
		p = append(p, fmt.Sprintf("latencyThresholdMs %d is not an Istio latency bucket boundary (%s)", s.LatencyThresholdMs, bucketList()))
	}
	return p
}

func isBucket(ms int) bool {
	for _, b := range IstioLatencyBucketsMs {
		if b == ms {
			return true
		}
	}
	return false
}

func bucketList() string {
	s := make([]string, len(IstioLatencyBucketsMs))
	for i, b := range IstioLatencyBucketsMs {
		s[i] = strconv.Itoa(b)
	}
	return strings.Join(s, ", ")
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// LeValue is the `le` label value Prometheus 3 stores for a classic histogram bucket bound. Prometheus 3 normalizes
// `le` (and `quantile`) on ingestion, whatever the scrape protocol, to Go's shortest 'g' form with ".0" appended
// when that form has neither a point nor an exponent: Envoy's le="250" is stored as le="250.0", le="1800000" as
// le="1.8e+06" (Prometheus docs/migration.md, "le and quantile label values"; the formatting follows
// model/labels.FormatOpenMetricsFloat). A matcher on the exposed text form matches nothing.
func LeValue(bound float64) string {
	s := strconv.FormatFloat(bound, 'g', -1, 64)
	if strings.ContainsAny(s, ".e") {
		return s
	}
	return s + ".0"
}

// Istio's standard request metrics the SLIs read, reported by every Envoy (the mesh's PodMonitor scrapes them).
const (
	IstioRequestsMetric = "istio_requests_total"
	IstioDurationBucket = "istio_request_duration_milliseconds_bucket"
)

// sliSelector selects the SLO's service as its server-side proxies report it.
func sliSelector(s SLO) string {
	return fmt.Sprintf(`reporter="destination",destination_service_name=%q,destination_service_namespace=%q`, s.Service, s.Namespace)
}

// latencyBucketSelector is the good-latency bucket as Prometheus 3 stores it (see LeValue).
func latencyBucketSelector(s SLO) string {
	return fmt.Sprintf(`%s{%s,response_code!~"5..",le=%q}`, IstioDurationBucket, sliSelector(s), LeValue(float64(s.LatencyThresholdMs)))
}

// errorRatioExpr is the fraction of bad requests over a window: 5xx responses, plus (with a latency
// threshold) successful responses slower than the threshold.
func errorRatioExpr(s SLO, window string) string {
	sel := sliSelector(s)
	total := fmt.Sprintf(`sum(rate(%s{%s}[%s]))`, IstioRequestsMetric, sel, window)
	if s.LatencyThresholdMs == 0 {
		return fmt.Sprintf(`sum(rate(%s{%s,response_code=~"5.."}[%s])) / %s`, IstioRequestsMetric, sel, window, total)
	}
	good := fmt.Sprintf(`sum(rate(%s[%s]))`, latencyBucketSelector(s), window)
	return fmt.Sprintf(`1 - (%s / %s)`, good, total)
}

// absentExpr is true when the series an SLO is computed from have had no sample for an hour: nothing scrapes
// the service's proxies, the service is gone or renamed, or (latency SLOs) the bucket matcher matches nothing.
// Without it a blind SLO looks like a perfect one: its burn-rate alerts have no data and never fire.
func absentExpr(s SLO) string {
	e := fmt.Sprintf(`absent_over_time(%s{%s}[1h])`, IstioRequestsMetric, sliSelector(s))
	if s.LatencyThresholdMs != 0 {
		e += fmt.Sprintf("\nor\nabsent_over_time(%s[1h])", latencyBucketSelector(s))
	}
	return e
}

// RecordName is the recording rule holding an SLO's error ratio over a window.
func RecordName(window string) string { return "slo:sli_error:ratio_rate" + window }

// ErrorBudgetRecord is the recording rule holding an SLO's error budget as a ratio (1 - objective/100, e.g. 0.001
// for 99.9), labelled like the error-ratio records: dashboards divide an error ratio by it to get the burn rate and
// the budget left without knowing each SLO's objective.
const ErrorBudgetRecord = "slo:error_budget:ratio"

// AbsentAlertName is the alert that fires when an SLO's source metrics are missing.
const AbsentAlertName = "SLOMetricsAbsent"

// alertLabels are every SLO alert's labels. `namespace` is the service's namespace: a namespaced
// AlertmanagerConfig only receives alerts whose namespace label is its own (the operator adds that matcher to
// its routes), and the rule itself lives in the observability namespace, so without the label a team's
// AlertmanagerConfig never receives its own SLO pages.
func alertLabels(s SLO, severity string) map[string]any {
	return map[string]any{"severity": severity, "namespace": s.Namespace, "slo_service": s.Service, "slo_namespace": s.Namespace}
}

// Rules returns the PrometheusRule group (as chart values: {groups: [...]}) for one SLO: a recording rule
// per window, the four multi-window multi-burn-rate alerts and an alert when the SLI's metrics are absent.
func Rules(s SLO) map[string]any {
	labels := map[string]any{"slo_service": s.Service, "slo_namespace": s.Namespace}
	budget := 1 - s.Objective/100
	var rules []any
	for _, w := range sloWindows {
		rules = append(rules, map[string]any{
			"record": RecordName(w),
			"expr":   errorRatioExpr(s, w),
			"labels": labels,
		})
	}
	rules = append(rules, map[string]any{
		"record": ErrorBudgetRecord,
		"expr":   fmt.Sprintf("vector(%s)", strconv.FormatFloat(budget, 'g', 6, 64)),
		"labels": labels,
	})
	match := fmt.Sprintf(`{slo_service=%q,slo_namespace=%q}`, s.Service, s.Namespace)
	for _, a := range burnRateAlerts {
		// Six significant digits: 1 - 99.9/100 is not exactly 0.001 in binary floating point.
		threshold := formatFloat(a.Factor) + " * " + strconv.FormatFloat(budget, 'g', 6, 64)
		rules = append(rules, map[string]any{
			"alert": fmt.Sprintf("SLOErrorBudgetBurn%sWindow%s", strings.ToUpper(a.Long[:1])+a.Long[1:], a.Short),
			"expr": fmt.Sprintf("%s%s > (%s)\nand\n%s%s > (%s)",
				RecordName(a.Long), match, threshold, RecordName(a.Short), match, threshold),
			"for":    "2m",
			"labels": alertLabels(s, a.Severity),
			"annotations": map[string]any{
				"summary": fmt.Sprintf("%s/%s is burning its %s%% error budget %sx too fast (%s and %s windows)",
					s.Namespace, s.Service, formatFloat(s.Objective), formatFloat(a.Factor), a.Long, a.Short),
			},
		})
	}
	rules = append(rules, map[string]any{
		"alert":  AbsentAlertName,
		"expr":   absentExpr(s),
		"for":    "10m",
		"labels": alertLabels(s, "warning"),
		"annotations": map[string]any{
			"summary": fmt.Sprintf("the %s%% SLO of %s/%s has had no data for an hour, so its burn-rate alerts cannot fire: check that Prometheus scrapes the service's istio-proxy (PodMonitor) and that the service still exists",
				formatFloat(s.Objective), s.Namespace, s.Service),
		},
	})
	return map[string]any{"groups": []any{map[string]any{"name": RuleGroupName(s), "rules": rules}}}
}
