package cost

import (
	"math"
	"strconv"
	"strings"
)

// lookup walks a path of map keys (and array indexes, as decimal strings) through JSON-like inputs.
func lookup(m map[string]any, path ...string) (any, bool) {
	var cur any = m
	for _, k := range path {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[k]
			if !ok {
				return nil, false
			}
			cur = unwrapSecret(v)
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = unwrapSecret(c[i])
		default:
			return nil, false
		}
	}
	return cur, true
}

// Pulumi's serialised secret: {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": v}
// (sdk/go/common/resource/sig/sig.go, Key and Secret).
const (
	sigKey    = "4dabf18193072939515e22adb298388d"
	sigSecret = "1b47061264138c4ac30d75fd1eb44270"
)

func unwrapSecret(v any) any {
	if m, ok := v.(map[string]any); ok && m[sigKey] == sigSecret {
		return m["value"]
	}
	return v
}

// str reads a known string; false when missing or unknown.
func str(m map[string]any, path ...string) (string, bool) {
	v, ok := lookup(m, path...)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	if !ok || s == UnknownValue {
		return "", false
	}
	return s, true
}

// num reads a known number (JSON numbers, or numeric strings as some providers accept); false when missing or
// unknown.
func num(m map[string]any, path ...string) (float64, bool) {
	v, ok := lookup(m, path...)
	if !ok {
		return 0, false
	}
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case string:
		if n == UnknownValue {
			return 0, false
		}
		f, err := strconv.ParseFloat(n, 64)
		return f, err == nil
	}
	return 0, false
}

// strs reads a list of known strings; false when missing, unknown, or holding an unknown element.
func strs(m map[string]any, path ...string) ([]string, bool) {
	v, ok := lookup(m, path...)
	if !ok {
		return nil, false
	}
	list, ok := v.([]any)
	if !ok {
		if ss, ok := v.([]string); ok {
			return ss, true
		}
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := unwrapSecret(e).(string)
		if !ok || s == UnknownValue {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// trimFloat prints a number without trailing zeros: 3, 0.0832, 2.5.
func trimFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if strings.Contains(s, ".") && len(s) > 12 {
		s = strconv.FormatFloat(f, 'f', 4, 64)
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// hasUnknown reports whether v is, or holds, a value not known until apply.
func hasUnknown(v any) bool {
	switch t := unwrapSecret(v).(type) {
	case string:
		return t == UnknownValue
	case []any:
		for _, e := range t {
			if hasUnknown(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range t {
			if hasUnknown(e) {
				return true
			}
		}
	}
	return false
}
