#!/bin/sh
# Contoso VPN Client 3.0.1 (demo installer). The device agent runs it with GROUNDCREW_ROOT set to the device
# root; it records its version where the app's fileVersion detection rule looks.
set -eu
: "${GROUNDCREW_ROOT:?GROUNDCREW_ROOT must be set}"
dir="$GROUNDCREW_ROOT/opt/contoso/vpn-client"
mkdir -p "$dir"
printf '%s\n' "3.0.1" > "$dir/VERSION"
echo "installed Contoso VPN Client 3.0.1"
