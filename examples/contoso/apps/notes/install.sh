#!/bin/sh
# Contoso Notes 3.2.0 (demo installer), a user-context app: the device agent runs it as the
# signed-in user, with GROUNDCREW_HOME set to their home in the device root. It installs into that
# home (the files are the user's) and records its version where the app's detection rule looks.
set -eu
: "${GROUNDCREW_HOME:?GROUNDCREW_HOME must be set: a user-context app runs once the user has an account}"
dir="$GROUNDCREW_HOME/.local/share/contoso/notes"
mkdir -p "$dir"
printf '%s\n' "3.2.0" > "$dir/VERSION"
echo "installed Contoso Notes 3.2.0 for ${GROUNDCREW_USER:-the user}"
