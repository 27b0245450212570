#include "server/store_postgres/internal/ports.hpp"

namespace groundcrew::store::postgres::internal {

// 3: what devices do and what the service handed them. The final shape of the SQLite schema's
// tables of the same names (store_sqlite/migrations.cpp, migrations 5, 7, 8 and 11).
//
// deployment_sessions: a session belongs to a registered device and goes with it (ON DELETE
// CASCADE), its events with it. creation_order numbers the sessions in the order they were
// created (SQLite's rowid): of a device's sessions started in the same second, the latest is
// the one created last. The indexes serve a device's sessions in id order, a device's latest
// session (LatestSessions, and the summary the session port keeps in autopilot_devices'
// latest_* columns, migration 2), and the dashboard: the sessions in progress, newest first,
// and those that finished since the window's start, without reading older ones.
//
// session_events: sequence is an identity, never reused even after the newest events were
// deleted (SQLite's AUTOINCREMENT), and, as writes are serialized by the write lock, committed
// in increasing order: a stream that reads on from the last sequence it saw misses none.
//
// challenges: single-use and short-lived; data may hold raw bytes (and secrets); the expiry
// index serves the purge. issued_tokens: only the id (jti) and what a token was for, never its
// text; revoked_at NULL = not revoked. No foreign key to autopilot_devices: device_id may be ""
// (none), and a token's row stays until it expired (the purge), whatever becomes of its device.
// The indexes serve revoking by device and by subject, and the purge.
//
// idempotent_responses: the first answers to requests sent with an Idempotency-Key, one per
// (credential, key), kept 24 hours (the expiry index serves the sweep). The body never holds a
// secret.
const std::string_view kSchemaSessions = R"sql(
CREATE TABLE deployment_sessions (
  id                   TEXT COLLATE "C" PRIMARY KEY,
  device_id            TEXT COLLATE "C" NOT NULL
                         REFERENCES autopilot_devices (id) ON DELETE CASCADE,
  flow                 TEXT COLLATE "C" NOT NULL,
  user_principal_name  TEXT COLLATE "C" NOT NULL DEFAULT '',
  deployment_state     TEXT COLLATE "C" NOT NULL,
  started_at           BIGINT NOT NULL,
  finished_at          BIGINT,
  creation_order       BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
);
CREATE INDEX deployment_sessions_device ON deployment_sessions (device_id, id);
CREATE INDEX deployment_sessions_device_latest
  ON deployment_sessions (device_id, started_at, creation_order);
CREATE INDEX deployment_sessions_state
  ON deployment_sessions (deployment_state, started_at, creation_order);
CREATE INDEX deployment_sessions_finished ON deployment_sessions (finished_at);

CREATE TABLE session_events (
  sequence         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session_id       TEXT COLLATE "C" NOT NULL
                     REFERENCES deployment_sessions (id) ON DELETE CASCADE,
  idempotency_key  TEXT COLLATE "C" NOT NULL,
  at               BIGINT NOT NULL,
  kind             TEXT COLLATE "C" NOT NULL,
  detail           TEXT COLLATE "C" NOT NULL,
  UNIQUE (session_id, idempotency_key)
);
CREATE INDEX session_events_session ON session_events (session_id, sequence);

CREATE TABLE challenges (
  id          TEXT COLLATE "C" PRIMARY KEY,
  purpose     TEXT COLLATE "C" NOT NULL,
  subject     TEXT COLLATE "C" NOT NULL DEFAULT '',
  device_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
  data        BYTEA NOT NULL DEFAULT '\x'::bytea,
  attempts    BIGINT NOT NULL DEFAULT 0,
  expires_at  BIGINT NOT NULL
);
CREATE INDEX challenges_expires ON challenges (expires_at);

CREATE TABLE issued_tokens (
  id          TEXT COLLATE "C" PRIMARY KEY,
  audience    TEXT COLLATE "C" NOT NULL,
  subject     TEXT COLLATE "C" NOT NULL,
  device_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
  issued_at   BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL,
  revoked_at  BIGINT
);
CREATE INDEX issued_tokens_device ON issued_tokens (device_id);
CREATE INDEX issued_tokens_subject ON issued_tokens (subject);
CREATE INDEX issued_tokens_expires ON issued_tokens (expires_at);

CREATE TABLE idempotent_responses (
  credential_id  TEXT COLLATE "C" NOT NULL,
  key            TEXT COLLATE "C" NOT NULL,
  fingerprint    TEXT COLLATE "C" NOT NULL,
  status         BIGINT NOT NULL,
  content_type   TEXT COLLATE "C" NOT NULL DEFAULT '',
  body           BYTEA NOT NULL DEFAULT '\x'::bytea,
  created_at     BIGINT NOT NULL,
  expires_at     BIGINT NOT NULL,
  PRIMARY KEY (credential_id, key)
);
CREATE INDEX idempotent_responses_expires ON idempotent_responses (expires_at);
)sql";

}  // namespace groundcrew::store::postgres::internal
