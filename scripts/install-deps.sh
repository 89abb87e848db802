#!/usr/bin/env bash
# Installs what `make run` (install-deps.sh run) or `make test` (install-deps.sh test) needs and
# is missing, on Debian 12 / Ubuntu: PostgreSQL's server programs unless a database is configured,
# espeak-ng and sox, which make the default voice prompts (run: into the prompts directory), and
# for tests SIPp, the baresip softphone, Chromium with CJK fonts, and the browser driver and axe-core from npm.
set -euo pipefail
mode=${1:-run}
cd "$(dirname "$0")/.."

need=()
have_pg() {
  command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1
}
if [ -z "${HOTLINE_DATABASE_URL:-}" ] || [ "$mode" = test ]; then
  have_pg || need+=(postgresql)
fi
if [ "${HOTLINE_MEDIA:-on}" != off ] || [ "$mode" = test ]; then
  command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
  command -v sox >/dev/null 2>&1 || need+=(sox)
fi
if [ "$mode" = test ]; then
  command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
  command -v baresip >/dev/null 2>&1 || need+=(baresip-core)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  [ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 || need+=(fonts-noto-cjk)
  command -v node >/dev/null 2>&1 || need+=(nodejs npm)
fi

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${need[*]} — install them (sudo apt-get install ${need[*]}) and run again" >&2
    exit 1
  fi
  echo "installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian starts a system cluster on install; hotline runs its own, so leave the port free.
  if printf '%s\n' "${need[@]}" | grep -qx postgresql; then
    (command -v pg_ctlcluster >/dev/null && for c in /etc/postgresql/*/main; do [ -d "$c" ] && pg_ctlcluster "$(basename "$(dirname "$c")")" main stop || true; done) >/dev/null 2>&1 || true
  fi
fi

go mod download

# The default prompts (greeting with the recording notice, hold audio …), made offline once;
# an administrator's own files in the directory are kept.
if [ "$mode" = run ] && [ "${HOTLINE_MEDIA:-on}" != off ]; then
  scripts/prompts.sh "${HOTLINE_PROMPTS_DIR:-${HOTLINE_DATA_DIR:-var}/prompts}"
fi

if [ "$mode" = test ] && [ -f web/e2e/package.json ]; then
  (cd web/e2e && { [ -d node_modules/playwright-core ] && [ -d node_modules/axe-core ] || npm install --no-audit --no-fund --loglevel=error; })
fi
