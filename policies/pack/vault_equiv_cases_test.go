package pack_test

import (
	"fmt"
	"strings"

	"github.com/platform-team/platform/policies/pack"
)

// Equivalence cases for the Vault policies: what the Vault chart (vault-helm 0.34.1, templates/_helpers.tpl) and
// Vault's configuration parser treat as the same setting gets the same verdict. The chart selects its mode with
// `eq (x | toString) "true"`, reads global.tlsDisable with template truthiness, uses server.ha.raft.config
// whenever server.ha.raft.enabled is truthy and hands Vault HCL or JSON; Vault reads booleans weakly.

// prodRaftJSON is prodRaft as JSON, which Vault reads as well as HCL.
const prodRaftJSON = `{"ui":true,
 "listener":[{"tcp":{"address":"[::]:8200","tls_cert_file":"/vault/userconfig/tls/tls.crt","tls_key_file":"/vault/userconfig/tls/tls.key"}}],
 "storage":{"raft":{"path":"/vault/data"}},
 "seal":{"awskms":{"region":"eu-west-1","kms_key_id":"alias/vault-unseal"}}}`

// raftWith returns the raft configuration with one stanza's text replaced.
func raftWith(old, new string) string { return strings.Replace(prodRaft, old, new, 1) }

func init() {
	ha := func(path string, v any) tc {
		return tc{name: path + "=" + spell(v), res: vault(with(vaultValues(), path, v)), want: violates}
	}
	addEquivalences("vault-ha-raft",
		// The chart compares toString with "true": these spellings leave ha off, so the chart runs standalone.
		ha("server.ha.enabled", "True"),
		ha("server.ha.enabled", "yes"),
		ha("server.ha.enabled", 1),
		ha("server.ha.enabled", false),
		ha("server.ha.enabled", nil),
		// Dev mode wins over ha whatever ha says.
		ha("server.dev.enabled", true),
		ha("server.dev.enabled", "true"),
		ha("server.ha.raft.enabled", "TRUE"),
		ha("server.ha.raft.enabled", false),
		ha("server.ha.replicas", 2),
		ha("server.ha.replicas", 1.0),
		tc{name: "ha-enabled-string-true", res: vault(with(vaultValues(), "server.ha.enabled", "true")), want: passes},
		tc{name: "raft-enabled-string-true", res: vault(with(vaultValues(), "server.ha.raft.enabled", "true")), want: passes},
		// A non-number replicas falls back to the chart's 3.
		tc{name: "replicas-string-falls-back-to-3", res: vault(with(vaultValues(), "server.ha.replicas", "2")), want: passes},
		tc{name: "dev-string-True-is-not-dev", res: vault(with(vaultValues(), "server.dev.enabled", "True")), want: passes},
		tc{name: "external-vault-runs-no-server", res: vault(obj{"injector": obj{"externalVaultAddr": "https://vault.example:8200"}}), want: passes},
		tc{name: "server-disabled", res: vault(obj{"server": obj{"enabled": false}}), want: passes},
		tc{name: "unknown-dev", res: vault(with(vaultValues(), "server.dev.enabled", unk)), want: undecided},
		tc{name: "unknown-replicas", res: vault(with(vaultValues(), "server.ha.replicas", unk)), want: undecided},
	)

	unseal := func(name, cfg string) tc {
		return tc{name: name, res: vault(with(vaultValues(), "server.ha.raft.config", cfg)), want: violates}
	}
	addEquivalences("vault-auto-unseal-kms",
		unseal("hcl-no-seal", raftWith(`seal "awskms"`, `# seal "awskms"`)),
		unseal("hcl-shamir-comment-mentions-awskms", raftWith(`seal "awskms" {`, `# seal "awskms" is planned
seal "shamir" {`)),
		unseal("hcl-awskms-disabled-bool", raftWith(`region     = "eu-west-1"`, `disabled = true
  region = "eu-west-1"`)),
		unseal("hcl-awskms-disabled-string", raftWith(`region     = "eu-west-1"`, `disabled = "true"
  region = "eu-west-1"`)),
		unseal("hcl-awskms-disabled-one", raftWith(`region     = "eu-west-1"`, `disabled = 1
  region = "eu-west-1"`)),
		unseal("json-no-seal", strings.Replace(prodRaftJSON, `"awskms"`, `"transit"`, 1)),
		unseal("json-awskms-disabled", strings.Replace(prodRaftJSON, `"region":"eu-west-1"`, `"disabled":"T","region":"eu-west-1"`, 1)),
		tc{name: "config-in-ha-config-ignored-when-raft-on", res: vault(with(vaultValues(), "server.ha.raft.config", raftWith(`seal "awskms"`, `# none`), "server.ha.config", prodRaft)), want: violates},
		tc{name: "structured-config", res: vault(with(vaultValues(), "server.ha.raft.config", obj{"seal": obj{"awskms": obj{}}})), want: violates, msg: "not a configuration string"},
		tc{name: "chart-default-config", res: vault(with(vaultValues(), "server.ha.raft.config", nil)), want: violates, msg: "the chart's default configuration"},
		tc{name: "hcl", res: vault(vaultValues()), want: passes},
		tc{name: "json", res: vault(with(vaultValues(), "server.ha.raft.config", prodRaftJSON)), want: passes},
		tc{name: "hcl-disabled-false-string", res: vault(with(vaultValues(), "server.ha.raft.config", raftWith(`region     = "eu-west-1"`, `disabled = "false"
  region = "eu-west-1"`))), want: passes},
		tc{name: "ha-config-without-raft", res: vault(with(vaultValues(), "server.ha.raft", obj{"enabled": false}, "server.ha.config", prodRaft)), want: passes},
		tc{name: "unknown-config", res: vault(with(vaultValues(), "server.ha.raft.config", unk)), want: undecided},
		tc{name: "unknown-raft-enabled", res: vault(with(vaultValues(), "server.ha.raft.enabled", unk)), want: undecided},
	)

	tls := func(name string, v obj) tc { return tc{name: name, res: vault(v), want: violates} }
	addEquivalences("vault-tls",
		// The chart reads global.tlsDisable with template truthiness: any non-empty string disables TLS.
		tls("tlsDisable-true", with(vaultValues(), "global.tlsDisable", true)),
		tls("tlsDisable-string-false", with(vaultValues(), "global.tlsDisable", "false")),
		tls("tlsDisable-string-0", with(vaultValues(), "global.tlsDisable", "0")),
		tls("tlsDisable-1", with(vaultValues(), "global.tlsDisable", 1)),
		tls("tlsDisable-unset", with(vaultValues(), "global", nil)),
		tls("listener-tls_disable-1", with(vaultValues(), "server.ha.raft.config", raftWith(`address = "[::]:8200"`, `address = "[::]:8200"
  tls_disable = 1`))),
		tls("listener-tls_disable-string-true", with(vaultValues(), "server.ha.raft.config", raftWith(`address = "[::]:8200"`, `address = "[::]:8200"
  tls_disable = "true"`))),
		tls("listener-tls_disable-string-t", with(vaultValues(), "server.ha.raft.config", raftWith(`address = "[::]:8200"`, `address = "[::]:8200"
  tls_disable = "t"`))),
		tls("json-listener-tls_disable", with(vaultValues(), "server.ha.raft.config", strings.Replace(prodRaftJSON, `"address":"[::]:8200"`, `"address":"[::]:8200","tls_disable":"1"`, 1))),
		tls("second-listener", with(vaultValues(), "server.ha.raft.config", prodRaft+"\nlistener \"tcp\" {\n  address = \"[::]:8300\"\n  tls_disable = true\n}")),
		tls("chart-default-config", with(vaultValues(), "server.ha.raft.config", nil)),
		tc{name: "tlsDisable-false", res: vault(vaultValues()), want: passes},
		tc{name: "tlsDisable-empty-string", res: vault(with(vaultValues(), "global.tlsDisable", "")), want: passes},
		tc{name: "tlsDisable-0", res: vault(with(vaultValues(), "global.tlsDisable", 0)), want: passes},
		tc{name: "listener-tls_disable-string-false", res: vault(with(vaultValues(), "server.ha.raft.config", raftWith(`address = "[::]:8200"`, `address = "[::]:8200"
  tls_disable = "false"`))), want: passes},
		tc{name: "json", res: vault(with(vaultValues(), "server.ha.raft.config", prodRaftJSON)), want: passes},
		tc{name: "unknown-tlsDisable", res: vault(with(vaultValues(), "global.tlsDisable", unk)), want: undecided},
		tc{name: "unknown-config", res: vault(with(vaultValues(), "server.ha.raft.config", unkOutput)), want: undecided},
	)

	addEquivalences("vault-dev-mode-off",
		tc{name: "bool", res: vault(with(vaultValues(), "server.dev.enabled", true)), want: violates},
		tc{name: "string", res: vault(with(vaultValues(), "server.dev.enabled", "true")), want: violates},
		tc{name: "secret-bool", res: vault(with(vaultValues(), "server.dev.enabled", secret(true))), want: violates},
		tc{name: "dev-without-ha", res: vault(obj{"server": obj{"dev": obj{"enabled": true}}}), want: violates},
		// The chart compares with the string "true": these do not turn dev mode on.
		tc{name: "string-True", res: vault(with(vaultValues(), "server.dev.enabled", "True")), want: passes},
		tc{name: "one", res: vault(with(vaultValues(), "server.dev.enabled", 1)), want: passes},
		tc{name: "external", res: vault(obj{"global": obj{"externalVaultAddr": "https://v:8200"}, "server": obj{"dev": obj{"enabled": true}}}), want: passes},
		tc{name: "unknown", res: vault(with(vaultValues(), "server.dev.enabled", unk)), want: undecided},
		tc{name: "unknown-external-addr", res: vault(with(vaultValues(), "global.externalVaultAddr", unk)), want: undecided},
	)

	ttl := func(name string, ttl, max any, want outcome) tc {
		return tc{name: name, res: authRole(arr{"app"}, arr{"team-a"}, ttl, max), want: want}
	}
	addEquivalences("vault-k8s-auth-role-ttl",
		// The vault provider sends token_ttl as seconds; a numeric string is the same number.
		ttl("zero-is-system-default", 0, 3600, violates),
		ttl("string-zero", "0", 3600, violates),
		ttl("too-long-string", "7200", 86400, violates),
		ttl("too-long-max", 3600, 2592000, violates),
		ttl("bounded", 900, 3600, passes),
		ttl("bounded-strings", "900", "3600", passes),
		ttl("unknown-max", 900, unk, undecided),
		// A periodic token renews without limit: tokenMaxTtl does not bound it.
		tc{name: "periodic", res: periodic(3600), want: violates, msg: "tokenPeriod"},
		tc{name: "periodic-string", res: periodic("3600"), want: violates},
		tc{name: "period-zero-is-not-periodic", res: periodic(0), want: passes},
		tc{name: "unknown-period", res: periodic(unk), want: undecided},
	)
}

// spell names a value in a case name.
func spell(v any) string {
	switch t := v.(type) {
	case nil:
		return "unset"
	case string:
		return `"` + t + `"`
	}
	return strings.ReplaceAll(fmt.Sprint(v), ".", "_")
}

// periodic is a bounded auth role that also sets tokenPeriod.
func periodic(period any) []pack.Resource {
	rs := authRole(arr{"app"}, arr{"team-a"}, 900, 3600)
	rs[0].Properties["tokenPeriod"] = props(obj{"p": period})["p"]
	return rs
}
