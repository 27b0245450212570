#pragma once

#include <span>

#include "server/store_postgres/internal/connection.hpp"

namespace groundcrew::store::postgres {

/// The PostgreSQL schema's numbered migrations, oldest first (versions 1..N, no gaps).
std::span<const internal::Migration> Migrations();

}  // namespace groundcrew::store::postgres
