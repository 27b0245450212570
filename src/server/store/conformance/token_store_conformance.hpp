#pragma once

#include "server/store/conformance/store_conformance.hpp"

namespace groundcrew::store::conformance {

/// The behaviour every TokenStore adapter must have. Instantiate with a StoreFactory.
class TokenStoreConformance : public StoreConformanceTest {};

}  // namespace groundcrew::store::conformance
