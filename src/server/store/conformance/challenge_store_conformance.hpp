#pragma once

#include "server/store/conformance/store_conformance.hpp"

namespace groundcrew::store::conformance {

/// The behaviour every ChallengeStore adapter must have. Instantiate with a StoreFactory.
class ChallengeStoreConformance : public StoreConformanceTest {};

}  // namespace groundcrew::store::conformance
