#!/bin/sh
# Contoso Agent 1.4.2 (demo installer). The device agent runs it with GROUNDCREW_ROOT set to the device
# root; it records its version where the app's fileVersion detection rule looks.
set -eu
: "${GROUNDCREW_ROOT:?GROUNDCREW_ROOT must be set}"
dir="$GROUNDCREW_ROOT/opt/contoso/agent"
mkdir -p "$dir"
printf '%s\n' "1.4.2" > "$dir/VERSION"
echo "installed Contoso Agent 1.4.2"
