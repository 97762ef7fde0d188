#!/usr/bin/env bash
# Creates (idempotently) a Python environment for the tests that drive real Python programs,
# and prints the path of its python as the last line of output.
#
#   scripts/python_env.sh REQUIREMENTS VENV_DIR MODULE...
#
#   tests/mastodon_py/requirements.txt: Mastodon.py and pytest, for the compatibility test;
#   tests/s3/requirements.txt: moto's S3-compatible server, for the media bucket test;
#   tests/schemathesis/requirements.txt: schemathesis, for fuzzing the OpenAPI document.
#
# Installs REQUIREMENTS (every package pinned) with `pip install -r`, then checks that each
# MODULE imports. The install is skipped when the venv's stamp file holds the sha256 of the
# current requirements, so repeated runs cost nothing. Needs only python3 (>= 3.11, with the
# venv module) and access to PyPI. Progress goes to stderr; stdout carries only the python path.
set -euo pipefail

if [[ $# -lt 3 ]]; then
	echo "usage: $0 REQUIREMENTS VENV_DIR MODULE..." >&2
	exit 2
fi
requirements=$1
venv=$2 # relative paths are relative to the current directory
shift 2
modules=$(IFS=,; echo "$*")
case "$venv" in
/*) ;;
*) venv="$PWD/$venv" ;;
esac
stamp="$venv/.starling-requirements.sha256"
python="$venv/bin/python"

log() { printf 'python_env: %s\n' "$*" >&2; }

if [[ ! -f "$requirements" ]]; then
	log "missing $requirements"
	exit 1
fi

if ! command -v python3 >/dev/null 2>&1; then
	log "python3 not found; install Python 3.11 or newer"
	exit 1
fi

if ! python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
	log "python3 is $(python3 -V 2>&1); the pinned packages (python-dateutil 4) need Python >= 3.11"
	exit 1
fi

sha256_of() {
	python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1"
}
want=$(sha256_of "$requirements")

if [[ -x "$python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && "$python" -c "import $modules" 2>/dev/null; then
	log "up to date: $venv"
	echo "$python"
	exit 0
fi

# A venv whose python no longer runs (e.g. the system python changed) is rebuilt from scratch.
if [[ -e "$venv" ]] && ! "$python" -c 'import sys' 2>/dev/null; then
	log "removing broken venv $venv"
	rm -rf "$venv"
fi

if [[ ! -x "$python" ]]; then
	log "creating venv $venv"
	mkdir -p "$(dirname "$venv")"
	if ! python3 -m venv "$venv" >&2; then
		log "python3 -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
		rm -rf "$venv"
		exit 1
	fi
fi

rm -f "$stamp"
log "installing $requirements"
"$python" -m pip install --disable-pip-version-check --no-input --quiet -r "$requirements" >&2
"$python" -c "import $modules" >&2
echo "$want" >"$stamp"
log "ready: $venv"
echo "$python"
