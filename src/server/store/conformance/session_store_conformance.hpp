#pragma once

#include "server/store/conformance/store_conformance.hpp"

namespace groundcrew::store::conformance {

/// The behaviour every SessionStore adapter must have (through Store, which gives the suite the
/// other ports it needs for its data). Instantiate with a StoreFactory.
class SessionStoreConformance : public StoreConformanceTest {};

}  // namespace groundcrew::store::conformance
