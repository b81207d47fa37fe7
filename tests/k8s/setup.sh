#!/usr/bin/env bash
# Installs the Kubernetes schema validator that tests/k8s_cli.rs feeds
# `pace k8s` manifests to, from the npm registry, into this folder (ignored
# by git): kubernetes-models (the API's OpenAPI schemas as classes with
# validate()) and yaml (an independent YAML parser), pinned by
# package-lock.json. Idempotent: a second run takes a second.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f node_modules/kubernetes-models/package.json ] || [ ! -f node_modules/yaml/package.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
echo "k8s validator ready in $(pwd)"
