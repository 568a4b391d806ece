# Sourced by scripts/test.sh and .ci/run: the local PostgreSQL (127.0.0.1:5432,
# trust auth on these machines), started if it is down, and a database of our own.
# Python callers (tests, bench, chaos) use tests/harness/postgres.py, which does the same.
throwaway_postgres() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  PROGEN_TEST_DB="progen_test_$$"
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $PROGEN_TEST_DB" postgres
  trap 'psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $PROGEN_TEST_DB WITH (FORCE)" postgres >/dev/null 2>&1 || true' EXIT
  export TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:5432/$PROGEN_TEST_DB"
}
