#!/usr/bin/env bash
# The kiosk recipe (packaging/kiosk, docs/agent.md "Kiosk: the OOBE on a fresh Debian desktop"):
#   kiosk_test.sh units AGENT   both units and the display manager's drop-in pass
#                               `systemd-analyze verify` without a single message
#   kiosk_test.sh scripts       groundcrew-oobe-hook and groundcrew-kiosk do what they say
#                               (systemctl and cage replaced by stubs that record their arguments)
#   kiosk_test.sh browser       groundcrew-kiosk with the real cage (headless) and Chromium, as an
#                               unprivileged user, opens the page's URL, token included, while the
#                               token is on no process's command line
# Needs: systemd (systemd-analyze), cage, xwayland (cage 0.1.4 refuses to start without it),
# chromium, node (the page's stand-in) and setpriv (util-linux) when run as root.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kiosk_dir=$(cd "$here/../../packaging/kiosk" && pwd)
work=$(mktemp -d)
background=()
cleanup() {
  local pid
  for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${background[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT

# shellcheck source=../support/checks.sh
. "$here/../support/checks.sh"

# systemd-analyze verify checks each unit's syntax, that every command it runs exists and is
# executable, and that the units it requires exist. It runs offline: no systemd as PID 1 is
# needed (this works in a container). The units name the groundcrew-agent package's paths
# (/usr/bin/groundcrew-agent, /usr/libexec/groundcrew/); copies in a temporary
# folder name the built agent and packaging/kiosk's scripts instead, and verify finds each
# unit's neighbours (the agent's unit, the display manager stub) in that folder. verify
# exits 0 on an unknown key or section (it only prints it), so any output fails the test.
test_units() {
  local agent=$1
  [ -x "$agent" ] || { fail "the built agent $agent is not executable"; return; }
  local units="$work/units"
  mkdir -p "$units/display-manager.service.d"
  local unit
  for unit in groundcrew-oobe.service groundcrew-kiosk.service; do
    sed -e "s#/usr/bin/groundcrew-agent#$agent#g" \
      -e "s#/usr/libexec/groundcrew/#$kiosk_dir/#g" "$kiosk_dir/$unit" >"$units/$unit"
    if grep -qE "/usr/(local|bin|libexec)/" "$units/$unit"; then
      fail "$unit names an installed path this test does not map:" \
        "$(grep -nE "/usr/(local|bin|libexec)/" "$units/$unit")"
    fi
  done
  # The drop-in is checked on a stand-in for the display manager (gdm3, lightdm, ...).
  printf '[Unit]\nDescription=display manager stand-in\n[Service]\nExecStart=/bin/true\n' \
    >"$units/display-manager.service"
  cp "$kiosk_dir/display-manager-groundcrew-oobe.conf" \
    "$units/display-manager.service.d/groundcrew-oobe.conf"
  local output status=0
  output=$(systemd-analyze verify --man=no "$units/groundcrew-oobe.service" \
    "$units/groundcrew-kiosk.service" "$units/display-manager.service" 2>&1) || status=$?
  if [ "$status" -ne 0 ] || [ -n "$output" ]; then
    fail "systemd-analyze verify (exit status $status):"$'\n'"$output"
  fi
  # Every option the agent's unit gives is one `groundcrew-agent oobe` takes.
  local help option
  help=$("$agent" oobe --help)
  for option in $(sed -n '/^ExecStart=/,/[^\\]$/p' "$kiosk_dir/groundcrew-oobe.service" |
    grep -oE -- '--[a-z-]+' | sort -u); do
    grep -qE -- "(^|[ ,])$option( |,|$)" <<<"$help" ||
      fail "groundcrew-oobe.service gives $option, which groundcrew-agent oobe does not take"
  done
  # The test must be able to fail: a unit with an unknown key and one running a missing
  # command each make verify speak.
  printf '[Service]\nExecStart=/bin/true\nRestartSecs=2\n' >"$units/broken-key.service"
  printf '[Service]\nExecStart=%s/missing-command\n' "$units" >"$units/broken-command.service"
  for unit in broken-key broken-command; do
    output=$(systemd-analyze verify --man=no "$units/$unit.service" 2>&1) || true
    [ -n "$output" ] || fail "systemd-analyze verify says nothing about $unit.service"
  done
}

# A stub on PATH that appends its arguments (one line per call) to $work/NAME.calls.
make_stub() {
  local dir=$1 name=$2 status=${3:-0}
  mkdir -p "$dir"
  cat >"$dir/$name" <<EOF
#!/bin/sh
echo "\$*" >>"$work/$name.calls"
exit $status
EOF
  chmod +x "$dir/$name"
}

hook_ended() {  # EXIT_CODE EXIT_STATUS STATE [PATH]: runs the hook, echoes systemctl's calls
  rm -f "$work/systemctl.calls"
  EXIT_CODE=$1 EXIT_STATUS=$2 PATH="${4:-$work/stubs}:$PATH" \
    "$kiosk_dir/groundcrew-oobe-hook" ended "$3" >/dev/null 2>"$work/hook.err" ||
    fail "hook ended $1 $2 exited with $?: $(cat "$work/hook.err")"
  cat "$work/systemctl.calls" 2>/dev/null || true
}

test_hook() {
  local hook="$kiosk_dir/groundcrew-oobe-hook" state="$work/state"
  mkdir -p "$state"
  make_stub "$work/stubs" systemctl

  # published: waits for the URL file while the agent runs, returns once it is written.
  sleep 30 &
  local agent=$!
  background+=("$agent")
  MAINPID=$agent "$hook" published "$state" &
  local waiting=$!
  sleep 0.5
  kill -0 "$waiting" 2>/dev/null || fail "published returned before the URL file was written"
  echo "http://127.0.0.1:8765/?token=t" >"$state/oobe-web.url.tmp"
  mv "$state/oobe-web.url.tmp" "$state/oobe-web.url"
  local status=0
  timeout 5 tail --pid="$waiting" -f /dev/null ||
    fail "published did not return once the URL file was written"
  wait "$waiting" || status=$?
  expect_equal "published's exit status with the URL file" 0 "$status"
  kill "$agent"
  wait "$agent" 2>/dev/null || true
  # ... and at once when the agent has exited without writing it (its exit status decides).
  rm -f "$state/oobe-web.url"
  status=0
  MAINPID=$agent timeout 5 "$hook" published "$state" || status=$?
  expect_equal "published's exit status once the agent is gone" 0 "$status"

  # ended: the agent's exit codes.
  touch "$state/oobe.done"
  expect_equal "exit 0 at the desktop" \
    "--no-reload disable groundcrew-oobe.service groundcrew-kiosk.service
--no-block stop groundcrew-kiosk.service
--no-block start display-manager.service" "$(hook_ended exited 0 "$state")"
  rm "$state/oobe.done"
  expect_equal "exit 0 after a reseal" "--no-block poweroff" "$(hook_ended exited 0 "$state")"
  expect_equal "exit 3 (restart requested)" "--no-block reboot" "$(hook_ended exited 3 "$state")"
  expect_equal "exit 4 (reset)" "--no-block reboot" "$(hook_ended exited 4 "$state")"
  expect_equal "exit 1 (failed: Restart= runs it again)" "" "$(hook_ended exited 1 "$state")"
  expect_equal "exit 2 (usage)" "" "$(hook_ended exited 2 "$state")"
  expect_equal "killed by SIGTERM (a stop)" "" "$(hook_ended killed TERM "$state")"
  # A failing systemctl is reported and the hook still succeeds.
  make_stub "$work/failing" systemctl 1
  expect_equal "exit 3 with a failing systemctl" "--no-block reboot" \
    "$(hook_ended exited 3 "$state" "$work/failing")"
  grep -q "systemctl --no-block reboot failed" "$work/hook.err" ||
    fail "a failing systemctl is not reported: $(cat "$work/hook.err")"

  status=0
  "$hook" restart "$state" 2>/dev/null || status=$?
  expect_equal "an unknown action's exit status" 2 "$status"
}

# Runs groundcrew-kiosk with the credential holding URL, cage a stub; sets kiosk_status.
run_kiosk_with_stub() {
  local url=$1
  rm -rf "$work/creds" "$work/runtime" "$work/cage.calls"
  mkdir -p "$work/creds" "$work/runtime"
  printf '%s\n' "$url" >"$work/creds/oobe-url"
  kiosk_status=0
  CREDENTIALS_DIRECTORY="$work/creds" RUNTIME_DIRECTORY="$work/runtime" \
    PATH="$work/stubs:$PATH" "$kiosk_dir/groundcrew-kiosk" >"$work/kiosk.out" 2>&1 ||
    kiosk_status=$?
}

test_kiosk_wrapper() {
  make_stub "$work/stubs" cage
  local token="Ab0_-Ab0_-Ab0_-Ab0_-Ab0_-Ab0_-Ab0_-Ab0_-Ab0"
  local url="http://127.0.0.1:8765/?token=$token"
  run_kiosk_with_stub "$url"
  expect_equal "groundcrew-kiosk's exit status" 0 "$kiosk_status"
  local chromium="chromium --kiosk --ozone-platform=wayland"
  chromium+=" --user-data-dir=$work/runtime/chromium --no-first-run --no-default-browser-check"
  chromium+=" --noerrdialogs --disable-features=Translate --password-store=basic"
  expect_equal "cage's command line" "-d -s -- $chromium file://$work/runtime/start.html" \
    "$(cat "$work/cage.calls" 2>/dev/null)"
  expect_equal "the start page's mode" 600 "$(stat -c %a "$work/runtime/start.html" 2>/dev/null)"
  grep -qF "<meta http-equiv=\"refresh\" content=\"0;url=$url\">" "$work/runtime/start.html" ||
    fail "the start page does not lead to the URL: $(cat "$work/runtime/start.html")"
  run_kiosk_with_stub "http://[::1]:8765/?token=$token"
  expect_equal "groundcrew-kiosk's exit status for an IPv6 loopback URL" 0 "$kiosk_status"

  local bad
  for bad in "http://groundcrew.example.com:8765/?token=$token" \
    "http://127.0.0.1:8765/?token=$token\"><script>" "http://127.0.0.1:8765/" \
    "https://127.0.0.1:8765/?token=$token" ""; do
    run_kiosk_with_stub "$bad"
    expect_equal "groundcrew-kiosk's exit status for $(printf '%q' "$bad")" 1 "$kiosk_status"
    [ ! -e "$work/cage.calls" ] || fail "cage ran for $(printf '%q' "$bad")"
    grep -q "oobe-url is not the agent's loopback URL" "$work/kiosk.out" ||
      fail "no clear error for $(printf '%q' "$bad"): $(cat "$work/kiosk.out")"
    ! grep -qF "$token" "$work/kiosk.out" || fail "the error prints the token"
  done

  local status=0
  env -u CREDENTIALS_DIRECTORY RUNTIME_DIRECTORY="$work/runtime" PATH="$work/stubs:$PATH" \
    "$kiosk_dir/groundcrew-kiosk" >"$work/kiosk.out" 2>&1 || status=$?
  [ "$status" -ne 0 ] || fail "groundcrew-kiosk ran without a credentials directory"
  grep -q "LoadCredential" "$work/kiosk.out" ||
    fail "no clear error without a credentials directory: $(cat "$work/kiosk.out")"
}

# The real thing, short of a seat: cage on wlroots' headless backend (no screen, no input
# devices, the pixman renderer: no GPU) runs Chromium through groundcrew-kiosk, as the unit
# does, with a stand-in for the agent's page on a free loopback port. cage refuses to run as
# root, as the unit never does: as root the test runs it as nobody.
test_browser() {
  local command package missing=0
  for command in cage:cage Xwayland:xwayland chromium:chromium node:nodejs; do
    package=${command#*:}
    command=${command%%:*}
    if ! command -v "$command" >/dev/null; then
      fail "$command is not installed (Debian package $package; scripts/bootstrap)"
      missing=1
    fi
  done
  [ "$missing" -eq 0 ] || return 0
  local server_js="$work/page.js" port_file="$work/port" requests="$work/requests"
  cat >"$server_js" <<'EOF'
const http = require("http");
const fs = require("fs");
const [portFile, requestsFile] = process.argv.slice(2);
const server = http.createServer((request, response) => {
  fs.appendFileSync(requestsFile, request.method + " " + request.url + "\n");
  response.writeHead(200, { "Content-Type": "text/html" });
  response.end("<!doctype html><title>OOBE</title><p>Welcome</p>");
});
server.listen(0, "127.0.0.1", () => fs.writeFileSync(portFile, String(server.address().port)));
EOF
  : >"$requests"
  node "$server_js" "$port_file" "$requests" &
  background+=("$!")
  for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.1; done
  [ -s "$port_file" ] || { fail "the page's stand-in did not start"; return; }

  local token
  token=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  local as=() owner
  owner=$(id -un)
  if [ "$(id -u)" -eq 0 ]; then
    as=(setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups)
    owner=nobody
  fi
  chmod 755 "$work"
  mkdir -p "$work/browser/creds" "$work/browser/runtime" "$work/browser/xdg"
  printf 'http://127.0.0.1:%s/?token=%s\n' "$(cat "$port_file")" "$token" \
    >"$work/browser/creds/oobe-url"
  chmod 500 "$work/browser/creds"
  chmod 400 "$work/browser/creds/oobe-url"
  chmod 700 "$work/browser/runtime" "$work/browser/xdg"
  chown -R "$owner" "$work/browser"

  env WLR_BACKENDS=headless WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman \
    XDG_RUNTIME_DIR="$work/browser/xdg" HOME="$work/browser/runtime" \
    CREDENTIALS_DIRECTORY="$work/browser/creds" RUNTIME_DIRECTORY="$work/browser/runtime" \
    timeout -k 5 120 "${as[@]}" "$kiosk_dir/groundcrew-kiosk" >"$work/cage.log" 2>&1 &
  local kiosk=$!
  background+=("$kiosk")
  for _ in $(seq 600); do
    grep -qF "GET /?token=$token" "$requests" && break
    kill -0 "$kiosk" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -qF "GET /?token=$token" "$requests"; then
    fail "Chromium did not open the page's URL; the page saw: $(cat "$requests")"$'\n' \
      "cage and Chromium said (last lines):"$'\n' \
      "$(grep -v 'Basic output test' "$work/cage.log" | tail -20)"
  fi
  # No command line holds the token (every local user can read them in /proc).
  printf '%s\n' "$token" >"$work/token"
  local leaks
  leaks=$(grep -lFf "$work/token" /proc/[0-9]*/cmdline 2>/dev/null || true)
  [ -z "$leaks" ] || fail "the token is on a command line: $leaks"
  # ... nor in what cage and Chromium print (the kiosk unit's journal).
  ! grep -qFf "$work/token" "$work/cage.log" || fail "cage or Chromium printed the token"
  kill "$kiosk" 2>/dev/null || true
  wait "$kiosk" 2>/dev/null || true
}

case "${1:-}" in
  units) test_units "${2:?usage: kiosk_test.sh units AGENT}" ;;
  scripts)
    test_hook
    test_kiosk_wrapper
    ;;
  browser) test_browser ;;
  *)
    echo "usage: kiosk_test.sh units AGENT | scripts | browser" >&2
    exit 2
    ;;
esac
if [ "$failures" -ne 0 ]; then
  echo "kiosk_test.sh $1: $failures failure(s)" >&2
  exit 1
fi
echo "kiosk_test.sh $1: ok"
