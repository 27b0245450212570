#include "server/store_postgres/internal/ports.hpp"

namespace groundcrew::store::postgres::internal {

// 4: who may act, and what devices proved. The final shape of SQLite's migrations 4, 6, 7
// (device_trust) and 10; times are Unix seconds, text is COLLATE "C" (byte order) unless it
// compares case-insensitively.
//
// admin_credentials: admin-API credentials; only the token's SHA-256 is stored. Names compare
// case-insensitively (gc_nocase), and the name index serves the name-ordered listing.
// user_credentials: what users sign in with (secret at rest: password hash, TOTP secret). A
// user's row goes with the user only through the service (users are catalog resources, not a
// table). recent_failures: comma-separated Unix seconds.
// device_trust: one row per registered device once it joins, going with the device (ON DELETE
// CASCADE); trust_type is core::TrustType as an integer (as autopilot_devices stores its enums).
// admin_accounts: named admins who sign in to the console (secret at rest, as user_credentials).
// console_sessions: only the SHA-256 of a session's token; a session goes with its admin (ON
// DELETE CASCADE); the indexes serve ending an admin's sessions and the purge.
const std::string_view kSchemaIdentity = R"sql(
CREATE TABLE admin_credentials (
  id            TEXT COLLATE "C" PRIMARY KEY,
  name          TEXT COLLATE gc_nocase NOT NULL UNIQUE,
  role          TEXT COLLATE "C" NOT NULL CHECK (role IN ('admin', 'reader', 'technician')),
  token_sha256  TEXT COLLATE "C" NOT NULL UNIQUE,
  created_at    BIGINT NOT NULL,
  revoked_at    BIGINT
);
CREATE TABLE user_credentials (
  user_id          TEXT COLLATE "C" PRIMARY KEY,
  password_hash    TEXT COLLATE "C" NOT NULL DEFAULT '',
  totp_secret      BYTEA NOT NULL DEFAULT '\x'::bytea,
  totp_last_step   BIGINT NOT NULL DEFAULT -1,
  recent_failures  TEXT COLLATE "C" NOT NULL DEFAULT '',
  locked_until     BIGINT,
  updated_at       BIGINT NOT NULL,
  version          BIGINT NOT NULL
);
CREATE TABLE device_trust (
  device_id               TEXT COLLATE "C" PRIMARY KEY
                            REFERENCES autopilot_devices (id) ON DELETE CASCADE,
  directory_device_id     TEXT COLLATE "C" NOT NULL DEFAULT '',
  trust_type              BIGINT NOT NULL,
  display_name            TEXT COLLATE "C" NOT NULL DEFAULT '',
  joined_at               BIGINT,
  certificate_serial      TEXT COLLATE "C" NOT NULL DEFAULT '',
  certificate_expires_at  BIGINT,
  enrolled_at             BIGINT,
  resealed_at             BIGINT,
  primary_user_id         TEXT COLLATE "C" NOT NULL DEFAULT '',
  updated_at              BIGINT NOT NULL,
  version                 BIGINT NOT NULL
);
CREATE TABLE admin_accounts (
  name             TEXT COLLATE "C" PRIMARY KEY,
  role             TEXT COLLATE "C" NOT NULL CHECK (role IN ('admin', 'reader', 'technician')),
  password_hash    TEXT COLLATE "C" NOT NULL,
  totp_secret      BYTEA NOT NULL,
  totp_last_step   BIGINT NOT NULL DEFAULT -1,
  recent_failures  TEXT COLLATE "C" NOT NULL DEFAULT '',
  locked_until     BIGINT,
  created_at       BIGINT NOT NULL,
  last_sign_in_at  BIGINT,
  version          BIGINT NOT NULL
);
CREATE TABLE console_sessions (
  token_sha256     TEXT COLLATE "C" PRIMARY KEY,
  admin_name       TEXT COLLATE "C" NOT NULL REFERENCES admin_accounts (name) ON DELETE CASCADE,
  csrf_token       TEXT COLLATE "C" NOT NULL,
  created_at       BIGINT NOT NULL,
  idle_expires_at  BIGINT NOT NULL,
  expires_at       BIGINT NOT NULL
);
CREATE INDEX console_sessions_admin ON console_sessions (admin_name);
CREATE INDEX console_sessions_idle_expires ON console_sessions (idle_expires_at);
)sql";

}  // namespace groundcrew::store::postgres::internal
