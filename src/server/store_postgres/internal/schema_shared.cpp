#include "server/store_postgres/internal/ports.hpp"

namespace groundcrew::store::postgres::internal {

// 5: what the instances sharing the schema coordinate through. leases (lease_port.cpp): who
// runs each leader-only job, until when (Unix seconds); a free lease has no row. sealed_values
// (sealed_value_port.cpp): opaque values the service sealed itself (keys), as bytea, each with
// its optimistic version. Names are compared and ordered byte by byte (COLLATE "C").
const std::string_view kSchemaShared = R"sql(
CREATE TABLE leases (
  name        TEXT COLLATE "C" PRIMARY KEY,
  holder      TEXT COLLATE "C" NOT NULL,
  expires_at  BIGINT NOT NULL
);
CREATE TABLE sealed_values (
  name     TEXT COLLATE "C" PRIMARY KEY,
  value    BYTEA NOT NULL,
  version  BIGINT NOT NULL
);
)sql";

}  // namespace groundcrew::store::postgres::internal
