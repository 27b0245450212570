#pragma once

#include "server/store/conformance/store_conformance.hpp"

namespace groundcrew::store::conformance {

/// The behaviour every LeaseStore adapter must have. Instantiate with a StoreFactory.
class LeaseStoreConformance : public StoreConformanceTest {};

/// Two instances racing: `a` and `b` (two stores on one empty database, or one store twice)
/// call TryAcquire for the same free leases from two threads at once; each lease must go to
/// exactly one of them. For adapters' own tests of stores sharing a database.
void ExpectOneWinnerPerLease(Store& a, Store& b);

}  // namespace groundcrew::store::conformance
