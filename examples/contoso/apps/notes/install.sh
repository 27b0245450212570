#!/bin/sh
# Contoso Notes 3.2.0 (demo installer). The device agent runs it with GROUNDCREW_ROOT set to the device
# root; it records its version where the app's fileVersion detection rule looks.
set -eu
: "${GROUNDCREW_ROOT:?GROUNDCREW_ROOT must be set}"
dir="$GROUNDCREW_ROOT/opt/contoso/notes"
mkdir -p "$dir"
printf '%s\n' "3.2.0" > "$dir/VERSION"
echo "installed Contoso Notes 3.2.0"
