package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A preview JSON on stdin gives the itemized estimate, the delta, and the snapshot's date; markdown gives the
// PR comment line.
func TestAPlanOnStdinPrintsTheEstimateAndItsDelta(t *testing.T) {
	plan := `{"steps": [
	 {"op": "same", "urn": "urn:pulumi:s::p::pulumi:providers:aws::aws", "oldState": {"type": "pulumi:providers:aws", "inputs": {"region": "us-west-2"}}, "newState": {"type": "pulumi:providers:aws", "inputs": {"region": "us-west-2"}}},
	 {"op": "create", "urn": "urn:pulumi:s::p::aws:ec2/natGateway:NatGateway::nat", "newState": {"type": "aws:ec2/natGateway:NatGateway", "provider": "urn:pulumi:s::p::pulumi:providers:aws::aws::x", "inputs": {}}}
	]}`
	var out, errb bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-stack", "s"}, strings.NewReader(plan), &out, &errb))
	s := out.String()
	assert.Contains(t, s, "Monthly cost of stack s (us-west-2)")
	assert.Contains(t, s, "prices of ")
	assert.Regexp(t, `nat\s+NAT gateway`, s)
	assert.Contains(t, s, "delta of this plan: idle $0.00 → ")

	out.Reset()
	require.NoError(t, run(context.Background(), []string{"-stack", "s", "-format", "markdown", "-"}, strings.NewReader(plan), &out, &errb))
	assert.Contains(t, out.String(), "**s**: idle $0.00 → ")

	err := run(context.Background(), nil, strings.NewReader(`{}`), &out, &errb)
	assert.ErrorContains(t, err, "pulumi preview --json")
}
