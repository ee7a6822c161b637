#!/usr/bin/env bash
# The demo, tests and benchmarks run a real redis-server, a real RabbitMQ node and real Celery workers (Debian's
# packages; python3-tzlocal is what Celery 5.6, put first by CELERY_PYTHONPATH, needs besides them). Missing ones are installed here when that needs no password (root, or sudo -n);
# otherwise this stops with the one command to run.
set -euo pipefail
PACKAGES=(redis-server rabbitmq-server python3-celery python3-redis python3-tzlocal)
# Debian's Python: the workers run as `/usr/bin/python3 -m celery` (another python3 lacks these).
python=${DEBIAN_PYTHON:-/usr/bin/python3}
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# Tests start their own node from Debian's scripts (local/rabbitmq-server.ts), never the system one.
# RABBITMQ_SERVER_SCRIPT names another place to look (the tests' bare machine has none).
if [ -n "${RABBITMQ_SERVER_SCRIPT:-}" ]; then
  [ -x "$RABBITMQ_SERVER_SCRIPT" ] || missing+=(rabbitmq-server)
else
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || [ -x /usr/sbin/rabbitmq-server ] || missing+=(rabbitmq-server)
fi
"$python" -c 'import celery' >/dev/null 2>&1 || missing+=(python3-celery)
"$python" -c 'import redis' >/dev/null 2>&1 || missing+=(python3-redis)
"$python" -c 'import tzlocal' >/dev/null 2>&1 || missing+=(python3-tzlocal)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "missing Debian packages: ${missing[*]} — install them with: sudo apt-get install -y ${PACKAGES[*]}" >&2
  exit 1
fi

echo "installing missing Debian packages: ${missing[*]} (apt-get install -y ${PACKAGES[*]})" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# An old or empty package list cannot find them: refresh it first.
if ! { "${as_root[@]}" apt-get update -qq && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${PACKAGES[@]}"; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  echo "could not install ${missing[*]}: see apt-get's output above; then run: sudo apt-get install -y ${PACKAGES[*]}" >&2
  exit 1
fi
