#pragma once

#include "server/store/conformance/store_conformance.hpp"

namespace groundcrew::store::conformance {

/// The behaviour every ResourceStore adapter must have (through Store, which gives the suite the
/// other ports it needs for its data). Instantiate with a StoreFactory.
class ResourceStoreConformance : public StoreConformanceTest {};

}  // namespace groundcrew::store::conformance
