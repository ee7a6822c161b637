#!/usr/bin/env bash
# The demo, tests and benchmarks run a real redis-server and real Celery workers.
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
/usr/bin/python3 -c 'import celery' >/dev/null 2>&1 || missing+=(python3-celery)
/usr/bin/python3 -c 'import redis' >/dev/null 2>&1 || missing+=(python3-redis)
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing Debian packages: ${missing[*]} — install them with: sudo apt-get install -y redis-server python3-celery python3-redis" >&2
  exit 1
fi
