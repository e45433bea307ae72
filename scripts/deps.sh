#!/usr/bin/env bash
# Installs what the tests need on a bare Debian machine: Graphviz (the dot
# rendering test), qemu-utils (VHD fixtures and the byte-for-byte reference),
# Node packages from package-lock.json (Azurite, and Microsoft's Service
# Management clients azure-asm-* that pkg/cloud/emulator/realclient drives),
# the Go modules, and golangci-lint at a pinned version.
# Idempotent: does nothing that is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v dot >/dev/null 2>&1 || need+=(graphviz)
command -v qemu-img >/dev/null 2>&1 || need+=(qemu-utils)
command -v jq >/dev/null 2>&1 || need+=(jq)
# Debian's azure-cli brings the Python azure.mgmt.* SDKs that
# pkg/cloud/emulator/realclient drives the emulator with.
/usr/bin/python3 -c 'import azure.mgmt.compute' >/dev/null 2>&1 || need+=(azure-cli)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "deps: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ -f package-lock.json ] && { [ ! -x node_modules/.bin/azurite-blob ] || [ ! -f node_modules/azure-asm-compute/package.json ]; }; then
  echo "deps: npm ci (Azurite, azure-asm-*)" >&2
  npm ci --no-audit --no-fund --silent
fi
go mod download
# golangci-lint at the version .golangci.yml is written for, built from the
# Go module proxy (no prebuilt binary can be downloaded here).
lint_version=v2.15.0
if ! command -v golangci-lint >/dev/null 2>&1 || ! golangci-lint version 2>/dev/null | grep -q "version ${lint_version#v} "; then
  echo "deps: go install golangci-lint ${lint_version}" >&2
  GOBIN="$(go env GOPATH)/bin" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@${lint_version}"
fi
