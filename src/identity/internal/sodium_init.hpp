#pragma once

#include <sodium.h>

#include <stdexcept>

// Private to gc_identity.
namespace groundcrew::identity::internal {

/// Initializes libsodium once. sodium_init is idempotent and thread-safe; it fails only when the
/// system has no entropy source, which is not an error a caller can handle: throws then.
inline void EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium could not be initialized");
}

}  // namespace groundcrew::identity::internal
