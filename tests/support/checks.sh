# Checks for the shell-driven tests (tests/kiosk, tests/packaging, tests/debian_root): source it,
# call the checks, then `exit_with_failures NAME` at the end. Each failed check is reported at
# once on stderr and counted; the test goes on so that one run shows every failure.

failures=0

# fail MESSAGE...: one failed check.
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect_equal WHAT EXPECTED ACTUAL
expect_equal() {
  if [ "$2" != "$3" ]; then
    fail "$1"$'\n'"  expected: $(printf '%q' "$2")"$'\n'"  actual:   $(printf '%q' "$3")"
  fi
}

# expect_silent WHAT COMMAND...: the command succeeds and prints nothing (systemd-analyze
# verify exits 0 on an unknown key or section: it only prints it).
expect_silent() {
  local what=$1 output status=0
  shift
  output=$("$@" 2>&1) || status=$?
  if [ "$status" -ne 0 ] || [ -n "$output" ]; then
    fail "$what (exit status $status):"$'\n'"$output"
  fi
}
