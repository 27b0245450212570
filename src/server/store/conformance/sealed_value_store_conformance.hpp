#pragma once

#include "server/store/conformance/store_conformance.hpp"

namespace groundcrew::store::conformance {

/// The behaviour every SealedValueStore adapter must have. Instantiate with a StoreFactory.
class SealedValueStoreConformance : public StoreConformanceTest {};

}  // namespace groundcrew::store::conformance
