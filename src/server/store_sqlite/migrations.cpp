#include "server/store_sqlite/migrations.hpp"

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

// 2: catalog resources, keyed by (kind, id), names unique per kind ASCII case-insensitively
// (NOCASE folds ASCII only), and the one-row generation every Create/Update/Delete bumps in its
// own transaction. The primary key serves the id-ordered listing of a kind.
constexpr std::string_view kResources = R"sql(
CREATE TABLE resources (
  kind         TEXT NOT NULL,
  id           TEXT NOT NULL,
  name         TEXT NOT NULL COLLATE NOCASE,
  body         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  modified_at  INTEGER NOT NULL,
  version      INTEGER NOT NULL,
  PRIMARY KEY (kind, id),
  UNIQUE (kind, name)
);
CREATE TABLE catalog_generation (
  singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
  generation   INTEGER NOT NULL
);
INSERT INTO catalog_generation (singleton, generation) VALUES (1, 0);
)sql";

// 3: the append-only audit log. AUTOINCREMENT: a sequence is never reused, even after the
// newest entries were removed.
constexpr std::string_view kAuditLog = R"sql(
CREATE TABLE audit_log (
  sequence       INTEGER PRIMARY KEY AUTOINCREMENT,
  at             INTEGER NOT NULL,
  actor          TEXT NOT NULL,
  action         TEXT NOT NULL,
  resource_kind  TEXT NOT NULL,
  resource_id    TEXT NOT NULL,
  resource_name  TEXT NOT NULL,
  detail         TEXT NOT NULL
);
)sql";

// 4: admin-API credentials; only the token's SHA-256 is stored. The name index (NOCASE) serves
// the name-ordered listing.
constexpr std::string_view kAdminCredentials = R"sql(
CREATE TABLE admin_credentials (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL COLLATE NOCASE UNIQUE,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'reader')),
  token_sha256  TEXT NOT NULL UNIQUE,
  created_at    INTEGER NOT NULL,
  revoked_at    INTEGER
);
)sql";

// 5: deployment sessions and their events. A session belongs to a registered device and goes
// with it: deleting the device deletes its sessions, and deleting a session its events (ON DELETE
// CASCADE; foreign keys are enforced by every connection).
constexpr std::string_view kSessions = R"sql(
CREATE TABLE deployment_sessions (
  id                   TEXT PRIMARY KEY,
  device_id            TEXT NOT NULL REFERENCES autopilot_devices (id) ON DELETE CASCADE,
  flow                 TEXT NOT NULL,
  user_principal_name  TEXT NOT NULL DEFAULT '',
  deployment_state     TEXT NOT NULL,
  started_at           INTEGER NOT NULL,
  finished_at          INTEGER
);
CREATE INDEX deployment_sessions_device ON deployment_sessions (device_id, id);
CREATE TABLE session_events (
  sequence         INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id       TEXT NOT NULL REFERENCES deployment_sessions (id) ON DELETE CASCADE,
  idempotency_key  TEXT NOT NULL,
  at               INTEGER NOT NULL,
  kind             TEXT NOT NULL,
  detail           TEXT NOT NULL,
  UNIQUE (session_id, idempotency_key)
);
CREATE INDEX session_events_session ON session_events (session_id, sequence);
)sql";

// 6: what users sign in with (secret at rest: password hash, TOTP secret). A user's row goes
// with the user only through the service (users are catalog resources, not a table).
constexpr std::string_view kUserCredentials = R"sql(
CREATE TABLE user_credentials (
  user_id          TEXT PRIMARY KEY,
  password_hash    TEXT NOT NULL DEFAULT '',
  totp_secret      BLOB NOT NULL DEFAULT x'',
  totp_last_step   INTEGER NOT NULL DEFAULT -1,
  recent_failures  TEXT NOT NULL DEFAULT '',
  locked_until     INTEGER,
  updated_at       INTEGER NOT NULL,
  version          INTEGER NOT NULL
);
)sql";

// 7: what devices proved and the service handed out for sign-in and device proof.
// device_trust: one row per registered device once it joins, going with the device (ON DELETE
// CASCADE); trust_type is core::TrustType as an integer (as autopilot_devices stores its enums).
// challenges: single-use and short-lived; data may hold raw bytes (and secrets); the expiry
// index serves the purge. issued_tokens: only the id (jti) and what a token was for, never its
// text; revoked_at NULL = not revoked. No foreign key to autopilot_devices: device_id may be ""
// (none), and a token's row stays until it expired (the purge), whatever becomes of its device.
// The indexes serve revoking by device and by subject, and the purge.
constexpr std::string_view kDeviceTrustChallengesTokens = R"sql(
CREATE TABLE device_trust (
  device_id               TEXT PRIMARY KEY REFERENCES autopilot_devices (id) ON DELETE CASCADE,
  directory_device_id     TEXT NOT NULL DEFAULT '',
  trust_type              INTEGER NOT NULL,
  display_name            TEXT NOT NULL DEFAULT '',
  joined_at               INTEGER,
  certificate_serial      TEXT NOT NULL DEFAULT '',
  certificate_expires_at  INTEGER,
  enrolled_at             INTEGER,
  resealed_at             INTEGER,
  primary_user_id         TEXT NOT NULL DEFAULT '',
  updated_at              INTEGER NOT NULL,
  version                 INTEGER NOT NULL
);
CREATE TABLE challenges (
  id          TEXT PRIMARY KEY,
  purpose     TEXT NOT NULL,
  subject     TEXT NOT NULL DEFAULT '',
  device_id   TEXT NOT NULL DEFAULT '',
  data        BLOB NOT NULL DEFAULT x'',
  attempts    INTEGER NOT NULL DEFAULT 0,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX challenges_expires ON challenges (expires_at);
CREATE TABLE issued_tokens (
  id          TEXT PRIMARY KEY,
  audience    TEXT NOT NULL,
  subject     TEXT NOT NULL,
  device_id   TEXT NOT NULL DEFAULT '',
  issued_at   INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  revoked_at  INTEGER
);
CREATE INDEX issued_tokens_device ON issued_tokens (device_id);
CREATE INDEX issued_tokens_subject ON issued_tokens (subject);
CREATE INDEX issued_tokens_expires ON issued_tokens (expires_at);
)sql";

// 8: the first answers to requests sent with an Idempotency-Key, one per (credential, key),
// kept 24 hours (the expiry index serves the sweep). The body never holds a secret.
constexpr std::string_view kIdempotentResponses = R"sql(
CREATE TABLE idempotent_responses (
  credential_id  TEXT NOT NULL,
  key            TEXT NOT NULL,
  fingerprint    TEXT NOT NULL,
  status         INTEGER NOT NULL,
  content_type   TEXT NOT NULL DEFAULT '',
  body           BLOB NOT NULL DEFAULT x'',
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  PRIMARY KEY (credential_id, key)
);
CREATE INDEX idempotent_responses_expires ON idempotent_responses (expires_at);
)sql";

// 9: the latest inventory each device reported at the end of a flow (one row per device, going
// with the device), and its items in the order reported (going with their inventory). Kinds and
// outcomes are core::ToString's names ("app", "preparation-step"; "installed", "failed",
// "skipped").
constexpr std::string_view kReportedInventories = R"sql(
CREATE TABLE reported_inventories (
  device_id    TEXT PRIMARY KEY REFERENCES autopilot_devices (id) ON DELETE CASCADE,
  flow         TEXT NOT NULL,
  session_id   TEXT NOT NULL,
  reported_at  INTEGER NOT NULL
);
CREATE TABLE reported_inventory_items (
  device_id  TEXT NOT NULL REFERENCES reported_inventories (device_id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  kind       TEXT NOT NULL,
  item_id    TEXT NOT NULL,
  version    TEXT NOT NULL,
  outcome    TEXT NOT NULL,
  PRIMARY KEY (device_id, position)
);
)sql";

// 10: admins as people. admin_credentials' role gains "technician" (SQLite cannot change a
// CHECK constraint: the table is made again and its rows copied). admin_accounts: named admins
// who sign in to the console (secret at rest, as user_credentials: password hash, TOTP secret).
// console_sessions: only the SHA-256 of a session's token; a session goes with its admin (ON
// DELETE CASCADE); the indexes serve ending an admin's sessions and the purge.
constexpr std::string_view kAdminAccounts = R"sql(
CREATE TABLE admin_credentials_v10 (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL COLLATE NOCASE UNIQUE,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'reader', 'technician')),
  token_sha256  TEXT NOT NULL UNIQUE,
  created_at    INTEGER NOT NULL,
  revoked_at    INTEGER
);
INSERT INTO admin_credentials_v10 (id, name, role, token_sha256, created_at, revoked_at)
  SELECT id, name, role, token_sha256, created_at, revoked_at FROM admin_credentials;
DROP TABLE admin_credentials;
ALTER TABLE admin_credentials_v10 RENAME TO admin_credentials;
CREATE TABLE admin_accounts (
  name             TEXT PRIMARY KEY,
  role             TEXT NOT NULL CHECK (role IN ('admin', 'reader', 'technician')),
  password_hash    TEXT NOT NULL,
  totp_secret      BLOB NOT NULL,
  totp_last_step   INTEGER NOT NULL DEFAULT -1,
  recent_failures  TEXT NOT NULL DEFAULT '',
  locked_until     INTEGER,
  created_at       INTEGER NOT NULL,
  last_sign_in_at  INTEGER,
  version          INTEGER NOT NULL
);
CREATE TABLE console_sessions (
  token_sha256     TEXT PRIMARY KEY,
  admin_name       TEXT NOT NULL REFERENCES admin_accounts (name) ON DELETE CASCADE,
  csrf_token       TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  idle_expires_at  INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL
);
CREATE INDEX console_sessions_admin ON console_sessions (admin_name);
CREATE INDEX console_sessions_idle_expires ON console_sessions (idle_expires_at);
)sql";

// 11: the console's device list and dashboard (docs/admin-api.md). Each device row keeps the
// summary of its latest deployment session (the one started last; 'notStarted' and 0 when it has
// none), set by the session port whenever a session is created or changes, so that a page of the
// list never reads sessions. Indexes make each (filter, order) of the list a keyset range scan:
// the sort keys with the id as tie-breaker, and each again behind the deployment state (the
// console's main filter); the group tag index gains the serial number so that a tag with the
// default order is one too. The sessions' indexes serve the dashboard: the sessions in progress
// and those that finished in the last 24 hours, without reading older ones.
constexpr std::string_view kDeviceList = R"sql(
DROP INDEX autopilot_devices_group_tag;
ALTER TABLE autopilot_devices ADD COLUMN latest_deployment_state TEXT NOT NULL
  DEFAULT 'notStarted';
ALTER TABLE autopilot_devices ADD COLUMN latest_deployment_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE autopilot_devices ADD COLUMN latest_flow TEXT NOT NULL DEFAULT '';
UPDATE autopilot_devices SET (latest_deployment_state, latest_deployment_at, latest_flow) = (
  SELECT s.deployment_state, s.started_at, s.flow FROM deployment_sessions s
  WHERE s.device_id = autopilot_devices.id ORDER BY s.started_at DESC, s.rowid DESC LIMIT 1)
WHERE EXISTS (SELECT 1 FROM deployment_sessions s WHERE s.device_id = autopilot_devices.id);
CREATE INDEX autopilot_devices_group_tag ON autopilot_devices (group_tag, serial_number);
CREATE INDEX autopilot_devices_name ON autopilot_devices (display_name COLLATE NOCASE, id);
CREATE INDEX autopilot_devices_last_deployment ON autopilot_devices (latest_deployment_at, id);
CREATE INDEX autopilot_devices_state_serial
  ON autopilot_devices (latest_deployment_state, serial_number);
CREATE INDEX autopilot_devices_state_name
  ON autopilot_devices (latest_deployment_state, display_name COLLATE NOCASE, id);
CREATE INDEX autopilot_devices_state_last_deployment
  ON autopilot_devices (latest_deployment_state, latest_deployment_at, id);
CREATE INDEX autopilot_devices_latest_flow
  ON autopilot_devices (latest_flow, latest_deployment_state);
CREATE INDEX deployment_sessions_state ON deployment_sessions (deployment_state, started_at);
CREATE INDEX deployment_sessions_finished ON deployment_sessions (finished_at);
)sql";

// 12: what several instances sharing one database coordinate through (on SQLite, the processes
// sharing the file). leases: who runs each leader-only job, until when (Unix seconds).
// sealed_values: opaque values the service sealed itself (keys), each with its optimistic
// version.
constexpr std::string_view kShared = R"sql(
CREATE TABLE leases (
  name        TEXT PRIMARY KEY,
  holder      TEXT NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE TABLE sealed_values (
  name     TEXT PRIMARY KEY,
  value    BLOB NOT NULL,
  version  INTEGER NOT NULL
);
)sql";

constexpr std::array<internal::Migration, 12> kMigrations = {{
    {1, kDevices},
    {2, kResources},
    {3, kAuditLog},
    {4, kAdminCredentials},
    {5, kSessions},
    {6, kUserCredentials},
    {7, kDeviceTrustChallengesTokens},
    {8, kIdempotentResponses},
    {9, kReportedInventories},
    {10, kAdminAccounts},
    {11, kDeviceList},
    {12, kShared},
}};

}  // namespace

std::span<const internal::Migration> Migrations() { return kMigrations; }

}  // namespace groundcrew::store::sqlite
