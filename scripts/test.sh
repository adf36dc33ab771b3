#!/usr/bin/env bash
# Everything the tests need, on a fresh machine or this one: servers, build, tests.
# Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."

# One target dir outside the clone, shared by every profile use, so DuckDB's C++ compiles
# once per machine and CI after a session is incremental.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/assay-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

start_services() {
  # PostgreSQL and MariaDB come with the machine; start them if they stopped.
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    fi
  fi
  if [ -x /usr/sbin/mariadbd ] && ! mariadb-admin ping -h 127.0.0.1 >/dev/null 2>&1; then
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  fi
}

install_tools() {
  # The TUI smoke test drives the real binary inside tmux.
  if ! command -v tmux >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq tmux) >/dev/null 2>&1 || echo "warning: could not install tmux"
  fi
  # tests/report_browser.rs renders the HTML report in headless Chromium and reads the
  # printed page's text back with pdftotext (poppler-utils).
  if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
    echo "== installing chromium and poppler-utils"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils) >/dev/null 2>&1 \
      || echo "warning: could not install chromium and poppler-utils"
  fi
}

clickhouse_up() {
  if command -v curl >/dev/null 2>&1; then
    curl -sf http://127.0.0.1:8123/ping >/dev/null 2>&1
  else
    clickhouse-client --query "SELECT 1" >/dev/null 2>&1
  fi
}

start_clickhouse() {
  # The warehouse tests talk to a real ClickHouse (Debian's 18.16) over HTTP on 8123.
  clickhouse_up && return 0
  if ! command -v clickhouse-server >/dev/null 2>&1; then
    echo "== installing clickhouse-server"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null
  fi
  start-stop-daemon --start --oknodo --background --chuid clickhouse \
    --exec /usr/sbin/clickhouse-server -- --config=/etc/clickhouse-server/config.xml
  for _ in $(seq 1 60); do
    clickhouse_up && return 0
    sleep 1
  done
  echo "ClickHouse did not start on 127.0.0.1:8123" >&2
  return 1
}

# A two-shard cluster for tests/clickhouse_cluster.rs: a second 18.16 server on this machine
# (HTTP 8124, TCP 9001, its own folder) and the cluster `assay_two_shards` over
# 127.0.0.1:9000 and :9001, declared in config.d on both (a running server picks it up).
CH2_DIR=/var/lib/assay-clickhouse-2
CLUSTER_XML='<yandex><remote_servers><assay_two_shards><shard><replica><host>127.0.0.1</host><port>9000</port></replica></shard><shard><replica><host>127.0.0.1</host><port>9001</port></replica></shard></assay_two_shards></remote_servers></yandex>'

# One answer of the server on HTTP port $1 (TCP port $2 when curl is missing) to query $3.
ch_answer() {
  if command -v curl >/dev/null 2>&1; then
    curl -sf "http://127.0.0.1:$1/" --data-binary "$3" 2>/dev/null
  else
    clickhouse-client --port "$2" --query "$3" 2>/dev/null
  fi
}

start_clickhouse_cluster() {
  mkdir -p /etc/clickhouse-server/config.d
  echo "$CLUSTER_XML" > /etc/clickhouse-server/config.d/assay-cluster.xml
  if [ "$(ch_answer 8124 9001 'SELECT 1')" != "1" ]; then
    mkdir -p "$CH2_DIR"/data "$CH2_DIR"/tmp "$CH2_DIR"/user_files "$CH2_DIR"/format_schemas "$CH2_DIR"/log "$CH2_DIR"/config.d
    sed -e 's#<http_port>8123</http_port>#<http_port>8124</http_port>#' \
        -e 's#<tcp_port>9000</tcp_port>#<tcp_port>9001</tcp_port>#' \
        -e 's#<interserver_http_port>9009</interserver_http_port>#<interserver_http_port>9010</interserver_http_port>#' \
        -e "s#/var/lib/clickhouse/tmp/#$CH2_DIR/tmp/#" \
        -e "s#/var/lib/clickhouse/user_files/#$CH2_DIR/user_files/#" \
        -e "s#/var/lib/clickhouse/format_schemas/#$CH2_DIR/format_schemas/#" \
        -e "s#<path>/var/lib/clickhouse/</path>#<path>$CH2_DIR/data/</path>#" \
        -e "s#/var/log/clickhouse-server/#$CH2_DIR/log/#g" \
        /etc/clickhouse-server/config.xml > "$CH2_DIR/config.xml"
    cp /etc/clickhouse-server/users.xml "$CH2_DIR/users.xml"
    echo "$CLUSTER_XML" > "$CH2_DIR/config.d/assay-cluster.xml"
    chown -R clickhouse:clickhouse "$CH2_DIR"
    # A pidfile of its own: without one, start-stop-daemon finds the first server running.
    start-stop-daemon --start --oknodo --background --make-pidfile --pidfile "$CH2_DIR/pid" \
      --chuid clickhouse --exec /usr/sbin/clickhouse-server -- --config="$CH2_DIR/config.xml"
  fi
  for _ in $(seq 1 60); do
    local shards="SELECT count() FROM system.clusters WHERE cluster = 'assay_two_shards'"
    if [ "$(ch_answer 8123 9000 "$shards")" = "2" ] && [ "$(ch_answer 8124 9001 "$shards")" = "2" ]; then
      return 0
    fi
    sleep 1
  done
  echo "the second ClickHouse server (8124) or the cluster assay_two_shards did not come up" >&2
  return 1
}

firebird_up() {
  (exec 3<>/dev/tcp/127.0.0.1/3050) 2>/dev/null
}

start_firebird() {
  # tests/firebird.rs reads a real Firebird (Debian's 3.0) on 3050 as the user `assay`,
  # which may create the databases the tests fill (and drop).
  if ! command -v isql-fb >/dev/null 2>&1; then
    echo "== installing firebird3.0-server"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firebird3.0-server firebird3.0-utils >/dev/null
  fi
  if ! firebird_up; then
    mkdir -p /run/firebird3.0 && chown firebird:firebird /run/firebird3.0
    su -s /bin/sh firebird -c '/usr/sbin/fbguard -daemon -forever'
    for _ in $(seq 1 30); do firebird_up && break; sleep 1; done
    firebird_up || { echo "Firebird did not start on 127.0.0.1:3050" >&2; return 1; }
  fi
  # The package wrote SYSDBA's password here when it was installed.
  # shellcheck disable=SC1091
  . /etc/firebird/3.0/SYSDBA.password
  local admin=/var/lib/firebird/3.0/data/assay_admin.fdb script
  script=$(mktemp)
  if [ ! -f "$admin" ]; then
    echo "CREATE DATABASE 'localhost:$admin' USER 'SYSDBA' PASSWORD '$ISC_PASSWORD';" > "$script"
  else
    echo "CONNECT 'localhost:$admin' USER 'SYSDBA' PASSWORD '$ISC_PASSWORD';" > "$script"
  fi
  cat >> "$script" <<'SQL'
CREATE OR ALTER USER assay PASSWORD 'assay';
GRANT CREATE DATABASE TO USER assay;
COMMIT;
SQL
  isql-fb -q -i "$script" >/dev/null
  rm -f "$script"
}

install_dbt() {
  # tests/dbt.rs builds the demo's models with real dbt (dbt-core + dbt-duckdb from PyPI).
  # Pinned: dbt-core 1.11+ fetches a parser binary from outside the package registry when
  # installed, and duckdb stays on the DuckDB release assay links (1.5), so the cache file
  # dbt writes is one both read.
  local venv="$HOME/.cache/assay-dbt"
  if [ ! -x "$venv/bin/dbt" ]; then
    echo "== installing dbt-core and dbt-duckdb into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "dbt-core>=1.10,<1.11" "dbt-duckdb>=1.9,<1.11" "duckdb>=1.5,<1.6"
  fi
  export ASSAY_DBT_BIN="$venv/bin"
}

install_deltalake() {
  # tests/delta.rs writes its Delta tables with delta-rs's Python package, the writer Delta
  # users run outside Spark (pinned: the tests' tables are this release's output).
  local venv="$HOME/.cache/assay-delta"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import deltalake, pyarrow" 2>/dev/null; then
    echo "== installing deltalake into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "deltalake==1.6.6" "pyarrow==26.0.1"
  fi
  export ASSAY_DELTA_PYTHON="$venv/bin/python"
}

install_chdb() {
  # tests/clickhouse_current.rs runs assay against current ClickHouse: chdb is ClickHouse
  # 26.x in-process, served over the HTTP interface by tests/chdb/server.py (Debian's
  # server is 18.16; users run 24+). Pinned: 4.4.0 is ClickHouse 26.9.
  local venv="$HOME/.cache/assay-chdb"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import chdb" 2>/dev/null; then
    echo "== installing chdb into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "chdb==4.4.0"
  fi
  export ASSAY_CHDB_PYTHON="$venv/bin/python"
}

start_services
install_tools
start_clickhouse
start_clickhouse_cluster
start_firebird
install_dbt
install_deltalake
install_chdb

echo "== cargo fmt --check"
cargo fmt --all -- --check

if [ "${ASSAY_SKIP_CLIPPY:-0}" != "1" ]; then
  echo "== cargo clippy --release -- -D warnings"
  cargo clippy --release --workspace --all-targets -- -D warnings
fi

echo "== cargo test --release --workspace (target: $CARGO_TARGET_DIR)"
log=$(mktemp)
set +e
cargo test --release --workspace --no-fail-fast "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(awk '/^test result:/ { for (i = 1; i < NF; i++) if ($(i+1) ~ /^passed/) n += $i } END { print n + 0 }' "$log")
failed=$(awk '/^test result:/ { for (i = 1; i < NF; i++) if ($(i+1) ~ /^failed/) n += $i } END { print n + 0 }' "$log")
rm -f "$log"
echo "tests: ${passed:-0} passed, ${failed:-0} failed"
exit "$status"
