package pack

import (
	"fmt"
	"sort"
	"strings"
)

// README renders policies/README.md from the catalogue. A test fails when the committed file differs; regenerate
// with `make policy-readme`.
func README() string {
	var b strings.Builder
	ps := Policies()
	stackCount := 0
	for _, p := range ps {
		if p.Stack {
			stackCount++
		}
	}
	b.WriteString(readmeIntro)
	fmt.Fprintf(&b, "\n## Catalogue\n\n%d policies (%d resource policies, %d stack policies). Levels: **M** mandatory (blocks), "+
		"A advisory (reported), – disabled (not evaluated). Settings are thresholds you can override per environment; "+
		"defaults are listed per environment.\n", len(ps), len(ps)-stackCount, stackCount)

	groups := map[string][]*Policy{}
	var order []string
	for _, p := range ps {
		if _, ok := groups[p.Group]; !ok {
			order = append(order, p.Group)
		}
		groups[p.Group] = append(groups[p.Group], p)
	}
	sort.Strings(order)
	for _, g := range order {
		fmt.Fprintf(&b, "\n### %s\n\n", g)
		b.WriteString("| Policy | Checks | Resource types | dev | staging | prod | Settings (dev / staging / prod) | Control |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|\n")
		for _, p := range groups[g] {
			kind := ""
			if p.Stack {
				kind = " (stack)"
			}
			fmt.Fprintf(&b, "| `%s`%s | %s | %s | %s | %s | %s | %s | %s |\n",
				p.ID, kind, cell(p.Description), typesCell(p), levelCell(p.Levels.Dev), levelCell(p.Levels.Staging),
				levelCell(p.Levels.Prod), paramsCell(p), controlsCell(p))
		}
	}
	b.WriteString(readmeRealRun)
	for _, p := range ps {
		fmt.Fprintf(&b, "| `%s` | %s |\n", p.ID, cell(RealRun(p)))
	}
	b.WriteString(readmeHowTo)
	return b.String()
}

// RealRun says where a policy acts in a real preview or up: what the engine sends it. A remote component
// (pulumi-eks's Cluster and ManagedNodeGroup, the helm.sh/v4 Chart) is constructed by its provider, which registers
// it with no inputs (pulumi pkg/v3 resource/deploy/source_eval.go sends a remote registration's inputs to the
// provider's Construct, never to the step generator; the provider's RegisterComponentResource has no properties),
// so only its children carry what a policy can judge.
func RealRun(p *Policy) string {
	if p.RealRun != "" {
		return p.RealRun
	}
	if p.Stack {
		return "after `up` (and on a state export with `pulumi policy analyze`): every resource's stored state; during a preview, the planned inputs."
	}
	var concrete []string
	for _, t := range p.Types {
		if !p.isComponent(t) {
			concrete = append(concrete, "`"+t+"`")
		}
	}
	if len(p.Components) == 0 {
		return "preview and up: the inputs of each " + strings.Join(concrete, ", ") + " as registered."
	}
	verb := "arrives without inputs in a real run (a remote component); its inputs are"
	if len(p.Components) > 1 {
		verb = "arrive without inputs in a real run (remote components); their inputs are"
	}
	return "preview and up: the inputs of " + strings.Join(concrete, ", ") + ", including those the components create. " +
		"`" + strings.Join(p.Components, "`, `") + "` " + verb + " judged only in the program's mock tests."
}

func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}

func typesCell(p *Policy) string {
	parts := make([]string, 0, len(p.Types))
	for _, t := range p.Types {
		s := "`" + t + "`"
		if p.isComponent(t) {
			s += " (inputs)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "<br>")
}

func levelCell(l Level) string {
	switch l {
	case Mandatory:
		return "**M**"
	case Advisory:
		return "A"
	}
	return "–"
}

func paramsCell(p *Policy) string {
	if len(p.Params) == 0 {
		return ""
	}
	parts := make([]string, 0, len(p.Params))
	for _, prm := range p.Params {
		vals := make([]string, 0, len(Envs))
		for _, e := range Envs {
			vals = append(vals, formatDefault(prm.Default[e]))
		}
		v := strings.Join(vals, " / ")
		if vals[0] == vals[1] && vals[1] == vals[2] {
			v = vals[0]
		}
		parts = append(parts, fmt.Sprintf("`%s`: %s", prm.Name, cell(v)))
	}
	return strings.Join(parts, "<br>")
}

func controlsCell(p *Policy) string {
	parts := make([]string, 0, len(p.Controls))
	for _, c := range p.Controls {
		parts = append(parts, cell(c.String()))
	}
	return strings.Join(parts, "<br>")
}

const readmeIntro = `<!-- Generated from policies/pack by ` + "`make policy-readme`" + `; edit the catalogue, not this file. -->
# Platform policy pack

CrossGuard gates for the platform, written in Go. A preview that would open the EKS API to the internet, drop
the GPU taint or run Vault without HA in prod fails before anyone approves it.

- ` + "`policies/pack`" + ` holds the policies as plain Go over ` + "`resource.PropertyMap`" + ` (it imports only the Pulumi SDK's
  resource package, HCL v1 to read Vault configuration, and ` + "`internal/cost`" + `, the pure estimator the ` + "`budget`" + ` policy shares
  with ` + "`make cost`" + `, so it builds fast and the program's mock tests call ` + "`pack.Evaluate`" + ` directly).
- ` + "`policies/`" + ` (package main) serves them over the Pulumi analyzer gRPC protocol. The policy set is built before
  the server starts, so ` + "`pulumi policy analyze`" + ` (which never calls ConfigureStack) works as well as preview and up.

## Running it

` + "```sh" + `
make policy-pack                                   # builds bin/platform-policy
pulumi preview --stack prod \
  --policy-pack bin/platform-policy \
  --policy-pack-config policies/config/prod.json
pulumi policy analyze --file prod-export.json \
  --policy-pack bin/platform-policy --policy-pack-config policies/config/prod.json
` + "```" + `

The pack also runs as a directory (` + "`--policy-pack policies/`" + `, runtime ` + "`go`" + ` in PulumiPolicy.yaml) on a machine
with the Go language host; CI and the sandbox use the prebuilt executable.

**Environment.** The stack's ` + "`platform:environment`" + ` decides it, the value the program validates against: the engine
sends the stack's config in ConfigureStack. Only without that key does the stack name decide: ` + "`dev`" + `, ` + "`staging`" + ` or
` + "`prod`" + `, or a name carrying one of them as a ` + "`-`" + `/` + "`_`" + `/` + "`.`" + `-separated token (` + "`acme-prod`" + `, ` + "`prod-eu`" + `,
` + "`stg-us-east-1`" + `); the program refuses a stack whose name and ` + "`platform:environment`" + ` disagree unless
` + "`platform:customStackName`" + ` declares the name. When there is no stack (` + "`pulumi policy analyze --file`" + `),
` + "`PLATFORM_POLICY_ENVIRONMENT=dev|staging|prod`" + ` sets it; otherwise, and for an unsupported value or a stack name
naming no environment, it is **prod**, the strictest. The pack reports each policy at its
default level for that environment; ` + "`--policy-pack-config`" + ` overrides levels and thresholds.

**Unknown values** (a preview of resources whose inputs are not known yet) are never violations: the policy
records "cannot decide yet" (reported to the engine as not applicable) and decides on the next run.
**Secrets** are used for decisions but never printed; messages show ` + "`[secret]`" + `, and plaintext credentials in
Helm values are reported by path only.

**Components and their children.** Every gate judges something a real run sends: the concrete resources
(` + "`aws:eks/cluster:Cluster`" + `, ` + "`aws:eks/nodeGroup:NodeGroup`" + `, a chart's rendered objects, ...), and, where the program's
mock tests register a component with inputs (` + "`eks:index:Cluster`" + `, ` + "`eks:index:ManagedNodeGroup`" + `,
` + "`kubernetes:helm.sh/v4:Chart`" + `), those inputs too. A fault reported on a component is not reported again on its
descendants. A remote component registered by its provider carries no inputs (the engine runs it through
Construct); it is skipped and its children carry the verdict. What no child shows (a v4 chart's repository and
requested version) is checked where the program builds it: ` + "`internal/charts`" + `. The table "Where each policy acts in
a real run" below says, per policy, what it judges.

Each violation names the resource, the field, the value seen, the fix, and the control it implements.
`

const readmeRealRun = `
## Where each policy acts in a real run

The engine sends a policy pack each resource's inputs as it is registered (Analyze, in preview and up) and,
after the run, every resource's state (AnalyzeStack). A **remote component** is different: pulumi-eks's
` + "`eks:index:Cluster`" + ` and ` + "`eks:index:ManagedNodeGroup`" + ` and the ` + "`kubernetes:helm.sh/v4:Chart`" + ` are constructed by their
provider; the engine hands their inputs to the provider's Construct (pulumi ` + "`pkg/v3`" + ` v3.274.1,
` + "`resource/deploy/source_eval.go`" + `) and the provider registers the component with no properties, so the pack sees
the component without inputs and then each child it creates with that child's inputs. For a v4 Chart the
children are the rendered objects (` + "`kubernetes:apps/v1:Deployment`" + `, ` + "`kubernetes:core/v1:ConfigMap`" + `, CRDs, ...),
labelled ` + "`helm.sh/chart: <name>-<version>`" + `; only rendered ` + "`Secret`" + ` objects are marked secret. A ` + "`helm.sh/v3`" + ` Release
is a custom resource and always arrives with its inputs (chart, version, repository, values).

| Policy | What it judges in a real run |
|---|---|
`

const readmeHowTo = `
## Overriding a level or a threshold

Per-environment overrides live in ` + "`policies/config/<env>.json`" + `, the Pulumi CLI's version 2 policy config format,
passed with ` + "`--policy-pack-config`" + `:

` + "```json" + `
{
  "version": 2,
  "policies": {
    "nat-per-az": "advisory",
    "gpu-pool-max-size": { "maxNodes": 16 },
    "eks-supported-version": { "enforcementLevel": "mandatory", "supportedVersions": ["1.33", "1.34"] }
  },
  "exceptions": {}
}
` + "```" + `

A string sets the level (` + "`advisory`" + `, ` + "`mandatory`" + ` or ` + "`disabled`" + `); an object sets ` + "`enforcementLevel`" + ` and/or
the policy's settings from the catalogue. The CLI validates settings against each policy's schema, and
` + "`TestEnvironmentConfigFiles`" + ` rejects unknown policies, unknown settings and wrong types in the committed files.
Raising a cap or lowering a level is a reviewed change to that file, never a flag on someone's laptop.

## Recording an exception

An exception accepts a specific violation on specific resources, with a reason, without weakening the policy
for everyone else. Add it to the environment's file; the CLI matches each violation's policy and resource URN
exactly and shows the exception's ID and reason next to the (no longer blocking) violation:

` + "```json" + `
{
  "version": 2,
  "policies": {},
  "exceptions": {
    "EXC-12": {
      "reason": "Q3 launch load test, approved in PLAT-123, remove by 2026-12-31",
      "match": [
        {
          "policies": ["gpu-pool-max-size"],
          "targets": ["urn:pulumi:prod::platform::platform:gpupools:GPUPools$aws:eks/nodeGroup:NodeGroup::prod-gpu-inference"]
        }
      ]
    }
  }
}
` + "```" + `

` + "`policies/config/prod.json`" + ` carries a real one: pulumi-eks forces the cluster creator's admin grant, which
` + "`eks-no-creator-admin`" + ` forbids in prod. Take the URN from the violation output (or
` + "`pulumi stack --show-urns`" + `). An exception needs a reason and at least one policy and target; IDs sort naturally
(EXC-2 before EXC-10). Remove it when the reason expires.

## Adding a policy

1. Pick the file in ` + "`policies/pack`" + ` for its group (` + "`policies_cluster.go`" + `, ` + "`policies_nodes.go`" + `, ...) and
   ` + "`register`" + ` a ` + "`&Policy{...}`" + ` with a kebab-case ID, a one-line description of what must hold, the resource
   types (mark component types in ` + "`Components`" + `), default ` + "`Levels`" + ` for dev/staging/prod, the control it
   implements if one exists, settings with a default per environment, and the fix.
2. Write the check over property values with the helpers (` + "`c.get(\"a.b\")`" + `, ` + "`requireKnown`" + `, ` + "`str`" + `,
   ` + "`boolean`" + `, ` + "`items`" + `): an unknown value calls ` + "`c.unknown(field)`" + ` and returns; a message names the field
   and the value seen (` + "`value.show()`" + ` redacts secrets).
3. Add a table in the matching ` + "`*_cases_test.go`" + `: the levels, and at least one violating, one compliant and
   one unknown-value case. ` + "`TestEveryPolicyHasATable`" + ` fails until you do.
4. Run ` + "`make policy-readme`" + ` to regenerate this file and ` + "`make policy-test`" + ` (it also drives the real CLI).

## Limits

- A ` + "`helm.sh/v4`" + ` Chart's inputs never reach the pack in a real run. Its rendered objects do, and the policies
  that matter for them judge those (images, credentials in env values and ConfigMaps, Prometheus storage); a
  v4 chart's repository and requested version are checked by ` + "`internal/charts`" + ` (` + "`charts.Guard`" + ` and its test,
  which runs ` + "`helm-chart-pinned`" + ` and ` + "`helm-allowed-repositories`" + ` over every catalogue entry). Vault and
  kube-prometheus-stack are ` + "`helm.sh/v3`" + ` Releases, whose values always arrive.
- The SDK's mock monitor drops unknown inputs instead of passing them as unknown, so a mock *preview* graph cannot
  tell "unknown" from "not set": evaluate the non-preview mock graph (` + "`pack.Evaluate`" + ` on mocks with known values).
- Account-level settings (EBS encryption by default, S3 account public access block) are not visible to policies;
  the pack asks for the per-resource setting.
- Directory mode (` + "`--policy-pack policies/`" + `) needs the Go language host, which this repository's sandbox does not
  have; the tests drive the prebuilt executable.

## Tests

` + "`make policy-test`" + ` runs ` + "`go test ./policies/...`" + `:

- ` + "`policies/pack`" + `: a table per policy (violating, compliant, unknown), levels per environment and config
  overrides, the config format, secrets never printed, component/child reported once, this README is current.
- ` + "`policies`" + `: protocol tests that build the executable and (1) drive it over gRPC as the engine's plugin host
  does, and (2) run the real CLI's ` + "`pulumi policy analyze --file`" + ` on fixture exports (a compliant export exits 0; a
  violating one exits non-zero and prints the violation; an exception makes it pass). (2) needs ` + "`bin/pulumi`" + `
  (` + "`make pulumi`" + `); ` + "`make policy-test`" + ` builds it first.
`
