#pragma once

#include "server/store/conformance/store_conformance.hpp"

namespace groundcrew::store::conformance {

/// The behaviour every IdempotencyStore adapter must have. Instantiate with a StoreFactory.
class IdempotencyStoreConformance : public StoreConformanceTest {};

}  // namespace groundcrew::store::conformance
