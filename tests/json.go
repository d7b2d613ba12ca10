package tests

import (
	"encoding/json"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func jsonValue(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func boolProp(b bool) resource.PropertyValue { return resource.NewBoolProperty(b) }

func stringsProp(ss ...string) resource.PropertyValue {
	vs := make([]resource.PropertyValue, len(ss))
	for i, s := range ss {
		vs[i] = resource.NewStringProperty(s)
	}
	return resource.NewArrayProperty(vs)
}
