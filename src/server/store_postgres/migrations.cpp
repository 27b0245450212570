#include "server/store_postgres/migrations.hpp"

#include <array>

#include "server/store_postgres/internal/ports.hpp"

namespace groundcrew::store::postgres {

namespace internal {

// 1: names that compare ASCII case-insensitively, as SQLite's NOCASE does for the ports that
// use it (device serial numbers, resource and credential names...): ICU's root locale at
// strength 2 ("a" = "A", "a" < "B"). A nondeterministic collation supports =, <, ORDER BY and
// unique indexes; LIKE is not used on such columns.
const std::string_view kSchemaBase = R"sql(
CREATE COLLATION gc_nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
)sql";

}  // namespace internal

std::span<const internal::Migration> Migrations() {
  static const std::array kMigrations{
      internal::Migration{1, internal::kSchemaBase},
      internal::Migration{2, internal::kSchemaCatalog},
      internal::Migration{3, internal::kSchemaSessions},
      internal::Migration{4, internal::kSchemaIdentity},
      internal::Migration{5, internal::kSchemaShared},
  };
  return kMigrations;
}

}  // namespace groundcrew::store::postgres
