# shellcheck shell=bash
#
# Shared helpers for scripts/test, scripts/demo and the benchmarks.
#
# Source this file, then call `vigil_setup` (it installs the cleanup trap and
# creates the temporary directory) before starting anything:
#
#   source scripts/lib/common.sh
#   vigil_setup
#   ensure_packages
#   start_postgres "$VIGIL_TMP/pg"
#
# Every server runs on a free 127.0.0.1 port inside VIGIL_TMP; `cleanup` (run on
# EXIT, INT and TERM) stops everything this shell started and removes VIGIL_TMP.
# Progress goes to stderr so that stdout stays usable for command substitution.

VIGIL_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VIGIL_PG_BINDIR=/usr/lib/postgresql/15/bin
VIGIL_PG_PASSWORD=vigil-test-pw
VIGIL_PG_REPLICATION_SLOT=vigil_replica_slot

VIGIL_PACKAGES=(
  libpq-dev libhiredis-dev libmicrohttpd-dev zlib1g-dev libcurl4-openssl-dev libssl-dev libre2-dev libsnappy-dev pkg-config openssl
  postgresql postgresql-contrib redis-server
  prometheus prometheus-alertmanager prometheus-postgres-exporter prometheus-redis-exporter prometheus-blackbox-exporter
  curl python3 procps binutils
  chromium
)
VIGIL_BENCH_PACKAGES=(wrk nginx-light)

VIGIL_TMP=""
_vigil_apt_updated=false
_vigil_cleaned=false
_vigil_sessions=()    # session leaders started by spawn_session
_vigil_server_ctls=() # ctl scripts of the servers started here, stopped in reverse order
_vigil_cleanup_hooks=() # on_cleanup commands, run after the stops and before VIGIL_TMP is removed

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# ---------------------------------------------------------------------------
# Build identity

# The git commit of the tree this script runs in (with -dirty when tracked files have
# uncommitted changes): VIGIL_COMMIT when set (stamp_commit checks it is a commit name),
# else git's, or "unknown" outside a git checkout.
git_commit() {
  local root commit
  # A tree copied without .git (the Dockerfile's build context) is told its commit.
  if [[ -n ${VIGIL_COMMIT:-} ]]; then
    echo "$VIGIL_COMMIT"
    return
  fi
  root=$(cd "$VIGIL_LIB_DIR/../.." && pwd)
  commit=$(git -C "$root" rev-parse HEAD 2>/dev/null) || { echo unknown; return; }
  if [[ -n $(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
    commit+=-dirty
  fi
  echo "$commit"
}

# stamp_commit IN OUT [COMMIT]: writes a copy of the vigil binary IN to OUT with COMMIT
# (default: git_commit) in its `vigil_commit` section, which Sources/CBuildInfo reserves
# (64 bytes, NUL-padded; `vigil --version` and vigil_build_info{revision} read it). The build
# never sees the commit, so a new commit costs no rebuild and nothing in the tree is generated.
stamp_commit() {
  local in=$1 out=$2 commit=${3:-$(git_commit)} stamp
  [[ ${#commit} -lt 64 && $commit =~ ^[A-Za-z0-9._-]+$ ]] || die "not a commit name for the stamp: $commit"
  stamp=$(mktemp)
  printf '%s' "$commit" >"$stamp"
  truncate -s 64 "$stamp"
  objcopy --update-section "vigil_commit=$stamp" "$in" "$out.stamp" || { rm -f "$stamp" "$out.stamp"; die "objcopy could not stamp $in"; }
  rm -f "$stamp"
  chmod 755 "$out.stamp"
  mv -f "$out.stamp" "$out"
}

# ---------------------------------------------------------------------------
# Setup and cleanup

# Installs the cleanup trap and creates VIGIL_TMP (readable by the postgres and
# redis users, which own the server directories inside it).
vigil_setup() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  VIGIL_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil.XXXXXX")
  chmod 755 "$VIGIL_TMP"
  export VIGIL_TMP
}

# on_cleanup CMD...: cleanup runs CMD (in reverse order of registration) after it has stopped
# the sessions and servers and before it removes VIGIL_TMP. A CMD that fails keeps VIGIL_TMP
# on disk (scripts/check-image: a chroot whose mounts would not come off is never rm -rf'd).
on_cleanup() { _vigil_cleanup_hooks+=("$*"); }

# Stops every process group and server started from this shell, then removes
# VIGIL_TMP. Runs once, whatever the reason the script ends; keeps its exit status.
cleanup() {
  local status=$?
  if [[ $_vigil_cleaned == true ]]; then
    return "$status"
  fi
  _vigil_cleaned=true
  trap '' INT TERM # a second Ctrl-C must not cut the cleanup short

  local i
  for ((i = ${#_vigil_sessions[@]} - 1; i >= 0; i--)); do
    stop_session "${_vigil_sessions[i]}"
  done
  for ((i = ${#_vigil_server_ctls[@]} - 1; i >= 0; i--)); do
    "${_vigil_server_ctls[i]}" kill || warn "could not stop the server of ${_vigil_server_ctls[i]}"
  done
  local keep=false
  for ((i = ${#_vigil_cleanup_hooks[@]} - 1; i >= 0; i--)); do
    eval "${_vigil_cleanup_hooks[i]}" || keep=true
  done
  if [[ $keep == true ]]; then
    warn "kept $VIGIL_TMP: a cleanup step failed (see above)"
    ((status != 0)) || status=1
  elif [[ -n $VIGIL_TMP && -d $VIGIL_TMP ]]; then
    rm -rf -- "$VIGIL_TMP"
  fi
  exit "$status"
}

# Runs "$@" in the background in a new session and registers it for cleanup,
# which stops every process of that session (swift test puts its test runner
# in another process group, and tests start their own children). Sets
# VIGIL_LAST_PID (the session id). Redirect at the call site.
spawn_session() {
  setsid "$@" &
  VIGIL_LAST_PID=$!
  _vigil_sessions+=("$VIGIL_LAST_PID")
}

# Waits for a session leader started by spawn_session and returns its exit
# status. A trapped signal interrupts the wait at once; cleanup then stops it.
wait_session() {
  local sid=$1 status=0
  wait "$sid" || status=$?
  local kept=() s
  for s in "${_vigil_sessions[@]}"; do
    [[ $s == "$sid" ]] || kept+=("$s")
  done
  _vigil_sessions=("${kept[@]}")
  return "$status"
}

# Prints the live processes of session $1 (zombies excluded: an exited process
# whose parent has not reaped it yet still answers kill -0).
session_pids() {
  ps -e -o pid=,sid=,stat= | awk -v s="$1" '$2 == s && $3 !~ /^Z/ { print $1 }'
}

# SIGTERM to every process of a session; SIGKILL to what is left after 10 s.
stop_session() {
  local sid=$1 pids tries
  mapfile -t pids < <(session_pids "$sid")
  if ((${#pids[@]} > 0)); then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for ((tries = 0; tries < 100; tries++)); do
      [[ -n $(session_pids "$sid") ]] || break
      sleep 0.1
    done
    mapfile -t pids < <(session_pids "$sid")
    if ((${#pids[@]} > 0)); then
      warn "killing what is left of session $sid after SIGTERM: ${pids[*]}"
      kill -KILL "${pids[@]}" 2>/dev/null || true
    fi
  fi
  wait "$sid" 2>/dev/null || true
}

# The names these had before they stopped whole sessions (scripts/bench-http).
spawn_group() { spawn_session "$@"; }
wait_group() { wait_session "$@"; }
stop_group() { stop_session "$@"; }

# ---------------------------------------------------------------------------
# Packages

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "root or sudo is needed to run: $*"
  fi
}

# Prints the packages among "$@" that are not installed.
missing_packages() {
  local pkg
  for pkg in "$@"; do
    if [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) != "install ok installed" ]]; then
      printf '%s\n' "$pkg"
    fi
  done
}

# Installs the packages among "$@" that are missing. Services that the
# packages would start (PostgreSQL on 5432, Redis on 6379, Prometheus, ...) are
# kept from starting with a temporary policy-rc.d: we run our own servers.
install_packages() {
  local missing
  mapfile -t missing < <(missing_packages "$@")
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing packages (${missing[*]}) and no apt-get: install them by hand"
  log "installing missing Debian packages: ${missing[*]}"

  local policy=/usr/sbin/policy-rc.d added_policy=false
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# Added by Vigil scripts/lib/common.sh during apt-get install.\nexit 101\n' |
      as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"
    added_policy=true
  fi
  local status=0
  {
    if [[ $_vigil_apt_updated != true ]]; then
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
      _vigil_apt_updated=true
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  } || status=$?
  if [[ $added_policy == true ]]; then
    as_root rm -f "$policy"
  fi
  ((status == 0)) || die "apt-get failed (exit $status) installing: ${missing[*]}"
}

ensure_packages() { install_packages "${VIGIL_PACKAGES[@]}"; }
ensure_bench_packages() { install_packages "${VIGIL_BENCH_PACKAGES[@]}"; }

# ---------------------------------------------------------------------------
# Ports and users

# Prints a free TCP port on 127.0.0.1. Ports already handed out in this run
# (listed in VIGIL_TMP/ports) are never handed out twice.
free_port() {
  local used=/dev/null
  if [[ -n $VIGIL_TMP ]]; then
    used=$VIGIL_TMP/ports
    touch "$used"
  fi
  python3 - "$used" <<'PY'
import socket
import sys

used_file = sys.argv[1]
with open(used_file) as f:
    used = {line.strip() for line in f}
for _ in range(50):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    if port not in used:
        if used_file != "/dev/null":
            with open(used_file, "a") as f:
                f.write(port + "\n")
        print(port)
        sys.exit(0)
sys.exit("no free port found")
PY
}

# Prints the OS user that runs a server: the named service user when we are
# root (PostgreSQL refuses to run as root), else ourselves.
service_user() {
  local wanted=$1
  if [[ $EUID -eq 0 ]]; then
    id -u "$wanted" >/dev/null 2>&1 || die "user '$wanted' does not exist (is its package installed?)"
    printf '%s\n' "$wanted"
  else
    id -un
  fi
}

# Runs "$@" as the owner of directory $1 (from inside it), switching user only
# when we are root and the owner is someone else.
as_owner_of() {
  local dir=$1 owner
  shift
  owner=$(stat -c %U "$dir")
  if [[ $EUID -eq 0 && $owner != root ]]; then
    (cd "$dir" && runuser -u "$owner" -- "$@")
  else
    (cd "$dir" && "$@")
  fi
}

# Writes an executable wrapper OUT that runs CTL with fixed leading arguments.
write_ctl_wrapper() {
  local out=$1
  shift
  {
    printf '#!/usr/bin/env bash\n'
    printf '# Usage: %s start|stop|status|kill  (written by scripts/lib/common.sh)\n' "$out"
    printf 'exec'
    printf ' %q' "$@"
    printf ' "$@"\n'
  } >"$out"
  chmod 755 "$out"
}

# Waits until "$@" succeeds, up to $1 seconds; returns 1 on timeout.
wait_until() {
  local seconds=$1 tries
  shift
  for ((tries = 0; tries < seconds * 10; tries++)); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------------------
# S3 (moto)

# start_moto DIR PYTHONPATH: moto's S3-compatible server on a free 127.0.0.1 port, stopped by
# cleanup. Exports VIGIL_TEST_S3_URL, VIGIL_TEST_S3_PYTHONPATH (boto3 and moto live there) and
# VIGIL_TEST_S3_PYTHON (the interpreter that installed them, for the tests' set-up scripts).
start_moto() {
  local dir=$1 pylib=$2 port
  mkdir -p "$dir"
  port=$(free_port)
  spawn_session env PYTHONPATH="$pylib" python3 -m moto.server -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1
  wait_until 30 curl -fsS "http://127.0.0.1:$port/moto-api/" || die "moto_server did not start (see $dir/moto.log)"
  VIGIL_TEST_S3_PYTHON=$(command -v python3)
  export VIGIL_TEST_S3_URL="http://127.0.0.1:$port" VIGIL_TEST_S3_PYTHONPATH=$pylib VIGIL_TEST_S3_PYTHON
  log "moto S3 server on $VIGIL_TEST_S3_URL"
}

# ---------------------------------------------------------------------------
# PostgreSQL 15

# start_postgres DIR: a throwaway primary in DIR (data/, socket/, archive/,
# postgres.log). Exports VIGIL_TEST_PG_DSN, _PORT, _DATA, _CTL.
start_postgres() {
  local dir=$1 user port
  [[ -x $VIGIL_PG_BINDIR/initdb ]] || die "PostgreSQL 15 is not installed ($VIGIL_PG_BINDIR/initdb missing)"
  user=$(service_user postgres)
  port=$(free_port)
  mkdir -p "$dir"/{socket,archive}
  printf '%s\n' "$VIGIL_PG_PASSWORD" >"$dir/pwfile"
  chmod 600 "$dir/pwfile"
  chown -R "$user:" "$dir"

  log "PostgreSQL: initdb in $dir/data"
  as_owner_of "$dir" "$VIGIL_PG_BINDIR/initdb" --pgdata="$dir/data" --username=postgres \
    --pwfile="$dir/pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 ||
    die "initdb failed; see the log below$(printf '\n%s' "$(cat "$dir/initdb.log")")"
  rm -f "$dir/pwfile"

  cat >>"$dir/data/postgresql.conf" <<CONF

# --- Vigil throwaway test server (scripts/lib/common.sh) ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/socket'
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
track_io_timing = on
track_functions = all
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
archive_mode = on
archive_command = 'test ! -f $dir/archive/%f && cp %p $dir/archive/%f'
fsync = off
synchronous_commit = off
logging_collector = off
CONF
  if ! grep -Eq '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' "$dir/data/pg_hba.conf"; then
    printf 'host replication all 127.0.0.1/32 scram-sha-256\n' >>"$dir/data/pg_hba.conf"
  fi

  write_ctl_wrapper "$dir/pgctl" "$VIGIL_LIB_DIR/pg-ctl" "$dir/data" "$dir/postgres.log"
  _vigil_server_ctls+=("$dir/pgctl")
  "$dir/pgctl" start || die "PostgreSQL did not start; log: $(tail -n 20 "$dir/postgres.log")"

  export VIGIL_TEST_PG_PORT=$port
  export VIGIL_TEST_PG_DATA=$dir/data
  export VIGIL_TEST_PG_CTL=$dir/pgctl
  export VIGIL_TEST_PG_DSN="postgresql://postgres:$VIGIL_PG_PASSWORD@127.0.0.1:$port/postgres"
  PGCONNECT_TIMEOUT=10 psql "$VIGIL_TEST_PG_DSN" -q -v ON_ERROR_STOP=1 \
    -c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements' \
    -c 'CREATE EXTENSION IF NOT EXISTS citext' ||
    die "could not create the extensions on the PostgreSQL primary"
  log "PostgreSQL 15 primary on 127.0.0.1:$port (data $dir/data)"
}

# start_postgres_replica DIR: a streaming replica of the server started by
# start_postgres, through the physical slot vigil_replica_slot. Exports
# VIGIL_TEST_PG_REPLICA_DSN, _PORT, _DATA, _CTL.
start_postgres_replica() {
  local dir=$1 user port
  [[ -n ${VIGIL_TEST_PG_PORT:-} ]] || die "start_postgres must run before start_postgres_replica"
  user=$(service_user postgres)
  port=$(free_port)
  mkdir -p "$dir"/{socket,archive}
  chown -R "$user:" "$dir"

  log "PostgreSQL: pg_basebackup of 127.0.0.1:$VIGIL_TEST_PG_PORT into $dir/data"
  as_owner_of "$dir" env PGPASSWORD="$VIGIL_PG_PASSWORD" PGCONNECT_TIMEOUT=10 \
    "$VIGIL_PG_BINDIR/pg_basebackup" --host=127.0.0.1 --port="$VIGIL_TEST_PG_PORT" --username=postgres \
    --pgdata="$dir/data" --write-recovery-conf --create-slot --slot="$VIGIL_PG_REPLICATION_SLOT" \
    --wal-method=stream --checkpoint=fast --no-sync >"$dir/basebackup.log" 2>&1 ||
    die "pg_basebackup failed: $(cat "$dir/basebackup.log")"

  cat >>"$dir/data/postgresql.conf" <<CONF

# --- Vigil throwaway replica (overrides the primary's values above) ---
port = $port
unix_socket_directories = '$dir/socket'
archive_command = 'test ! -f $dir/archive/%f && cp %p $dir/archive/%f'
hot_standby = on
wal_retrieve_retry_interval = '1s'
CONF

  write_ctl_wrapper "$dir/pgctl" "$VIGIL_LIB_DIR/pg-ctl" "$dir/data" "$dir/postgres.log"
  _vigil_server_ctls+=("$dir/pgctl")
  "$dir/pgctl" start || die "PostgreSQL replica did not start; log: $(tail -n 20 "$dir/postgres.log")"

  export VIGIL_TEST_PG_REPLICA_PORT=$port
  export VIGIL_TEST_PG_REPLICA_DATA=$dir/data
  export VIGIL_TEST_PG_REPLICA_CTL=$dir/pgctl
  export VIGIL_TEST_PG_REPLICA_DSN="postgresql://postgres:$VIGIL_PG_PASSWORD@127.0.0.1:$port/postgres"
  wait_until 30 psql "$VIGIL_TEST_PG_REPLICA_DSN" -qAt -c 'SELECT 1' ||
    die "the PostgreSQL replica does not accept connections; log: $(tail -n 20 "$dir/postgres.log")"
  wait_until 30 pg_replica_streaming || die "the PostgreSQL replica is not streaming from the primary"
  log "PostgreSQL 15 replica on 127.0.0.1:$port, streaming (slot $VIGIL_PG_REPLICATION_SLOT)"
}

# Succeeds when the primary reports a streaming replica on our slot.
pg_replica_streaming() {
  local streaming
  streaming=$(psql "$VIGIL_TEST_PG_DSN" -qAt -c \
    "SELECT count(*) FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid
     WHERE s.slot_name = '$VIGIL_PG_REPLICATION_SLOT' AND r.state = 'streaming'")
  [[ $streaming == 1 ]]
}

# ---------------------------------------------------------------------------
# Redis 7

# Writes DIR/redis.conf for a server on PORT with no persistence, plus any extra
# configuration lines given as further arguments.
write_redis_conf() {
  local dir=$1 port=$2
  shift 2
  {
    printf '# Vigil throwaway Redis (scripts/lib/common.sh)\n'
    printf 'bind 127.0.0.1\nport %s\nprotected-mode yes\ndaemonize no\nsupervised no\n' "$port"
    printf 'dir %s\npidfile %s\nlogfile %s\n' "$dir" "$dir/redis.pid" "$dir/redis.log"
    printf 'save ""\nappendonly no\ndatabases 16\n'
    local line
    for line in "$@"; do
      printf '%s\n' "$line"
    done
  } >"$dir/redis.conf"
}

# Creates DIR (owned by the service user) and starts redis-server there.
start_redis_in() {
  local dir=$1 port=$2 user
  shift 2
  user=$(service_user redis)
  mkdir -p "$dir"
  write_redis_conf "$dir" "$port" "$@"
  chown -R "$user:" "$dir"
  write_ctl_wrapper "$dir/redisctl" "$VIGIL_LIB_DIR/redis-ctl" "$dir" "$port"
  _vigil_server_ctls+=("$dir/redisctl")
  "$dir/redisctl" start || die "Redis did not start; log: $(tail -n 20 "$dir/redis.log" 2>/dev/null)"
}

# start_redis DIR: exports VIGIL_TEST_REDIS_URL, _PORT, _CTL.
start_redis() {
  local dir=$1 port
  port=$(free_port)
  start_redis_in "$dir" "$port"
  export VIGIL_TEST_REDIS_PORT=$port
  export VIGIL_TEST_REDIS_CTL=$dir/redisctl
  export VIGIL_TEST_REDIS_URL=redis://127.0.0.1:$port
  log "Redis $(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p') on 127.0.0.1:$port"
}

# start_redis_replica DIR: a replica of the server started by start_redis.
# Exports VIGIL_TEST_REDIS_REPLICA_URL, _PORT, _CTL.
start_redis_replica() {
  local dir=$1 port
  [[ -n ${VIGIL_TEST_REDIS_PORT:-} ]] || die "start_redis must run before start_redis_replica"
  port=$(free_port)
  start_redis_in "$dir" "$port" "replicaof 127.0.0.1 $VIGIL_TEST_REDIS_PORT" "replica-read-only yes"
  export VIGIL_TEST_REDIS_REPLICA_PORT=$port
  export VIGIL_TEST_REDIS_REPLICA_CTL=$dir/redisctl
  export VIGIL_TEST_REDIS_REPLICA_URL=redis://127.0.0.1:$port
  wait_until 30 redis_replica_link_up "$port" || die "the Redis replica did not link up with its primary"
  log "Redis replica on 127.0.0.1:$port (master_link_status:up)"
}

redis_replica_link_up() {
  redis-cli -h 127.0.0.1 -p "$1" INFO replication | grep -q '^master_link_status:up'
}

# Prints a DSN or URL with its password masked, for messages.
redact_url() {
  sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#' <<<"$1"
}
