#pragma once

#include "server/store/conformance/store_conformance.hpp"

namespace groundcrew::store::conformance {

/// The behaviour every SealedValueStore adapter must have. Instantiate with a StoreFactory.
class SealedValueStoreConformance : public StoreConformanceTest {};

/// Two instances racing: `a` and `b` (two stores on one empty database, or one store twice)
/// replace the same values, both naming the version they read, from two threads at once; each
/// replacement must succeed for exactly one of them (kAborted for the other). For adapters' own
/// tests of stores sharing a database.
void ExpectOneWinnerPerVersion(Store& a, Store& b);

}  // namespace groundcrew::store::conformance
