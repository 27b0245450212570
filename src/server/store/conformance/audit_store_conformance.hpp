#pragma once

#include "server/store/conformance/store_conformance.hpp"

namespace groundcrew::store::conformance {

/// The behaviour every AuditStore adapter must have (through Store, which gives the suite the
/// other ports it needs for its data). Instantiate with a StoreFactory.
class AuditStoreConformance : public StoreConformanceTest {};

}  // namespace groundcrew::store::conformance
