#!/bin/sh
# The platform program as the plain `pulumi` CLI runs it (Pulumi.yaml:
# runtime.options.binary). Without this, the Go language host compiles the
# program itself on every command, with -trimpath -ldflags "-w -s" into a new
# temporary file (pulumi sdk/go/pulumi-language-go main.go, compileProgram):
# nothing `make` or `go test` compiled is reused (-trimpath changes every
# package's build key, so the first preview recompiles pulumi-aws and the other
# SDKs, ~10 min on 2 cores), and every later command relinks the whole program.
#
# Here the program is built with the same `go build` as `make program` and the
# tests, so it shares their build cache, into a fixed path, so a build with
# nothing changed is a no-op (go build skips the link when bin/platform is
# current), and is then run in place of the language host's build. It is never
# stale: every pulumi command rebuilds what changed first.
set -eu
root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
if [ ! -x "$root/bin/platform" ]; then
	echo "building the program into bin/platform (first build: a minute or two when make test or make preview already compiled the SDKs, ~10 min on 2 cores with a cold Go build cache; later runs rebuild only what changed)" >&2
fi
go -C "$root" build -o bin/platform .
exec "$root/bin/platform" "$@"
