#!/usr/bin/env bash
# Dependencies point inward (DESIGN.md §2): every quoted include of a module may only name the
# modules it is allowed to depend on. Prints each violation as file:line and fails if any.
set -euo pipefail
cd "$(dirname "$0")/../.."

declare -A allowed=(
  [common]="common"
  [core]="core common"
  [cli]="cli http_client wire identity core common"
  [http_client]="http_client common"
  [store]="store core common"
  [store_sqlite]="store_sqlite store core common"
  [server]="server core common"
  [identity]="identity common"
  [wire]="wire core common"
  [service]="service durable_file identity wire store core common"
  [api]="api server service identity wire store core common"
  [daemon]="daemon common"
  [agent]="agent agent_executor http_client wire identity core common"
  [agent_executor]="agent_executor durable_file identity core common"
  [durable_file]="durable_file identity common"
  [fleet]="fleet agent agent_executor wire identity core common"
)

status=0
for module in "${!allowed[@]}"; do
  [ -d "src/$module" ] || continue
  while IFS=: read -r file line include; do
    target=$(sed -E 's/.*#include "([^/"]+)\/.*/\1/' <<<"$include")
    if ! grep -qw -- "$target" <<<"${allowed[$module]}"; then
      echo "$file:$line: src/$module may not include \"$target/...\" (allowed: ${allowed[$module]})"
      status=1
    fi
  done < <(grep -rnE '^#include "[^"]+/' "src/$module" || true)
done

# The core is pure: no I/O, clocks, threads or process state (tests may use them).
if grep -rnE --exclude='*_test.cpp' '#include <(fstream|iostream|thread|mutex|chrono>.*now|filesystem|random|cstdio|unistd.h)>' src/core src/common; then
  echo "the core and common must not do I/O, read clocks or keep threads (see above)"
  status=1
fi
if grep -rnE --exclude='*_test.cpp' '(system_clock|steady_clock)::now|std::rand\(|getenv\(' src/core src/common; then
  echo "the core and common must not read clocks, randomness or the environment (see above)"
  status=1
fi
exit $status
