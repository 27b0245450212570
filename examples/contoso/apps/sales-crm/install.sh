#!/bin/sh
# Sales CRM 5.0.0 (demo installer). The device agent runs it with GROUNDCREW_ROOT set to the device
# root; it records its version where the app's fileVersion detection rule looks.
set -eu
: "${GROUNDCREW_ROOT:?GROUNDCREW_ROOT must be set}"
dir="$GROUNDCREW_ROOT/opt/contoso/sales-crm"
mkdir -p "$dir"
printf '%s\n' "5.0.0" > "$dir/VERSION"
echo "installed Sales CRM 5.0.0"
