# Sourced by the black-box CLI suites so that each runs two ways (tests/CMakeLists.txt): as
# it always did, and with PASSLEDGER_TEST_SERVER=1, where `passledger serve` runs on the same
# data directory and the write commands go through its operator socket (docs/ADMIN.md, "The
# operator socket") — with the same expected output and exit statuses.
#
#   server_mode                        true in the second way
#   start_server_on BIN DATA LOGDIR    in server mode: serve on DATA (a free port on 127.0.0.1),
#                                      returns once the operator socket answers
#   stop_server                        SIGTERM, must exit 0 and remove the socket
#   server_cleanup                     for the suite's EXIT trap: kills a server left running
#   expect_server_routes ROUTE…        in server mode: each route template is in the access log
#                                      with remote=unix:… (the commands really went through it)
server_pid=""
server_data=""
server_logs=""

server_mode() { [ "${PASSLEDGER_TEST_SERVER:-0}" = 1 ]; }

server_fail() {
  echo "FAIL: $*" >&2
  [ -n "$server_logs" ] && [ -f "$server_logs/server.err" ] && tail -20 "$server_logs/server.err" >&2
  exit 1
}

start_server_on() {
  server_mode || return 0
  local bin=$1 port i
  server_data=$2
  server_logs=$3
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$bin" --data "$server_data" serve --listen "127.0.0.1:$port" \
    >> "$server_logs/server.out" 2>> "$server_logs/server.err" &
  server_pid=$!
  for i in $(seq 1 300); do
    if [ -S "$server_data/passledger.sock" ] &&
      curl -fs --unix-socket "$server_data/passledger.sock" http://passledger/healthz > /dev/null 2>&1; then
      return 0
    fi
    kill -0 "$server_pid" 2> /dev/null || server_fail "passledger serve exited at start"
    sleep 0.1
  done
  server_fail "passledger serve did not answer on its operator socket within 30 s"
}

stop_server() {
  [ -n "$server_pid" ] || return 0
  local status=0
  kill -TERM "$server_pid"
  wait "$server_pid" || status=$?
  server_pid=""
  [ $status -eq 0 ] || server_fail "passledger serve exited $status after SIGTERM"
  [ ! -e "$server_data/passledger.sock" ] || server_fail "the operator socket was left behind"
}

server_cleanup() {
  [ -n "$server_pid" ] && kill -9 "$server_pid" 2> /dev/null
  server_pid=""
  return 0
}

expect_server_routes() {
  server_mode || return 0
  local route
  for route in "$@"; do
    grep -q "route=\"$route\" status=[0-9]* .*remote=unix:" "$server_logs/server.err" ||
      server_fail "no request to $route came through the operator socket"
  done
}
