#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "core/model/ids.hpp"
#include "device/agent/service_client.hpp"

// Diagnostics for support ("Collect logs" / "Diagnostics" on an error screen): a redacted copy of
// the agent's journal and install logs as one tar.gz in STATE/diagnostics/, which the agent can
// send to the service (POST /v1/agent/devices/{id}/diagnostics, docs/device-api.md).
//
// The redaction rule (what never leaves the device in an archive):
//   - In the journal (JSON lines, journal.hpp), the value of every member whose name contains,
//     ASCII case-insensitively, one of kSecretNameParts (token, password, passphrase, secret,
//     seed, privateKey, key, psk, preSharedKey, credential, otpauth, authorization) becomes
//     "[redacted]", at any depth — unless the value is a boolean or null (a flag such as
//     passwordRequired or preSharedKeySet carries no secret). Two names are identifiers, not
//     secrets, and are kept: "key" in a report record ({"t": "report", "key": "<session>:<n>"},
//     the report's idempotency key) and "idempotencyKey". A name merely containing "key" is
//     redacted (extendedKeyUsages too): the rule fails closed.
//   - Any JSON string, under any name, that holds a PEM private key ("-----BEGIN ... PRIVATE
//     KEY-----"), an otpauth:// URI or a signed token (three base64url parts, the first starting
//     "eyJ") becomes "[redacted]"; a string that is itself a JSON document is redacted inside.
//   - A journal line that is not JSON (a torn last line) is redacted as a log line.
//   - In install logs (STATE/logs/*, regular files only), a line becomes "[redacted]" when it
//     assigns a secret-named value (a word containing one of kSecretNameParts followed, after
//     optional quotes and spaces, by ':' or '='), holds an otpauth:// URI, a signed token or
//     "Bearer ", and every line of a PEM private key block (BEGIN to END) does too. Other lines
//     are copied as they are; each log keeps its last kMaxLogBytes after redaction.
//   - Nothing else is archived: not the device key, certificates or their keys (*.key, *.pem,
//     *.crt, device.crt), network keyfiles, downloaded content or anything outside the journal
//     and STATE/logs/ (log files named like keys or certificates are skipped too).
namespace groundcrew::agent {

/// Name fragments that make a member's value secret (compared in lower case).
inline constexpr std::string_view kSecretNameParts[] = {
    "token", "password", "passphrase",   "secret",     "seed",    "privatekey",
    "key",   "psk",      "presharedkey", "credential", "otpauth", "authorization"};

/// What replaces a secret.
inline constexpr std::string_view kRedacted = "[redacted]";

/// The most of one install log an archive holds (its end, after redaction).
inline constexpr std::uint64_t kMaxLogBytes = 4u << 20;

/// The largest archive the service accepts (decoded), and so UploadDiagnostics sends.
inline constexpr std::uint64_t kMaxDiagnosticsBytes = 16u << 20;

/// One journal line (without its line end) redacted as the rule above says, as compact JSON
/// (or, when it is not a JSON object, as a log line). Pure.
std::string RedactJournalLine(std::string_view line);

/// A log's text redacted line by line as the rule above says (line ends kept). Pure.
std::string RedactLogText(std::string_view text);

/// Writes STATE/diagnostics/diagnostics-<unix seconds of now>.tar.gz, mode 0600 (the folder
/// 0700), holding a redacted copy of STATE/journal.jsonl (as journal.jsonl, empty when there
/// is none) and of the install logs STATE/logs/* (as logs/<name>), redacted as the rule above
/// says. The copies are made in a private staging folder (0700) under STATE/diagnostics/,
/// removed afterwards; the archive is made by /usr/bin/tar -czf with umask 077 under a
/// temporary name, its mode checked to be 0600, then renamed (an archive of the same second is
/// replaced; leftovers of an interrupted collection are removed). Returns the archive's path.
/// Errors: kUnavailable naming the path that cannot be read or written, or tar's complaint.
/// Forks (async-signal-safe calls only in the child). REQUIRES: no other collection runs on
/// the same `state` at the same time.
[[nodiscard]] Result<std::filesystem::path> CollectDiagnostics(const std::filesystem::path& state,
                                                               core::Timestamp now);

/// Sends the archive to the service with the device token: POST
/// /v1/agent/devices/{id}/diagnostics {"fileName": <the archive's file name>, "contentBase64"}.
/// Errors: kInvalidArgument ("archive") when its name is not [A-Za-z0-9._-]{1,128} or it is
/// larger than kMaxDiagnosticsBytes; kUnavailable when it cannot be read; the service's refusal
/// (ErrorOf) or the transport's error otherwise.
[[nodiscard]] Status UploadDiagnostics(ServiceClient& service,
                                       const std::filesystem::path& archive);

}  // namespace groundcrew::agent
