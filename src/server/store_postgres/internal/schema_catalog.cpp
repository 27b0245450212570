#include "server/store_postgres/internal/ports.hpp"

namespace groundcrew::store::postgres::internal {

// STUB: the tables of this part's ports, ported from store_sqlite/migrations.cpp.
const std::string_view kSchemaCatalog = "";

}  // namespace groundcrew::store::postgres::internal
