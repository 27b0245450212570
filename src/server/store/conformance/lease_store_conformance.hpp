#pragma once

#include "server/store/conformance/store_conformance.hpp"

namespace groundcrew::store::conformance {

/// The behaviour every LeaseStore adapter must have. Instantiate with a StoreFactory.
class LeaseStoreConformance : public StoreConformanceTest {};

}  // namespace groundcrew::store::conformance
