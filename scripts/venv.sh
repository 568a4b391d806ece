# Sourced by start_fastapi.sh and scripts/test.sh: one place that builds .venv.
# ensure_venv FILE [VENV]: install FILE into VENV (default .venv) unless the same FILE
# (and what it includes with -r) was installed last time, compared by checksum.
ensure_venv() {
  local venv=${2:-.venv} wanted stamp
  stamp=$venv/.installed-"$(basename "$1")"
  wanted=$(cat "$1" requirements.txt | sha256sum | cut -d' ' -f1)
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "progen: installing $1 into $venv ..." >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$1" >&2
    echo "$wanted" > "$stamp"
  fi
}
