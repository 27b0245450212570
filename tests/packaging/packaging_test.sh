#!/usr/bin/env bash
# groundcrew's own Debian packages (cmake/Packaging.cmake, docs/security.md "Installing from the
# Debian packages"):
#   packaging_test.sh units GROUNDCREWD
#       groundcrewd.service passes `systemd-analyze verify` without a single message and
#       `systemd-analyze security` at or below its exposure threshold; the options it gives and
#       the shipped configuration file are ones groundcrewd takes; the sysusers.d files make the
#       users they say
#   packaging_test.sh sandbox GROUNDCREWD GROUNDCREW
#       groundcrewd serving a tenant (HTTPS, apply, a password) under strace makes only the
#       system calls the unit's filter allows and writes only its data directory
#   packaging_test.sh build CPACK CPACK_CONFIG DIR
#       CPack writes both packages into DIR (the other two modes' fixture)
#   packaging_test.sh contents DIR VERSION SOURCE_DIR BINARY_DIR
#       each package holds exactly its files, with their modes and owners, stripped binaries,
#       no build path, the maintainer scripts and conffiles
#   packaging_test.sh install DIR VERSION
#       as root, on a copy of the Debian 12 root named by GROUNDCREW_DEBIAN_ROOT_TAR
#       (scripts/debian-root): `dpkg -i` of both packages in it (chroot), the users, the enabled
#       units, their `systemd-analyze verify`, the binaries, groundcrewd serving as its user, the
#       OOBE's units disabled once the user flow completed, and `dpkg -r` / `--purge`
# Exit status 77 (ctest's SKIP_RETURN_CODE): the install mode cannot run here.
# Needs: systemd (systemd-analyze, systemd-sysusers), strace, openssl, dpkg-dev
# (dpkg-shlibdeps, for CPack), binutils (readelf), and setpriv (util-linux) when run as root.
set -euo pipefail
export LC_ALL=C  # sorted listings in byte order

here=$(cd "$(dirname "$0")" && pwd)
packaging_dir=$(cd "$here/../../packaging" && pwd)
work=$(mktemp -d)
background=()
# The groundcrewd.lock files of the groundcrewd this script started under strace (whose process
# is strace's child, not in background): each holds its process id.
daemon_locks=()
cleanup() {
  local pid lock
  for lock in "${daemon_locks[@]}"; do
    pid=$(tr -dc 0-9 <"$lock" 2>/dev/null || true)
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = groundcrewd ]; then
      kill "$pid" 2>/dev/null || true
    fi
  done
  for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${background[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT

# shellcheck source=../support/checks.sh
. "$here/../support/checks.sh"

# The exposure `systemd-analyze security` may give groundcrewd.service, in tenths (its
# --threshold unit): 1.1 today. What remains is what a network service needs: the host's network
# and no IP allow list (devices connect from anywhere), AF_INET/AF_INET6 and AF_UNIX sockets (the
# name service), the host's root directory, the real-time clock readable (ProtectClock=).
# Anything that weakens the sandbox raises the score and fails this test.
security_threshold=11

test_units() {
  local groundcrewd=$1
  [ -x "$groundcrewd" ] || { fail "the built groundcrewd $groundcrewd is not executable"; return; }
  local unit_source="$packaging_dir/groundcrewd/groundcrewd.service" units="$work/units"
  mkdir -p "$units"
  # verify checks that the commands exist: the copy names the built groundcrewd.
  sed -e "s#/usr/bin/groundcrewd #$groundcrewd #g" "$unit_source" >"$units/groundcrewd.service"
  if grep -qE "/usr/(local|bin|libexec)/" "$units/groundcrewd.service"; then
    fail "groundcrewd.service names an installed path this test does not map:" \
      "$(grep -nE "/usr/(local|bin|libexec)/" "$units/groundcrewd.service")"
  fi
  expect_silent "systemd-analyze verify groundcrewd.service" \
    systemd-analyze verify --man=no "$units/groundcrewd.service"

  # The sandbox's score, on the unit as packaged (security reads the file only).
  local output status=0
  output=$(systemd-analyze security --offline=true --threshold="$security_threshold" \
    "$unit_source" 2>&1) || status=$?
  local score
  score=$(grep -o "Overall exposure level for groundcrewd.service: .*" <<<"$output" || true)
  echo "systemd-analyze security: ${score:-no score}"
  if [ "$status" -ne 0 ] || [ -z "$score" ]; then
    fail "systemd-analyze security --threshold=$security_threshold (exit status $status):" \
      $'\n'"$(grep -E '✗|Overall' <<<"$output")"
  fi
  # The threshold can fail: the same unit without its sandbox is far above it.
  grep -vE '^(Protect|Private|Restrict|SystemCall|Capability|NoNewPrivileges|LockPersonality|MemoryDeny|RemoveIPC|DevicePolicy|UMask|ProcSubset)' \
    "$unit_source" >"$work/unsandboxed.service"
  status=0
  systemd-analyze security --offline=true --threshold="$security_threshold" \
    "$work/unsandboxed.service" >/dev/null 2>&1 || status=$?
  [ "$status" -ne 0 ] || fail "an unsandboxed groundcrewd.service passes the security threshold"

  # Every option the unit gives is one groundcrewd takes.
  local help option
  help=$("$groundcrewd" --help)
  for option in $(sed -n '/^ExecStart=/,/[^\\]$/p' "$unit_source" | grep -oE -- '--[a-z-]+' |
    sort -u); do
    grep -qE -- "(^|[ ,])$option( |,|$)" <<<"$help" ||
      fail "groundcrewd.service gives $option, which groundcrewd does not take"
  done
  # The shipped configuration file is read without complaint: groundcrewd goes on to the data
  # directory, which holds no tenant. A key it does not know is refused naming the file.
  mkdir -p "$work/empty"
  local config="$packaging_dir/groundcrewd/groundcrewd.json"
  output=$("$groundcrewd" --config "$config" --data-dir "$work/empty" 2>&1) || true
  grep -q "no tenant in $work/empty" <<<"$output" ||
    fail "groundcrewd does not take the shipped $config: $output"
  printf '{"listen": "127.0.0.1:8080", "listenPort": 1}\n' >"$work/bad.json"
  output=$("$groundcrewd" --config "$work/bad.json" --data-dir "$work/empty" 2>&1) || true
  grep -q 'unknown key \\"listenPort\\"' <<<"$output" ||
    fail "groundcrewd takes a configuration file with an unknown key: $output"

  # The sysusers.d files make the users the units run as: no password, no login shell.
  local sysroot="$work/sysroot"
  mkdir -p "$sysroot/etc"
  systemd-sysusers --root="$sysroot" "$packaging_dir/groundcrewd/groundcrewd.sysusers" \
    "$packaging_dir/kiosk/groundcrew-kiosk.sysusers" >/dev/null 2>&1 ||
    fail "systemd-sysusers refuses the packages' sysusers.d files"
  expect_equal "the user groundcrew" "groundcrew service:/var/lib/groundcrewd:/usr/sbin/nologin" \
    "$(grep '^groundcrew:' "$sysroot/etc/passwd" 2>/dev/null | cut -d: -f5-)"
  expect_equal "the user groundcrew-kiosk" "groundcrew OOBE kiosk:/:/usr/sbin/nologin" \
    "$(grep '^groundcrew-kiosk:' "$sysroot/etc/passwd" 2>/dev/null | cut -d: -f5-)"
  expect_equal "the user groundcrew's password" "!*" \
    "$(grep '^groundcrew:' "$sysroot/etc/shadow" 2>/dev/null | cut -d: -f2)"
}

# expand_syscall_sets SET...: the system calls in systemd's sets (@system-service, ...), one a
# line, nested sets expanded.
expand_syscall_sets() {
  local entry
  systemd-analyze syscall-filter "$@" | sed -e '/^@/d' -e '/^ *#/d' -e '/^ *$/d' -e 's/^ *//' |
    while read -r entry; do
      case "$entry" in
        @*) expand_syscall_sets "$entry" ;;
        *) echo "$entry" ;;
      esac
    done
}

# HTTPS GET of PATH on 127.0.0.1:PORT with openssl; prints the status line.
https_status() {
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$2" "$1" |
    openssl s_client -quiet -connect "127.0.0.1:$1" 2>/dev/null | head -n 1 | tr -d '\r'
}

# What the unit's sandbox allows, checked against what groundcrewd does: it serves a tenant
# (HTTPS with a certificate it issues, the Contoso example applied, a password set, reads) as an
# unprivileged user (nobody when this runs as root: SQLite changes owners only as root) under
# strace. Every system call it makes must pass SystemCallFilter= (@system-service without
# @privileged and @resources: a filtered call fails with EPERM), every file it writes must be in
# its data directory (ProtectSystem=strict), and nothing under /home, /root or /run/user
# (ProtectHome=).
test_sandbox() {
  local groundcrewd=$1 groundcrew=$2 unit_source="$packaging_dir/groundcrewd/groundcrewd.service"
  local command
  for command in strace:strace openssl:openssl; do
    command -v "${command%%:*}" >/dev/null ||
      { fail "${command%%:*} is not installed (Debian package ${command#*:}; scripts/bootstrap)"; return; }
  done
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    as=(setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups)
    chmod 755 "$work"
  fi
  local data="$work/data" output
  mkdir -p "$data"
  [ "${#as[@]}" -eq 0 ] || chown nobody "$data"
  output=$("${as[@]}" "$groundcrew" init --data-dir "$data" --organization Contoso \
    --domain contoso.com 2>&1) || { fail "groundcrew init: $output"; return; }
  local token
  token=$(grep -oE '^  [A-Za-z0-9_.-]{20,}$' <<<"$output" | tr -d ' ')
  [ -n "$token" ] || { fail "no admin token in groundcrew init's output: $output"; return; }
  # The unit's command line with the data directory of this test, a free port and HTTPS.
  local args
  args=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$unit_source" |
    sed -e 's/^ExecStart=[^ ]* //' -e 's/\\$//' | tr -s ' \n' ' ')
  args=${args//\/var\/lib\/groundcrewd/$data}
  args=${args//\/etc\/groundcrewd\/groundcrewd.json/$packaging_dir\/groundcrewd\/groundcrewd.json}
  # shellcheck disable=SC2086 # the unit's arguments, split as systemd splits them
  strace -f -qq -s 1024 -o "$work/trace" "${as[@]}" "$groundcrewd" $args \
    --listen 127.0.0.1:0 --port-file "$data/port" --tls-names localhost,127.0.0.1 \
    >"$work/groundcrewd.log" 2>&1 &
  local daemon=$!
  background+=("$daemon")
  daemon_locks+=("$data/groundcrewd.lock")
  for _ in $(seq 100); do
    [ -s "$data/port" ] && break
    kill -0 "$daemon" 2>/dev/null || break
    sleep 0.1
  done
  if [ ! -s "$data/port" ]; then
    fail "groundcrewd did not start under strace: $(cat "$work/groundcrewd.log")"
    return
  fi
  local port server
  port=$(cat "$data/port")
  server="https://127.0.0.1:$port"
  expect_equal "/healthz under strace" "HTTP/1.1 200 OK" "$(https_status "$port" /healthz)"
  expect_equal "/readyz under strace" "HTTP/1.1 200 OK" "$(https_status "$port" /readyz)"
  local cli=("$groundcrew" --server "$server" --ca "$data/secrets/ca.crt")
  output=$(GROUNDCREW_TOKEN=$token XDG_CONFIG_HOME="$work/config" "${cli[@]}" apply \
    -f "$here/../../examples/contoso/tenant.yaml" 2>&1) ||
    fail "groundcrew apply of the Contoso example under strace: $output"
  output=$(printf 'Sandboxed-Passw0rd!\n' | GROUNDCREW_TOKEN=$token \
    XDG_CONFIG_HOME="$work/config" "${cli[@]}" users set-password adele.vance@contoso.com \
    --password-stdin 2>&1) || fail "groundcrew users set-password under strace: $output"
  output=$(GROUNDCREW_TOKEN=$token XDG_CONFIG_HOME="$work/config" "${cli[@]}" get users 2>&1) ||
    fail "groundcrew get users under strace: $output"
  # groundcrewd stops on SIGTERM; strace ($daemon) ends with it. groundcrewd.lock holds its id.
  local daemon_pid
  daemon_pid=$(tr -dc 0-9 <"$data/groundcrewd.lock")
  kill -TERM "$daemon_pid" 2>/dev/null || fail "no groundcrewd of id '$daemon_pid' to stop"
  wait "$daemon" 2>/dev/null || true

  # The calls groundcrewd's own process makes (from its execve on; setpriv's come before).
  awk '/execve\("[^"]*\/groundcrewd"/ { on = 1 } on' "$work/trace" >"$work/daemon.trace"
  sed -E -n 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p' "$work/daemon.trace" | sort -u >"$work/used"
  [ -s "$work/used" ] || { fail "strace saw no call of groundcrewd"; return; }
  expand_syscall_sets @system-service | sort -u >"$work/allowed"
  expand_syscall_sets @privileged @resources | sort -u >"$work/denied"
  local refused
  refused=$( (comm -23 "$work/used" "$work/allowed"; comm -12 "$work/used" "$work/denied") |
    sort -u | tr '\n' ' ')
  expect_equal "system calls groundcrewd makes that the unit's SystemCallFilter= refuses" "" \
    "${refused% }"
  # Files written (opened for writing or created, renamed, removed, their mode changed) outside
  # the data directory and the unit's private /tmp and /var/tmp (PrivateTmp=: SQLite's
  # temporary files go to /var/tmp).
  local written
  written=$(grep -E '^[0-9]+ +(openat\(.*O_(WRONLY|RDWR|CREAT)|(mkdir|rename|unlink|rmdir|link|symlink|fchmodat|chmod|truncate|utimensat)[a-z0-9]*\()' \
    "$work/daemon.trace" | grep -oE '"[^"]*"' | tr -d '"' |
    grep -vE "^($data(/|\$)|/tmp/|/var/tmp/|/dev/null$)" | sort -u | tr '\n' ' ' || true)
  expect_equal "files groundcrewd writes outside its data directory" "" "${written% }"
  local homes
  homes=$(grep -oE '"(/home|/root|/run/user)(/[^"]*)?"' "$work/daemon.trace" | sort -u |
    tr '\n' ' ' || true)
  expect_equal "paths under /home, /root or /run/user groundcrewd opens" "" "${homes% }"
}

test_build() {
  local cpack=$1 config=$2 dir=$3
  rm -rf "$dir"
  mkdir -p "$dir"
  "$cpack" --config "$config" -B "$dir" >"$dir/cpack.log" 2>&1 ||
    fail "cpack failed:"$'\n'"$(tail -20 "$dir/cpack.log")"
}

# The package's files, one "mode owner/group path" line each, as `dpkg-deb --contents` says.
package_listing() {
  dpkg-deb --contents "$1" | awk '{ print $1, $2, $6 }'
}

test_contents() {
  local dir=$1 version=$2 source_dir=$3 binary_dir=$4
  local arch
  arch=$(dpkg --print-architecture)
  local server="$dir/groundcrewd_${version}_$arch.deb" agent="$dir/groundcrew-agent_${version}_$arch.deb"
  local deb
  for deb in "$server" "$agent"; do
    [ -f "$deb" ] || { fail "no $deb: $(ls "$dir")"; return; }
  done
  expect_equal "groundcrewd's control fields" "groundcrewd $version $arch admin" \
    "$(dpkg-deb --show --showformat='${Package} ${Version} ${Architecture} ${Section}' "$server")"
  expect_equal "groundcrew-agent's control fields" "groundcrew-agent $version $arch admin" \
    "$(dpkg-deb --show --showformat='${Package} ${Version} ${Architecture} ${Section}' "$agent")"

  expect_equal "groundcrewd's files" "drwxr-xr-x root/root ./etc/
drwxr-xr-x root/root ./etc/groundcrewd/
-rw-r--r-- root/root ./etc/groundcrewd/groundcrewd.json
drwxr-xr-x root/root ./usr/
drwxr-xr-x root/root ./usr/bin/
-rwxr-xr-x root/root ./usr/bin/groundcrew
-rwxr-xr-x root/root ./usr/bin/groundcrewd
drwxr-xr-x root/root ./usr/lib/
drwxr-xr-x root/root ./usr/lib/systemd/
drwxr-xr-x root/root ./usr/lib/systemd/system/
-rw-r--r-- root/root ./usr/lib/systemd/system/groundcrewd.service
drwxr-xr-x root/root ./usr/lib/sysusers.d/
-rw-r--r-- root/root ./usr/lib/sysusers.d/groundcrewd.conf" "$(package_listing "$server")"
  expect_equal "groundcrew-agent's files" "drwxr-xr-x root/root ./usr/
drwxr-xr-x root/root ./usr/bin/
-rwxr-xr-x root/root ./usr/bin/groundcrew-agent
drwxr-xr-x root/root ./usr/lib/
drwxr-xr-x root/root ./usr/lib/systemd/
drwxr-xr-x root/root ./usr/lib/systemd/system/
drwxr-xr-x root/root ./usr/lib/systemd/system/display-manager.service.d/
-rw-r--r-- root/root ./usr/lib/systemd/system/display-manager.service.d/groundcrew-oobe.conf
-rw-r--r-- root/root ./usr/lib/systemd/system/groundcrew-kiosk.service
-rw-r--r-- root/root ./usr/lib/systemd/system/groundcrew-oobe.service
drwxr-xr-x root/root ./usr/lib/sysusers.d/
-rw-r--r-- root/root ./usr/lib/sysusers.d/groundcrew-kiosk.conf
drwxr-xr-x root/root ./usr/libexec/
drwxr-xr-x root/root ./usr/libexec/groundcrew/
-rwxr-xr-x root/root ./usr/libexec/groundcrew/groundcrew-kiosk
-rwxr-xr-x root/root ./usr/libexec/groundcrew/groundcrew-oobe-hook" "$(package_listing "$agent")"

  # The files are packaging/'s own, byte for byte (installed from there, never copied).
  local tree="$work/tree"
  mkdir -p "$tree"
  dpkg-deb --extract "$server" "$tree"
  dpkg-deb --extract "$agent" "$tree"
  local pair
  for pair in groundcrewd/groundcrewd.service:usr/lib/systemd/system/groundcrewd.service \
    groundcrewd/groundcrewd.sysusers:usr/lib/sysusers.d/groundcrewd.conf \
    groundcrewd/groundcrewd.json:etc/groundcrewd/groundcrewd.json \
    kiosk/groundcrew-oobe.service:usr/lib/systemd/system/groundcrew-oobe.service \
    kiosk/groundcrew-kiosk.service:usr/lib/systemd/system/groundcrew-kiosk.service \
    kiosk/display-manager-groundcrew-oobe.conf:usr/lib/systemd/system/display-manager.service.d/groundcrew-oobe.conf \
    kiosk/groundcrew-kiosk.sysusers:usr/lib/sysusers.d/groundcrew-kiosk.conf \
    kiosk/groundcrew-oobe-hook:usr/libexec/groundcrew/groundcrew-oobe-hook \
    kiosk/groundcrew-kiosk:usr/libexec/groundcrew/groundcrew-kiosk; do
    cmp -s "$packaging_dir/${pair%%:*}" "$tree/${pair#*:}" ||
      fail "/${pair#*:} is not packaging/${pair%%:*}"
  done
  # Release binaries, stripped: no debug sections, no path of the build.
  local binary
  for binary in groundcrewd groundcrew groundcrew-agent; do
    if readelf -S "$tree/usr/bin/$binary" | grep -qE '\.debug_|\.symtab'; then
      fail "/usr/bin/$binary is not stripped"
    fi
  done
  local leaks
  leaks=$(grep -rlaF -e "$source_dir" -e "$binary_dir" "$tree" || true)
  [ -z "$leaks" ] || fail "files naming the build's folders: $leaks"

  # Maintainer scripts (0755) and conffiles.
  local control="$work/control"
  for deb in "$server" "$agent"; do
    rm -rf "$control"
    dpkg-deb --control "$deb" "$control"
    local script
    for script in postinst prerm postrm; do
      expect_equal "$(basename "$deb")'s $script mode" 755 \
        "$(stat -c %a "$control/$script" 2>/dev/null)"
      sh -n "$control/$script" 2>/dev/null || fail "$(basename "$deb")'s $script is not sh"
    done
  done
  rm -rf "$control"
  dpkg-deb --control "$server" "$control"
  expect_equal "groundcrewd's conffiles" "/etc/groundcrewd/groundcrewd.json" \
    "$(cat "$control/conffiles" 2>/dev/null)"
  # Depends: the shared libraries (dpkg-shlibdeps) besides what the scripts need.
  local depends
  depends=$(dpkg-deb --show --showformat='${Depends}' "$server")
  for package in "systemd | systemd-standalone-sysusers" libc6 libstdc++6 libsqlite3-0 libssl3; do
    grep -qF "$package" <<<"$depends" || fail "groundcrewd does not depend on $package: $depends"
  done
  depends=$(dpkg-deb --show --showformat='${Depends}' "$agent")
  for package in systemd libc6 libncursesw6 libsodium23; do
    grep -qF "$package" <<<"$depends" ||
      fail "groundcrew-agent does not depend on $package: $depends"
  done
}

# in_root COMMAND...: runs the command in the Debian root ($root) with chroot.
in_root() {
  chroot "$root" "$@"
}

# wants_links: the units enabled in the root, "TARGET.wants/UNIT -> TARGET_OF_THE_LINK" a line.
wants_links() {
  local link
  for link in "$root"/etc/systemd/system/*.wants/groundcrew*; do
    [ -L "$link" ] || continue
    echo "$(basename "$(dirname "$link")")/$(basename "$link") -> $(readlink "$link")"
  done
}

# HTTP GET of PATH on 127.0.0.1:PORT with bash alone; prints the status line.
http_status() {
  local port=$1 path=$2
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$path" "$port" >&3
  head -n 1 <&3 | tr -d '\r'
  exec 3<&-
}

test_install() {
  local dir=$1 version=$2
  local tarball=${GROUNDCREW_DEBIAN_ROOT_TAR:-}
  if [ -z "$tarball" ] || [ ! -f "$tarball" ]; then
    echo "SKIP: set GROUNDCREW_DEBIAN_ROOT_TAR to the Debian 12 root's tarball" \
      "(scripts/debian-root makes build/debian-root/bookworm.tar)"
    exit 77
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: installing in the Debian root (GROUNDCREW_DEBIAN_ROOT_TAR) needs root (chroot)"
    exit 77
  fi
  local arch
  arch=$(dpkg --print-architecture)
  root="$work/root"
  mkdir -p "$root"
  tar -xf "$tarball" -C "$root"
  cp "$dir/groundcrewd_${version}_$arch.deb" "$dir/groundcrew-agent_${version}_$arch.deb" \
    "$root/tmp/"

  local output status=0
  output=$(in_root dpkg -i "/tmp/groundcrewd_${version}_$arch.deb" \
    "/tmp/groundcrew-agent_${version}_$arch.deb" 2>&1) || status=$?
  if [ "$status" -ne 0 ]; then
    fail "dpkg -i in the root (exit status $status):"$'\n'"$output"
    return
  fi
  expect_equal "dpkg-query -W" "groundcrew-agent $version install ok installed
groundcrewd $version install ok installed" \
    "$(in_root dpkg-query -W -f='${Package} ${Version} ${Status}\n' groundcrewd groundcrew-agent)"

  # The system users, and the data directory `groundcrew init` runs in.
  expect_equal "getent passwd groundcrew" "groundcrew service:/var/lib/groundcrewd:/usr/sbin/nologin" \
    "$(in_root getent passwd groundcrew | cut -d: -f5-)"
  expect_equal "getent passwd groundcrew-kiosk" "groundcrew OOBE kiosk:/:/usr/sbin/nologin" \
    "$(in_root getent passwd groundcrew-kiosk | cut -d: -f5-)"
  expect_equal "/var/lib/groundcrewd" "groundcrew groundcrew 700" \
    "$(in_root stat -c '%U %G %a' /var/lib/groundcrewd)"

  # Enabled at install, for the next boot: systemd's own symlinks.
  expect_equal "the enabled units" \
    "graphical.target.wants/groundcrew-kiosk.service -> /lib/systemd/system/groundcrew-kiosk.service
multi-user.target.wants/groundcrew-oobe.service -> /lib/systemd/system/groundcrew-oobe.service
multi-user.target.wants/groundcrewd.service -> /lib/systemd/system/groundcrewd.service" \
    "$(wants_links)"

  # Every installed unit, and the display manager's drop-in on a stand-in (the root has no
  # display manager), pass the root's own systemd-analyze verify; it can fail (a missing command).
  printf '[Unit]\nDescription=display manager stand-in\n[Service]\nExecStart=/bin/true\n' \
    >"$root/etc/systemd/system/dm-stand-in.service"
  ln -s dm-stand-in.service "$root/etc/systemd/system/display-manager.service"
  expect_silent "systemd-analyze verify in the root" in_root systemd-analyze verify --man=no \
    groundcrewd.service groundcrew-oobe.service groundcrew-kiosk.service display-manager.service
  printf '[Service]\nExecStart=/usr/bin/missing-command\n' \
    >"$root/etc/systemd/system/broken-command.service"
  output=$(in_root systemd-analyze verify --man=no broken-command.service 2>&1) || true
  [ -n "$output" ] || fail "systemd-analyze verify in the root says nothing about a missing command"
  rm "$root/etc/systemd/system/broken-command.service"

  # The binaries run in the root: their shared libraries are there.
  local binary
  for binary in groundcrewd groundcrew groundcrew-agent; do
    output=$(in_root "$binary" --help 2>&1) || fail "$binary --help in the root: $output"
    grep -q "^Usage: $binary " <<<"$output" || fail "$binary --help in the root says: $output"
  done

  # What docs/security.md tells the operator: `groundcrew init` as the user groundcrew, then the
  # unit's command line (port 0 and a port file instead of the configured 8080) serves.
  output=$(in_root runuser -u groundcrew -- groundcrew init --data-dir /var/lib/groundcrewd \
    --organization Contoso --domain contoso.com 2>&1) || fail "groundcrew init in the root: $output"
  [ -f "$root/var/lib/groundcrewd/groundcrew.db" ] ||
    fail "groundcrew init did not make the database the unit's ConditionPathExists= names"
  grep -q '^ConditionPathExists=/var/lib/groundcrewd/groundcrew.db$' \
    "$root/usr/lib/systemd/system/groundcrewd.service" ||
    fail "groundcrewd.service does not wait for groundcrew.db"
  local command
  command=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$root/usr/lib/systemd/system/groundcrewd.service" |
    sed -e 's/^ExecStart=//' -e 's/\\$//' | tr -s ' \n' ' ')
  # shellcheck disable=SC2086 # the unit's command line, split as systemd splits it
  chroot "$root" setpriv --reuid=groundcrew --regid=groundcrew --clear-groups -- $command \
    --listen 127.0.0.1:0 --port-file /var/lib/groundcrewd/port >"$work/groundcrewd.log" 2>&1 &
  local daemon=$!
  background+=("$daemon")
  for _ in $(seq 100); do
    [ -s "$root/var/lib/groundcrewd/port" ] && break
    kill -0 "$daemon" 2>/dev/null || break
    sleep 0.1
  done
  if [ -s "$root/var/lib/groundcrewd/port" ]; then
    expect_equal "groundcrewd's /healthz in the root" "HTTP/1.1 200 OK" \
      "$(http_status "$(cat "$root/var/lib/groundcrewd/port")" /healthz)"
  else
    fail "groundcrewd did not start in the root: $(cat "$work/groundcrewd.log")"
  fi
  # groundcrewd.lock holds its process id (chroot and setpriv exec it: the same as $daemon).
  expect_equal "groundcrewd's process id" "$daemon" \
    "$(tr -dc 0-9 <"$root/var/lib/groundcrewd/groundcrewd.lock" 2>/dev/null)"
  kill "$daemon" 2>/dev/null || true
  wait "$daemon" 2>/dev/null || true

  # The user flow reached the desktop: --on-complete wrote oobe.done and the agent exited 0.
  # The installed hook (the unit's ExecStopPost=) disables both OOBE units with the root's
  # systemctl (offline in the chroot, which also refuses the live stop and start).
  mkdir -p "$root/var/lib/groundcrew"
  touch "$root/var/lib/groundcrew/oobe.done"
  in_root env EXIT_CODE=exited EXIT_STATUS=0 /usr/libexec/groundcrew/groundcrew-oobe-hook \
    ended /var/lib/groundcrew >"$work/hook.log" 2>&1 ||
    fail "groundcrew-oobe-hook ended in the root: $(cat "$work/hook.log")"
  expect_equal "the enabled units once the OOBE is over" \
    "multi-user.target.wants/groundcrewd.service -> /lib/systemd/system/groundcrewd.service" \
    "$(wants_links)"
  # An upgrade (here: the same version again) does not enable them again.
  output=$(in_root dpkg -i "/tmp/groundcrew-agent_${version}_$arch.deb" 2>&1) ||
    fail "dpkg -i groundcrew-agent again: $output"
  expect_equal "the enabled units after an upgrade" \
    "multi-user.target.wants/groundcrewd.service -> /lib/systemd/system/groundcrewd.service" \
    "$(wants_links)"

  # dpkg -r takes every file the packages installed but the conffile; --purge the conffile and
  # the enablement links. The tenant's data and the users stay (docs/security.md).
  in_root dpkg-query -L groundcrewd groundcrew-agent | sort -u >"$work/files"
  output=$(in_root dpkg -r groundcrewd groundcrew-agent 2>&1) ||
    fail "dpkg -r in the root: $output"
  expect_equal "dpkg-query -W after dpkg -r" "groundcrew-agent deinstall ok config-files
groundcrewd deinstall ok config-files" \
    "$(in_root dpkg-query -W -f='${Package} ${Status}\n' groundcrewd groundcrew-agent)"
  local path left=()
  while read -r path; do
    [ -n "$path" ] && [ "$path" != /etc/groundcrewd/groundcrewd.json ] || continue
    if [ -e "$root$path" ] && [ ! -d "$root$path" ]; then left+=("$path"); fi
  done <"$work/files"
  expect_equal "the packages' files left after dpkg -r" "" "${left[*]}"
  for path in /usr/libexec/groundcrew /usr/lib/systemd/system/display-manager.service.d; do
    [ ! -e "$root$path" ] || fail "$path is left after dpkg -r"
  done
  output=$(in_root dpkg --purge groundcrewd groundcrew-agent 2>&1) ||
    fail "dpkg --purge in the root: $output"
  expect_equal "dpkg-query -W after dpkg --purge" "" \
    "$(in_root dpkg-query -W groundcrewd groundcrew-agent 2>/dev/null || true)"
  [ ! -e "$root/etc/groundcrewd" ] || fail "/etc/groundcrewd is left after dpkg --purge"
  expect_equal "the enabled units after dpkg --purge" "" "$(wants_links)"
  [ -f "$root/var/lib/groundcrewd/groundcrew.db" ] ||
    fail "dpkg --purge deleted the tenant's database"
}

mode=${1:-}
case "$mode" in
  units) test_units "${2:?usage: packaging_test.sh units GROUNDCREWD}" ;;
  sandbox) test_sandbox "${2:?usage: packaging_test.sh sandbox GROUNDCREWD GROUNDCREW}" "${3:?}" ;;
  build) test_build "${2:?usage: packaging_test.sh build CPACK CPACK_CONFIG DIR}" "${3:?}" "${4:?}" ;;
  contents)
    test_contents "${2:?usage: packaging_test.sh contents DIR VERSION SOURCE_DIR BINARY_DIR}" \
      "${3:?}" "${4:?}" "${5:?}"
    ;;
  install) test_install "${2:?usage: packaging_test.sh install DIR VERSION}" "${3:?}" ;;
  *)
    echo "usage: packaging_test.sh units GROUNDCREWD | sandbox GROUNDCREWD GROUNDCREW |" \
      "build CPACK CPACK_CONFIG DIR |" \
      "contents DIR VERSION SOURCE_DIR BINARY_DIR | install DIR VERSION" >&2
    exit 2
    ;;
esac
if [ "$failures" -ne 0 ]; then
  echo "packaging_test.sh $mode: $failures failure(s)" >&2
  exit 1
fi
echo "packaging_test.sh $mode: ok"
