#!/bin/sh
# Contoso Dotfiles (device_flow_test.sh): a user-context app, run by the agent as the signed-in
# user; it writes their settings in their home, so the file is theirs.
set -eu
: "${GROUNDCREW_HOME:?GROUNDCREW_HOME must be set: a user-context app runs as the user}"
mkdir -p "$GROUNDCREW_HOME/.config/contoso"
printf 'editor=vim\nwritten-by-uid=%s\n' "$(id -u)" > "$GROUNDCREW_HOME/.config/contoso/settings"
