#!/usr/bin/env bash
# Creates (idempotently) the Python environment for the Mastodon.py compatibility test and prints
# the path of its python as the last line of output.
#
#   scripts/mastodon_py_env.sh [VENV_DIR]      # default: <repo>/target/mastodon-py-venv
#
# Installs tests/mastodon_py/requirements.txt (every package pinned) with `pip install -r`.
# The install is skipped when the venv's stamp file holds the sha256 of the current
# requirements.txt, so repeated runs cost nothing. Needs only python3 (>= 3.11, with the venv
# module) and access to PyPI. Progress goes to stderr; stdout carries only the python path.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${1:-$repo_root/target/mastodon-py-venv} # a relative VENV_DIR is relative to the current directory
case "$venv" in
/*) ;;
*) venv="$PWD/$venv" ;;
esac
requirements="$repo_root/tests/mastodon_py/requirements.txt"
stamp="$venv/.starling-requirements.sha256"
python="$venv/bin/python"

log() { printf 'mastodon_py_env: %s\n' "$*" >&2; }

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

if [[ -x "$python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && "$python" -c 'import mastodon, pytest' 2>/dev/null; then
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
"$python" -c 'import mastodon, pytest' >&2
echo "$want" >"$stamp"
log "ready: $venv"
echo "$python"
