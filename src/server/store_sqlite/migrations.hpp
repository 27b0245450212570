#pragma once

#include <span>

#include "server/store_sqlite/internal/connection.hpp"

namespace groundcrew::store::sqlite {

/// The schema, as numbered migrations applied at open (internal::Migrate). Never edit a
/// migration that has shipped: add the next one.
std::span<const internal::Migration> Migrations();

}  // namespace groundcrew::store::sqlite
