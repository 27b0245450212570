#!/usr/bin/env bash
# `groundcrew migrate` end to end, on a throwaway PostgreSQL 15 cluster (as tests/support/
# postgres_cluster.cpp makes one: initdb, a loopback port, trust authentication; as the
# postgres user when run as root):
#   migrate_test.sh GROUNDCREW [GROUNDCREWD]
# - `groundcrew init` makes an installation; `groundcrew migrate` copies it (exit 0), creates
#   the secrets key file (mode 0600), prints the tables and never the URI's password;
# - the secrets are in the database (three sealed values) and the data directory is unchanged;
# - a data directory whose groundcrewd lock is held is refused (exit 1, naming --from);
# - a second migrate into the same schema is refused (exit 1, naming --to and a table); a bad
#   --to, a missing --from and a key file others may read exit 1 naming their flag; a missing
#   --to is a usage error (exit 2);
# - with GROUNDCREWD: it starts on the database with the key and serves the init's admin token.
# Exits 77 (skipped) when PostgreSQL 15 is not installed.
set -uo pipefail

groundcrew=$1
groundcrewd=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
pg_bin=/usr/lib/postgresql/15/bin
[ -x "$pg_bin/initdb" ] || {
  echo "SKIP: $pg_bin/initdb is missing (Debian's postgresql package)"
  exit 77
}

work=$(mktemp -d)
daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  as_owner "$pg_bin/pg_ctl" -D "$work/pg/data" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=../../tests/support/checks.sh
. "$here/../../tests/support/checks.sh"

# PostgreSQL refuses to run as root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
chmod 711 "$work"
mkdir "$work/pg"
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$work/pg"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_owner "$pg_bin/initdb" -D "$work/pg/data" -U postgres -A trust --no-sync -E UTF8 \
  --locale=C.UTF-8 >/dev/null || { echo "initdb failed" >&2; exit 1; }
as_owner "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $work/pg -c fsync=off" start >/dev/null ||
  { cat "$work/pg/log" >&2; exit 1; }
"$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres gc || exit 1
psql() { "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d gc -XAtq "$@"; }

# An installation, and its copy. The password is ignored (trust) but must never be printed.
"$groundcrew" init --data-dir "$work/var" --organization Contoso --domain contoso.com \
  >"$work/init.out" || { echo "groundcrew init failed" >&2; exit 1; }
admin_token=$(grep -o 'gcadm_[A-Za-z0-9_-]*' "$work/init.out")
# SQLite may leave an empty -wal and -shm beside the database it read, and migrate takes
# groundcrewd's lock (groundcrewd.lock): not changes.
files() {
  (cd "$1" && find . -type f ! -name '*-wal' ! -name '*-shm' ! -name groundcrewd.lock \
    -exec sha256sum {} + | sort)
}
before=$(files "$work/var")
uri="postgresql://postgres:pw-s3cret@127.0.0.1:$port/gc"
status=0
"$groundcrew" migrate --from "$work/var" --to "$uri" --secrets-key-file "$work/secrets.key" \
  >"$work/migrate.out" 2>&1 || status=$?
expect_equal "migrate exit status" 0 "$status"
out=$(cat "$work/migrate.out")
grep -q "pw-s3cret" <<<"$out" && fail "migrate printed the URI's password:"$'\n'"$out"
grep -q "postgresql://postgres@127.0.0.1:$port/gc" <<<"$out" ||
  fail "migrate does not name the database without its password:"$'\n'"$out"
grep -qE "^  admin_credentials +1  [0-9a-f]{12}$" <<<"$out" ||
  fail "migrate does not list admin_credentials with 1 row and its hash:"$'\n'"$out"
grep -q "Created the secrets key file $work/secrets.key" <<<"$out" ||
  fail "migrate does not say it created the key file:"$'\n'"$out"
expect_equal "the key file's mode" 600 "$(stat -c %a "$work/secrets.key" 2>/dev/null)"
expect_equal "sealed values in the database" "ca nonce-key token-keys" \
  "$(psql -c "SELECT string_agg(name, ' ' ORDER BY name) FROM groundcrew.sealed_values")"
expect_equal "admin credentials in the database" 1 \
  "$(psql -c "SELECT count(*) FROM groundcrew.admin_credentials")"
after=$(files "$work/var")
expect_equal "the data directory after migrate" "$before" "$after"

# Refusals.
expect_exit() {  # WHAT STATUS PATTERN ARGS...: `groundcrew migrate ARGS` exits STATUS, says PATTERN
  local what=$1 expected=$2 pattern=$3 output actual=0
  shift 3
  output=$("$groundcrew" migrate "$@" 2>&1) || actual=$?
  expect_equal "$what: exit status" "$expected" "$actual"
  grep -qE -- "$pattern" <<<"$output" || fail "$what: the output lacks /$pattern/:"$'\n'"$output"
  grep -q "pw-s3cret" <<<"$output" && fail "$what: the password was printed:"$'\n'"$output"
}
expect_exit "a second copy" 1 "--to: .*table [a-z_]+ has rows" \
  --from "$work/var" --to "$uri" --secrets-key-file "$work/secrets.key"
expect_exit "a URI of another kind" 1 "--to: " \
  --from "$work/var" --to "mysql://root:pw-s3cret@127.0.0.1/gc" --secrets-key-file "$work/k"
expect_exit "a missing data directory" 1 "--from: " \
  --from "$work/none" --to "$uri" --secrets-key-file "$work/secrets.key"
printf '%064d\n' 0 >"$work/open.key"
chmod 644 "$work/open.key"
expect_exit "a key file others may read" 1 "--secrets-key-file: " \
  --from "$work/var" --to "$uri" --secrets-key-file "$work/open.key"
# A process holding groundcrewd's lock on the data directory stands for a running groundcrewd.
(
  exec 9>>"$work/var/groundcrewd.lock"
  flock 9
  exec sleep 30
) &
holder=$!
for _ in $(seq 50); do flock -n "$work/var/groundcrewd.lock" true || break; sleep 0.1; done
expect_exit "a data directory groundcrewd serves" 1 "--from: another groundcrewd" \
  --from "$work/var" --to "${uri%/gc}/other" --secrets-key-file "$work/secrets.key"
kill "$holder"
wait "$holder" 2>/dev/null
expect_exit "no --to" 2 "--to" --from "$work/var"
expect_exit "an unreachable server" 1 "--to: " --from "$work/var" \
  --to "postgresql://postgres:pw-s3cret@127.0.0.1:1/gc" --secrets-key-file "$work/secrets.key"

# The instances' side: groundcrewd on the database serves the installation's admin token.
if [ -n "$groundcrewd" ]; then
  mkdir -p "$work/shared"
  cp -a "$work/var/content" "$work/shared/"
  GROUNDCREW_DATABASE="$uri" GROUNDCREW_SECRETS_KEY_FILE="$work/secrets.key" \
    "$groundcrewd" --data-dir "$work/shared" --listen 127.0.0.1:0 \
    --port-file "$work/port" >"$work/groundcrewd.log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
  if [ -s "$work/port" ]; then
    listing=$(GROUNDCREW_TOKEN=$admin_token XDG_CONFIG_HOME="$work/config" "$groundcrew" \
      --server "http://127.0.0.1:$(cat "$work/port")" credentials list 2>&1) ||
      fail "credentials list against groundcrewd on the database failed:"$'\n'"$listing"
    grep -q "admin" <<<"$listing" || fail "the migrated credential is not listed:"$'\n'"$listing"
    # Every admin token lost: recover one straight into the database; the instance accepts it.
    recovered=$("$groundcrew" credentials recover --database "$uri" --name rescued \
      --output "$work/rescued.token" 2>&1) || fail "credentials recover --database failed:"$'\n'"$recovered"
    grep -q "pw-s3cret" <<<"$recovered" && fail "credentials recover printed the password"
    listing=$(GROUNDCREW_TOKEN=$(cat "$work/rescued.token") XDG_CONFIG_HOME="$work/config" \
      "$groundcrew" --server "http://127.0.0.1:$(cat "$work/port")" credentials list 2>&1) ||
      fail "the recovered token is refused:"$'\n'"$listing"
    grep -q "rescued" <<<"$listing" || fail "the recovered credential is not listed:"$'\n'"$listing"
  else
    fail "groundcrewd did not start on the database:"$'\n'"$(cat "$work/groundcrewd.log")"
  fi
  grep -q "pw-s3cret" "$work/groundcrewd.log" && fail "groundcrewd logged the password"
fi

[ -n "${SHOW:-}" ] && cat "$work/migrate.out"
[ "$failures" -eq 0 ]
