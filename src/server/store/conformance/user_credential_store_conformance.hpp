#pragma once

#include "server/store/conformance/store_conformance.hpp"

namespace groundcrew::store::conformance {

/// The behaviour every UserCredentialStore adapter must have. Instantiate with a StoreFactory.
class UserCredentialStoreConformance : public StoreConformanceTest {};

}  // namespace groundcrew::store::conformance
