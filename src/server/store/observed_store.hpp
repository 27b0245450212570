#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "server/store/store.hpp"

namespace groundcrew::store {

/// Told about every store call: "<port>.<Method>" (a bounded set of names, e.g.
/// "devices.Insert", "resources.ListAll", "Transact"), how long it took and whether it
/// succeeded. Called on the calling thread; must be thread-safe and must not call the store.
using StoreObserver = std::function<void(std::string_view operation, double seconds, bool ok)>;

/// A Store that forwards every call to `inner` and reports it to `observer` (for metrics).
/// Works with any adapter. `inner` must outlive the result.
std::unique_ptr<Store> Observe(Store& inner, StoreObserver observer);

}  // namespace groundcrew::store
