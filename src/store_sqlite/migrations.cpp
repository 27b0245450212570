#include "store_sqlite/migrations.hpp"

#include <array>

namespace groundcrew::store::sqlite {
namespace {

// 1: registered devices (windowsAutopilotDeviceIdentity). Times are Unix seconds; NULL = unset.
constexpr std::string_view kDevices = R"sql(
CREATE TABLE autopilot_devices (
  id                             TEXT PRIMARY KEY,
  serial_number                  TEXT NOT NULL COLLATE NOCASE UNIQUE,
  product_key                    TEXT NOT NULL DEFAULT '',
  hardware_identifier            BLOB NOT NULL UNIQUE,
  group_tag                      TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
  purchase_order_identifier      TEXT NOT NULL DEFAULT '',
  user_principal_name            TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
  addressable_user_name          TEXT NOT NULL DEFAULT '',
  display_name                   TEXT NOT NULL DEFAULT '',
  manufacturer                   TEXT NOT NULL DEFAULT '',
  model                          TEXT NOT NULL DEFAULT '',
  azure_ad_device_id             TEXT NOT NULL DEFAULT '',
  managed_device_id              TEXT NOT NULL DEFAULT '',
  enrollment_state               INTEGER NOT NULL,
  profile_assignment_status      INTEGER NOT NULL,
  profile_assigned_at            INTEGER,
  last_contacted_at              INTEGER,
  created_at                     INTEGER NOT NULL,
  version                        INTEGER NOT NULL
);
CREATE INDEX autopilot_devices_group_tag ON autopilot_devices (group_tag);
CREATE INDEX autopilot_devices_user ON autopilot_devices (user_principal_name);
)sql";

constexpr std::array<internal::Migration, 1> kMigrations = {{
    {1, kDevices},
}};

}  // namespace

std::span<const internal::Migration> Migrations() { return kMigrations; }

}  // namespace groundcrew::store::sqlite
