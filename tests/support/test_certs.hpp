#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "tests/support/files.hpp"

// Test-only certificates. Every key is a fresh ECDSA P-256 key; certificates are valid from an
// hour ago for a day and signed with SHA-256.
namespace groundcrew::test_support {

/// Who a server certificate is for: its subjectAltName entries.
struct ServerNames {
  std::vector<std::string> dns = {"localhost"};
  std::vector<std::string> ips = {"127.0.0.1", "::1"};
};

/// A certificate authority and one server certificate it issued, all PEM text.
struct TestPki {
  std::string ca_cert;               ///< self-signed CA certificate (basicConstraints CA:TRUE)
  std::string server_cert;           ///< server certificate (serverAuth, the SANs asked for)
  std::string server_key;            ///< the server certificate's private key (PKCS#8, unencrypted)
  std::string other_key;             ///< an unrelated private key: does not match server_cert
  std::string encrypted_server_key;  ///< server_key encrypted (AES-256) with "secret"
};

/// Generates a new CA and a server certificate for `names`. kInternal with OpenSSL's reason
/// when OpenSSL fails (it should not).
[[nodiscard]] Result<TestPki> MakeTestPki(const ServerNames& names = {});

}  // namespace groundcrew::test_support
