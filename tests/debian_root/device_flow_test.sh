#!/usr/bin/env bash
# A real Debian 12 device, end to end (issue 17's proof): the root scripts/debian-root makes
# (mmdebstrap --variant=minbase bookworm) is unpacked fresh, then
#   1. groundcrewd runs on loopback with a tenant (tests/debian_root/tenant.yaml) holding a .deb
#      built here with dpkg-deb that depends on a package from Debian's archive (jq), an
#      aptPackage app, a policy setting every setting of the catalog, and an administrator user;
#   2. the technician flow and the user flow run with `groundcrew-agent oobe --root ROOT`:
#      apt, dpkg, sshd, visudo, nft and dconf run inside the root (chroot);
#   3. the root's own tools check the result: dpkg-query for the packages, sshd -t, visudo -c,
#      nft -c, dconf read as root and as the user, systemd-tmpfiles, getent passwd and id for the user, the root's crypt(3) (perl's crypt) for the
#      stored hash, file owners and modes.
# Usage: device_flow_test.sh BIN_DIR TARBALL
# Needs root (chroot) and Debian's archive (apt in the root installs jq and hello). Exits 77
# (skipped, with the reason) when not root or when the tarball is missing.
set -euo pipefail

bin=$1
tarball=$2
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: needs root to chroot into the Debian root"; exit 77
fi
if [ ! -s "$tarball" ]; then
  echo "SKIP: no Debian root at $tarball (scripts/debian-root makes it)"; exit 77
fi

work=$(mktemp -d)
# A device's / is 0755 (mktemp made this 0700): a user-context app, run as the user, reaches
# their home in the root through it.
chmod 0755 "$work"
daemon=""
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=../support/checks.sh
. "$here/../support/checks.sh"
in_root() { chroot "$root" "$@"; }

root="$work/root"
mkdir -p "$root"
tar -xf "$tarball" -C "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"   # the device's network, as DHCP would set it
mkdir -p "$root/run/sshd"   # sshd's privilege separation folder, as its unit makes at boot
pwck_before=$(in_root pwck -r 2>&1 || true)

# The .deb: a package of Contoso's that needs jq from the archive.
pkg="$work/pkg"
mkdir -p "$pkg/DEBIAN" "$pkg/usr/bin"
cat > "$pkg/DEBIAN/control" <<'CONTROL'
Package: contoso-inventory
Version: 1.2.0-1
Architecture: all
Maintainer: Contoso IT <it@contoso.com>
Depends: jq
Description: Contoso inventory reporter
 Reports the device's inventory as JSON.
CONTROL
printf '#!/bin/sh\necho "{\\"packages\\": $(dpkg-query -W | wc -l)}" | jq .packages\n' \
  > "$pkg/usr/bin/contoso-inventory"
chmod 0755 "$pkg/usr/bin/contoso-inventory"
tenant="$work/tenant"
mkdir -p "$tenant"
dpkg-deb --root-owner-group --build "$pkg" "$tenant/contoso-inventory_1.2.0-1_all.deb" >/dev/null
cp "$here/tenant.yaml" "$here/contoso-dotfiles.sh" "$tenant/"

"$bin/groundcrew" init --data-dir "$work/var" --organization Contoso --domain contoso.com \
  > "$work/init"
token=$(grep -o 'gcadm_[A-Za-z0-9_-]*' "$work/init")
"$bin/groundcrewd" --data-dir "$work/var" --listen 127.0.0.1:0 --port-file "$work/port" \
  2>"$work/groundcrewd.log" &
daemon=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/groundcrewd.log"; exit 1; }
server="http://127.0.0.1:$(cat "$work/port")"
export GROUNDCREW_SERVER="$server" GROUNDCREW_TOKEN="$token" XDG_CONFIG_HOME="$work/config"

"$bin/groundcrew" apply -f "$tenant/tenant.yaml" > "$work/apply.log"
# The policies set every setting of the catalog.
catalog=$("$bin/groundcrew" settings --json | grep -o '"id": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' | sort)
in_policy=$(sed -n '/^policies:/,/^[a-z]/p' "$tenant/tenant.yaml" \
  | grep -o '[a-zA-Z]*\.[a-zA-Z]*: ' | tr -d ' :' | sort -u)
expect_equal "the policies set every catalog setting" "$catalog" "$in_policy"

user=ada.lovelace@contoso.com
password='Analytical-Engine-1843'
seed=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
echo "$password" | "$bin/groundcrew" users set-password "$user" --password-stdin >/dev/null
"$bin/groundcrew" users mfa enroll "$user" --secret "$seed" --json >/dev/null

state="$work/state"
"$bin/groundcrew-agent" hwid --state "$state" --serial DEB-REAL-01 --manufacturer Contoso \
  --model 'Laptop 7' --assigned-user "$user" > "$work/row.csv"
"$bin/groundcrew" devices import "$work/row.csv" >/dev/null
oobe() {
  "$bin/groundcrew-agent" oobe --server "$server" --root "$root" --state "$state" \
    --serial DEB-REAL-01 --ui plain "$@"
}
oobe --preprovision > "$work/technician.log" 2>&1 || {
  cat "$work/technician.log"; fail "the technician flow failed"; exit 1; }
printf '{"password": "%s", "totpSeed": "%s", "privacy": "accept"}\n' "$password" "$seed" \
  > "$work/answers.json"
chmod 0600 "$work/answers.json"
oobe --answers "$work/answers.json" > "$work/user.log" 2>&1 || {
  cat "$work/user.log"; fail "the user flow failed"; exit 1; }

# Packages: dpkg's own view inside the root.
expect_equal "contoso-inventory is installed" "install ok installed 1.2.0-1" \
  "$(in_root dpkg-query -W -f '${Status} ${Version}' contoso-inventory)"
expect_equal "its dependency came from the archive" "install ok installed" \
  "$(in_root dpkg-query -W -f '${Status}' jq)"
expect_equal "the aptPackage app is installed" "install ok installed" \
  "$(in_root dpkg-query -W -f '${Status}' hello)"
expect_equal "the packaged program runs in the root, with jq" \
  "$(in_root dpkg-query -W | wc -l)" "$(in_root contoso-inventory 2>&1 || true)"

# Settings: the root's own checkers accept what was written.
in_root /usr/sbin/sshd -t || fail "sshd -t refuses the configuration"
expect_equal "sshd's effective PasswordAuthentication" "passwordauthentication no" \
  "$(in_root /usr/sbin/sshd -T 2>/dev/null | grep '^passwordauthentication ')"
expect_equal "sshd's effective PermitRootLogin" "permitrootlogin no" \
  "$(in_root /usr/sbin/sshd -T 2>/dev/null | grep '^permitrootlogin ')"
in_root visudo -c >/dev/null || fail "visudo -c refuses the sudoers files"
in_root nft -c -f /etc/groundcrew/firewall.nft || fail "nft -c refuses the firewall"
[ -s "$root/etc/dconf/db/local" ] || fail "dconf update did not compile the local database"
# The device's screen lock is every user's; the engineer's idle time is in her own database,
# named by her mandatory profile, which her session reads first (dconf reads the compiled
# databases itself: no session bus needed).
as_ada() {
  in_root setpriv --reuid="$(in_root id -u ada-lovelace)" --regid="$(in_root id -g ada-lovelace)" \
    --init-groups env HOME=/home/ada-lovelace "$@" 2>&1
}
expect_equal "the device's lock-enabled, for everyone" "true" \
  "$(in_root env HOME=/root dconf read /org/gnome/desktop/screensaver/lock-enabled 2>&1)"
expect_equal "the device's own idle-delay (none: the system's default)" "" \
  "$(in_root env HOME=/root dconf read /org/gnome/desktop/session/idle-delay 2>&1)"
expect_equal "the idle-delay Ada's session reads" "uint32 300" \
  "$(as_ada dconf read /org/gnome/desktop/session/idle-delay)"
expect_equal "the lock-enabled Ada's session reads" "true" \
  "$(as_ada dconf read /org/gnome/desktop/screensaver/lock-enabled)"
expect_equal "Ada cannot change her idle-delay (locked)" "/org/gnome/desktop/session/idle-delay" \
  "$(as_ada dconf list-locks /org/gnome/desktop/session/)"
ls "$root"/etc/groundcrew/policies/users/ada-lovelace/*.json >/dev/null 2>&1 ||
  fail "no record of the Engineers desktop policy for ada-lovelace"
# /run is a tmpfs: at boot, systemd-tmpfiles makes her profile again from groundcrew's line.
profile=$(cat "$root/run/dconf/user/$(in_root id -u ada-lovelace)")
rm -rf "$root/run/dconf"
systemd-tmpfiles --root="$root" --create groundcrew-dconf.conf ||
  fail "systemd-tmpfiles refuses /etc/tmpfiles.d/groundcrew-dconf.conf"
expect_equal "her profile, made again at boot" "$profile" \
  "$(cat "$root/run/dconf/user/$(in_root id -u ada-lovelace)" 2>&1)"
expect_equal "the idle-delay Ada's session reads after a boot" "uint32 300" \
  "$(as_ada dconf read /org/gnome/desktop/session/idle-delay)"
check_file() {  # PATH MODE OWNER
  local got
  got=$(in_root stat -c '%a %U:%G' "/$1" 2>/dev/null || echo missing)
  expect_equal "$1's mode and owner" "$2 $3" "$got"
}
check_file etc/sudoers.d/groundcrew 440 root:root
check_file etc/ssh/sshd_config.d/50-groundcrew.conf 644 root:root
check_file etc/security/pwquality.conf.d/50-groundcrew.conf 644 root:root
check_file etc/sysctl.d/50-groundcrew.conf 644 root:root
check_file etc/modprobe.d/groundcrew-blocked.conf 644 root:root
check_file etc/apt/apt.conf.d/52groundcrew-automatic-updates 644 root:root
check_file etc/systemd/timesyncd.conf.d/50-groundcrew.conf 644 root:root
check_file etc/tmpfiles.d/groundcrew-dconf.conf 644 root:root
grep -qx 'install usb-storage /bin/false' "$root/etc/modprobe.d/groundcrew-blocked.conf" ||
  fail "usb-storage is not blocked"

# The user: an account the desktop login accepts with the password just typed.
entry=$(in_root getent passwd ada-lovelace || true)
[ -n "$entry" ] || fail "getent passwd ada-lovelace finds no account"
expect_equal "the user's home and shell" "/home/ada-lovelace:/bin/bash" \
  "$(echo "$entry" | cut -d: -f6-7)"
in_root id -nG ada-lovelace | grep -qw sudo || fail "the administrator user is not in sudo"
check_file home/ada-lovelace 700 ada-lovelace:ada-lovelace
# The user-context app ran as the user: what it wrote in the home is theirs.
check_file home/ada-lovelace/.config/contoso/settings 644 ada-lovelace:ada-lovelace
expect_equal "the uid the user's app ran as" "$(in_root id -u ada-lovelace)" \
  "$(sed -n 's/^written-by-uid=//p' "$root/home/ada-lovelace/.config/contoso/settings")"
hash=$(in_root getent shadow ada-lovelace | cut -d: -f2)
case "$hash" in '$y$'*) ;; *) fail "the hash is not yescrypt: ${hash:0:4}";; esac
# The root's own crypt(3) (perl-base is in every Debian root) against the stored hash.
expect_equal "crypt(3) of the typed password with the stored hash's salt" "$hash" \
  "$(PW="$password" H="$hash" in_root perl -e 'print crypt($ENV{PW}, $ENV{H})')"
# pwck finds minbase's own system users' missing homes; the flows must add nothing to that.
expect_equal "pwck -r finds nothing new" "$pwck_before" "$(in_root pwck -r 2>&1 || true)"
in_root grpck -r || fail "grpck -r finds problems"

# Compliance: evaluated from the machine.
"$bin/groundcrew" report DEB-REAL-01 > "$work/report.txt"
grep -Eq "Compliance after: +compliant" "$work/report.txt" ||
  fail "the device is not compliant from what its root says: $(grep -A8 'Compliance after' "$work/report.txt")"

if [ "$failures" -gt 0 ]; then
  echo "--- user flow ---"; tail -40 "$work/user.log"
  echo "$failures check(s) failed"; exit 1
fi
echo "PASS: the device has its packages, settings and user"
