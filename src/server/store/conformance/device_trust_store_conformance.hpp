#pragma once

#include "server/store/conformance/store_conformance.hpp"

namespace groundcrew::store::conformance {

/// The behaviour every DeviceTrustStore adapter must have. Instantiate with a StoreFactory.
class DeviceTrustStoreConformance : public StoreConformanceTest {};

}  // namespace groundcrew::store::conformance
