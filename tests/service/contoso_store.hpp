#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "core/model/directory.hpp"
#include "server/service/resource_model.hpp"
#include "server/store_sqlite/sqlite_store.hpp"

// The store a use-case test starts from: SQLite in memory holding the Contoso tenant, as
// `groundcrew init` writes it.
namespace groundcrew::service {

/// A fresh in-memory store with the tenant "Contoso" (contoso.com) created at `now`; null (after
/// a test failure naming why) when it cannot be made.
inline std::unique_ptr<store::sqlite::SqliteStore> ContosoStore(core::Timestamp now) {
  auto opened = store::sqlite::SqliteStore::Open({.path = ":memory:"});
  EXPECT_TRUE(opened) << opened.error().message;
  if (!opened) return nullptr;
  core::TenantSettings settings;
  settings.organization_name = "Contoso";
  settings.domain = "contoso.com";
  auto created = (*opened)->resources().Create({store::ResourceKind::kTenant, "tenant", "tenant",
                                                StoredBody(AnyResource(settings)), now, now});
  EXPECT_TRUE(created) << created.error().message;
  if (!created) return nullptr;
  return std::move(*opened);
}

}  // namespace groundcrew::service
