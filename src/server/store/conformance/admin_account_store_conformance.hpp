#pragma once

#include "server/store/conformance/store_conformance.hpp"

namespace groundcrew::store::conformance {

/// The behaviour every AdminAccountStore adapter must have. Instantiate with a StoreFactory.
class AdminAccountStoreConformance : public StoreConformanceTest {};

/// The behaviour every ConsoleSessionStore adapter must have (with the AdminAccountStore of the
/// same Store, whose accounts the sessions belong to). Instantiate with a StoreFactory.
class ConsoleSessionStoreConformance : public StoreConformanceTest {};

}  // namespace groundcrew::store::conformance
