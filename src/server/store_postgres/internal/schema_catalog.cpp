#include "server/store_postgres/internal/ports.hpp"

namespace groundcrew::store::postgres::internal {

// 2: the catalog: registered devices, catalog resources and their generation, the audit log and
// the devices' reported inventories (the SQLite schema's migrations 1, 2, 3, 9 and 11, in their
// final shape). Times are Unix seconds (NULL = unset); enums are integers; text compares
// byte-wise (COLLATE "C", as SQLite's BINARY) except the names that compare ASCII
// case-insensitively (gc_nocase, migration 1).
//
// autopilot_devices: one row per registration (windowsAutopilotDeviceIdentity), with the summary
// of its latest deployment session (the one started last; 'notStarted' and 0 when it has none),
// kept by the session port whenever a session is created or changes, so that a page of the
// console's list never reads sessions. Its indexes make each (filter, order) of that list a
// keyset range scan (device_port.cpp): the sort keys with the id as tie-breaker, and each again
// behind the deployment state (the console's main filter); the group tag index carries the serial
// number so that a tag with the default order is one too. The name index is on display_name as
// gc_nocase (the list's order) while the column itself compares byte-wise. A search is a prefix
// range on the serial number, name, user and group tag indexes. The flow index serves the
// dashboard's counts.
//
// resources: keyed by (kind, id), names unique per kind case-insensitively; the primary key
// serves the id-ordered listing of a kind. catalog_generation: one row, bumped by every resource
// change in its own transaction.
//
// audit_log: append-only. The identity never hands out a sequence twice; as writers run one at a
// time (the write lock), sequences are committed in increasing order, so a reader paging by
// sequence never misses an entry committed after it read (a rolled-back append leaves a gap).
//
// reported_inventories: the latest inventory each device reported at the end of a flow (one row
// per device, going with the device), and its items in the order reported (going with their
// inventory). Kinds and outcomes are core::ToString's names.
const std::string_view kSchemaCatalog = R"sql(
CREATE TABLE autopilot_devices (
  id                         TEXT COLLATE "C" PRIMARY KEY,
  serial_number              TEXT COLLATE gc_nocase NOT NULL
                             CONSTRAINT autopilot_devices_serial_number UNIQUE,
  product_key                TEXT COLLATE "C" NOT NULL DEFAULT '',
  hardware_identifier        BYTEA NOT NULL CONSTRAINT autopilot_devices_hardware_identifier UNIQUE,
  group_tag                  TEXT COLLATE gc_nocase NOT NULL DEFAULT '',
  purchase_order_identifier  TEXT COLLATE "C" NOT NULL DEFAULT '',
  user_principal_name        TEXT COLLATE gc_nocase NOT NULL DEFAULT '',
  addressable_user_name      TEXT COLLATE "C" NOT NULL DEFAULT '',
  display_name               TEXT COLLATE "C" NOT NULL DEFAULT '',
  manufacturer               TEXT COLLATE "C" NOT NULL DEFAULT '',
  model                      TEXT COLLATE "C" NOT NULL DEFAULT '',
  azure_ad_device_id         TEXT COLLATE "C" NOT NULL DEFAULT '',
  managed_device_id          TEXT COLLATE "C" NOT NULL DEFAULT '',
  enrollment_state           BIGINT NOT NULL,
  profile_assignment_status  BIGINT NOT NULL,
  profile_assigned_at        BIGINT,
  last_contacted_at          BIGINT,
  created_at                 BIGINT NOT NULL,
  version                    BIGINT NOT NULL,
  latest_deployment_state    TEXT COLLATE "C" NOT NULL DEFAULT 'notStarted',
  latest_deployment_at       BIGINT NOT NULL DEFAULT 0,
  latest_flow                TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX autopilot_devices_group_tag ON autopilot_devices (group_tag, serial_number);
CREATE INDEX autopilot_devices_user ON autopilot_devices (user_principal_name);
CREATE INDEX autopilot_devices_name ON autopilot_devices (display_name COLLATE gc_nocase, id);
CREATE INDEX autopilot_devices_last_deployment ON autopilot_devices (latest_deployment_at, id);
CREATE INDEX autopilot_devices_state_serial
  ON autopilot_devices (latest_deployment_state, serial_number);
CREATE INDEX autopilot_devices_state_name
  ON autopilot_devices (latest_deployment_state, display_name COLLATE gc_nocase, id);
CREATE INDEX autopilot_devices_state_last_deployment
  ON autopilot_devices (latest_deployment_state, latest_deployment_at, id);
CREATE INDEX autopilot_devices_latest_flow
  ON autopilot_devices (latest_flow, latest_deployment_state);

CREATE TABLE resources (
  kind         TEXT COLLATE "C" NOT NULL,
  id           TEXT COLLATE "C" NOT NULL,
  name         TEXT COLLATE gc_nocase NOT NULL,
  body         TEXT COLLATE "C" NOT NULL,
  created_at   BIGINT NOT NULL,
  modified_at  BIGINT NOT NULL,
  version      BIGINT NOT NULL,
  PRIMARY KEY (kind, id),
  CONSTRAINT resources_kind_name UNIQUE (kind, name)
);
CREATE TABLE catalog_generation (
  singleton   BIGINT PRIMARY KEY CHECK (singleton = 1),
  generation  BIGINT NOT NULL
);
INSERT INTO catalog_generation (singleton, generation) VALUES (1, 0);

CREATE TABLE audit_log (
  sequence       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at             BIGINT NOT NULL,
  actor          TEXT COLLATE "C" NOT NULL,
  action         TEXT COLLATE "C" NOT NULL,
  resource_kind  TEXT COLLATE "C" NOT NULL,
  resource_id    TEXT COLLATE "C" NOT NULL,
  resource_name  TEXT COLLATE "C" NOT NULL,
  detail         TEXT COLLATE "C" NOT NULL
);

CREATE TABLE reported_inventories (
  device_id    TEXT COLLATE "C" PRIMARY KEY
               REFERENCES autopilot_devices (id) ON DELETE CASCADE,
  flow         TEXT COLLATE "C" NOT NULL,
  session_id   TEXT COLLATE "C" NOT NULL,
  reported_at  BIGINT NOT NULL
);
CREATE TABLE reported_inventory_items (
  device_id  TEXT COLLATE "C" NOT NULL
             REFERENCES reported_inventories (device_id) ON DELETE CASCADE,
  position   BIGINT NOT NULL,
  kind       TEXT COLLATE "C" NOT NULL,
  item_id    TEXT COLLATE "C" NOT NULL,
  version    TEXT COLLATE "C" NOT NULL,
  outcome    TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (device_id, position)
);
)sql";

}  // namespace groundcrew::store::postgres::internal
