#pragma once

#include "server/store/conformance/store_conformance.hpp"

namespace groundcrew::store::conformance {

/// The behaviour every InventoryStore adapter must have. Instantiate with a StoreFactory.
class InventoryStoreConformance : public StoreConformanceTest {};

}  // namespace groundcrew::store::conformance
