#pragma once

#include <string>

#include "server/store/device_query.hpp"

namespace groundcrew::store::sqlite::internal {

/// The text of DeviceStore::Query's statement for `query` (its filters, order, direction and
/// whether it has a cursor; parameters ?1..?9). Exposed for the query-plan test.
std::string DeviceQueryStatement(const DeviceQuery& query);

}  // namespace groundcrew::store::sqlite::internal
