#pragma once

#include "server/store/conformance/store_conformance.hpp"

namespace groundcrew::store::conformance {

/// The behaviour of Store::Transact every adapter must have: commit, rollback across every port,
/// nesting, isolation from other threads. Instantiate with a StoreFactory.
class TransactConformance : public StoreConformanceTest {};

}  // namespace groundcrew::store::conformance
