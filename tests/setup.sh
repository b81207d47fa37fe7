#!/usr/bin/env bash
# Installs what `cargo test` needs beyond Rust, on a Debian machine, once;
# a second run with everything in place takes about a second:
#
#   python3, python3-venv  script groups run Pyak47 Transaction scripts
#   python3-yaml           tests/k8s_cli.rs reads manifests as kubectl does
#                          (YAML 1.1, PyYAML)
#   gcc                    rusqlite's bundled SQLite is C
#   chromium               tests/report_browser.rs renders report.html
#   node, npm              tests/consumers_cli.rs feeds results.jtl to parse-jtl
#   tests/consumers/       parse-jtl (npm), junitparser and xmlschema (PyPI),
#                          the Jenkins JUnit XSD (tests/consumers/setup.sh)
#   tests/k8s/             kubernetes-models and yaml (npm) (tests/k8s/setup.sh)
#
# System packages come from apt and need root; without root, the missing
# ones are named and the script stops.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -m venv --help >/dev/null 2>&1 || missing+=(python3-venv)
python3 -c 'import yaml' >/dev/null 2>&1 || missing+=(python3-yaml)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
[ -x "${PACE_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "tests/setup.sh: missing ${missing[*]}: install them (sudo apt-get install -y ${missing[*]}) and run again" >&2
    exit 1
  fi
  echo "tests/setup.sh: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Debian's python3-yaml serves /usr/bin/python3; a python3 first on PATH
# that is not Debian's (pyenv) gets PyYAML from PyPI instead.
if ! python3 -c 'import yaml' >/dev/null 2>&1; then
  python3 -m pip install -q pyyaml
fi

bash tests/consumers/setup.sh
bash tests/k8s/setup.sh
