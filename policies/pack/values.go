package pack

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// presence says whether a looked-up value exists and whether it is known yet.
type presence int

const (
	missing presence = iota // the property is absent or null: the provider's (or component's) default applies
	unknown                 // the value is not known until an apply (preview of a resource not created yet)
	known
)

// value is one looked-up property: secrets and known outputs are unwrapped, but the secret flag sticks so the
// value is never printed.
type value struct {
	p      presence
	v      resource.PropertyValue
	secret bool
}

// unwrap strips secret and output wrappers, recording secrecy, and reports unknowns.
func unwrap(v resource.PropertyValue, secret bool) value {
	for {
		switch {
		case v.IsComputed():
			return value{p: unknown, secret: secret}
		case v.IsOutput():
			o := v.OutputValue()
			if !o.Known {
				return value{p: unknown, secret: secret || o.Secret}
			}
			secret = secret || o.Secret
			v = o.Element
		case v.IsSecret():
			secret = true
			v = v.SecretValue().Element
		case v.IsNull():
			return value{p: missing, secret: secret}
		default:
			return value{p: known, v: v, secret: secret}
		}
	}
}

// lookup walks a dotted path ("vpcConfig.endpointPublicAccess") through nested objects.
func lookup(m resource.PropertyMap, path string) value {
	return lookupParts(resource.NewObjectProperty(m), strings.Split(path, "."), false)
}

// field looks up a dotted path below an already looked-up object value.
func (x value) field(path string) value {
	if x.p != known {
		return x
	}
	return lookupParts(x.v, strings.Split(path, "."), x.secret)
}

// key looks up one key that may itself contain dots (tag keys such as "kubernetes.io/role/elb").
func (x value) key(k string) value {
	if x.p != known {
		return x
	}
	return lookupParts(x.v, []string{k}, x.secret)
}

func lookupParts(cur resource.PropertyValue, parts []string, secret bool) value {
	for _, part := range parts {
		u := unwrap(cur, secret)
		if u.p != known {
			return u
		}
		secret = u.secret
		if !u.v.IsObject() {
			return value{p: missing, secret: secret}
		}
		next, ok := u.v.ObjectValue()[resource.PropertyKey(part)]
		if !ok {
			return value{p: missing, secret: secret}
		}
		cur = next
	}
	return unwrap(cur, secret)
}

// str returns a known string; ok is false when missing, unknown or not a string.
func (x value) str() (string, bool) {
	if x.p != known || !x.v.IsString() {
		return "", false
	}
	return x.v.StringValue(), true
}

// boolean reads a known bool, accepting the "true"/"false" strings some bridged schemas use
// (launch template ebs.encrypted, networkInterfaces[].associatePublicIpAddress).
func (x value) boolean() (bool, bool) {
	if x.p != known {
		return false, false
	}
	switch {
	case x.v.IsBool():
		return x.v.BoolValue(), true
	case x.v.IsString():
		b, err := strconv.ParseBool(x.v.StringValue())
		return b, err == nil
	}
	return false, false
}

// number reads a known number, accepting numeric strings.
func (x value) number() (float64, bool) {
	if x.p != known {
		return 0, false
	}
	switch {
	case x.v.IsNumber():
		return x.v.NumberValue(), true
	case x.v.IsString():
		f, err := strconv.ParseFloat(x.v.StringValue(), 64)
		return f, err == nil
	}
	return 0, false
}

// items returns the elements of a known array, each unwrapped. anyUnknown reports an unknown element.
func (x value) items() (elems []value, anyUnknown bool) {
	if x.p != known || !x.v.IsArray() {
		return nil, false
	}
	for _, e := range x.v.ArrayValue() {
		u := unwrap(e, x.secret)
		if u.p == unknown {
			anyUnknown = true
		}
		elems = append(elems, u)
	}
	return elems, anyUnknown
}

// strings returns a known array of strings; ok is false when the array (or any element) is not known.
func (x value) strings() ([]string, bool) {
	elems, anyUnknown := x.items()
	if x.p != known || !x.v.IsArray() || anyUnknown {
		return nil, false
	}
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		if s, ok := e.str(); ok {
			out = append(out, s)
		}
	}
	return out, true
}

// object returns the keys of a known object in sorted order with their unwrapped values.
func (x value) object() (keys []string, vals map[string]value) {
	if x.p != known || !x.v.IsObject() {
		return nil, nil
	}
	vals = map[string]value{}
	for k, v := range x.v.ObjectValue() {
		keys = append(keys, string(k))
		vals[string(k)] = unwrap(v, x.secret)
	}
	sort.Strings(keys)
	return keys, vals
}

// show renders a value for a message without ever revealing a secret.
func (x value) show() string {
	switch {
	case x.secret:
		return "[secret]"
	case x.p == missing:
		return "not set"
	case x.p == unknown:
		return "unknown until apply"
	}
	return showPlain(x.v)
}

func showPlain(v resource.PropertyValue) string {
	switch {
	case v.IsSecret():
		return "[secret]"
	case v.IsString():
		return strconv.Quote(v.StringValue())
	case v.IsBool():
		return strconv.FormatBool(v.BoolValue())
	case v.IsNumber():
		return strconv.FormatFloat(v.NumberValue(), 'f', -1, 64)
	case v.IsArray():
		parts := make([]string, 0, len(v.ArrayValue()))
		for _, e := range v.ArrayValue() {
			parts = append(parts, unwrap(e, false).show())
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case v.IsObject():
		return fmt.Sprintf("{%d keys}", len(v.ObjectValue()))
	case v.IsComputed(), v.IsOutput():
		return unwrap(v, false).show()
	}
	return v.TypeString()
}

// redact quotes s for a message unless it came from a secret.
func redact(secret bool, s string) string {
	if secret {
		return "[secret]"
	}
	return strconv.Quote(s)
}

// quoteList renders strings for messages.
func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
