#!/usr/bin/env bash
# Dependencies point inward (DESIGN.md §2, docs/architecture.md). The tree has a shared part
# (common, core, wire, identity, http_client, debian_archive), two sides that never include each other
# (src/server/ and src/device/) and the admin's CLI. Every quoted include of a module may only
# name the modules it is allowed to depend on. Prints each violation as file:line and fails if
# any.
set -euo pipefail
cd "$(dirname "$0")/../.."

shared="common core wire identity http_client debian_archive"
declare -A allowed=(
  # Shared by both sides.
  [common]="common"
  [core]="core common"
  [wire]="wire core common"
  [identity]="identity common"
  [http_client]="http_client common"
  [debian_archive]="debian_archive core common"
  # The server side: groundcrewd.
  [server/store]="server/store core common"
  [server/store_sqlite]="server/store_sqlite server/store core common"
  [server/store_postgres]="server/store_postgres server/store core common"
  # The copy between the adapters (groundcrew migrate) uses both connection layers; identity:
  # SHA-256 for its content check.
  [server/store_copy]="server/store_copy server/store_sqlite server/store_postgres server/store identity core common"
  [server/http]="server/http core common"
  [server/service]="server/service server/store $shared"
  [server/api]="server/api server/http server/service server/store $shared"
  [server/daemon]="server/daemon common"
  # The device side: the flow layer, executors, the agent, the fleet simulator.
  [device/flow]="device/flow wire identity core common"
  [device/executor]="device/executor wire identity debian_archive core common"
  [device/agent]="device/agent device/flow device/executor $shared"
  [device/fleet]="device/fleet device/flow device/executor $shared"
  # The admin's command line.
  [cli]="cli $shared"
)

status=0
for module in "${!allowed[@]}"; do
  [ -d "src/$module" ] || continue
  while IFS=: read -r file line include; do
    # The module an include names: "server/http/router.hpp" -> server/http, "core/..." -> core.
    target=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$include")
    case "$target" in
      server/*/* | device/*/*) target=$(cut -d/ -f1-2 <<<"$target") ;;
      */*) target=${target%%/*} ;;
    esac
    # A module's tests may also use the test-support library.
    [[ "$target" == tests && "$file" == *_test.cpp ]] && continue
    if ! grep -qw -- "$target" <<<"${allowed[$module]}"; then
      echo "$file:$line: src/$module may not include \"$target/...\" (allowed: ${allowed[$module]})"
      status=1
    fi
  done < <(grep -rnE '^#include "[^"]+/' "src/$module" || true)
done

# Nothing under src/device/ includes src/server/ and the reverse (said once more, plainly).
if grep -rnE '^#include "server/' src/device src/cli; then
  echo "the device side and the CLI must not include the server side (see above)"
  status=1
fi
if grep -rnE '^#include "device/' src/server src/cli; then
  echo "the server side and the CLI must not include the device side (see above)"
  status=1
fi

# The core is pure: no I/O, clocks, threads or process state (tests may use them). common's
# system library (gc_system: durable_file.*, clock.cpp), which the core does not link, is the
# exception.
pure=(src/core src/common)
if grep -rnE --exclude='*_test.cpp' --exclude='durable_file.*' --exclude='clock.cpp' \
     '#include <(fstream|iostream|thread|mutex|chrono>.*now|filesystem|random|cstdio|unistd.h)>' "${pure[@]}"; then
  echo "the core and common must not do I/O, read clocks or keep threads (see above)"
  status=1
fi
if grep -rnE --exclude='*_test.cpp' --exclude='durable_file.*' --exclude='clock.cpp' \
     '(system_clock|steady_clock)::now|std::rand\(|getenv\(' "${pure[@]}"; then
  echo "the core and common must not read clocks, randomness or the environment (see above)"
  status=1
fi
exit $status
