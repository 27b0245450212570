#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "wire/model_json.hpp"

// Test helpers shared by the wire tests.
namespace groundcrew::wire::testing {

namespace json = boost::json;

/// Parses JSON text written in a test; fails the test on a syntax error.
inline json::value Json(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  EXPECT_FALSE(ec) << "bad test JSON: " << text;
  return value;
}

/// `object` without the server-owned properties Decode ignores.
inline json::object WithoutServerFields(json::object object) {
  for (std::string_view key : {"id", "createdDateTime", "lastModifiedDateTime", "version"}) {
    object.erase(key);
  }
  return object;
}

/// Encodes `original`, decodes that onto a default T and encodes again: apart from the
/// server-owned fields the two encodings must be equal. Returns the decoded value.
template <class T>
T ExpectRoundTrip(const T& original) {
  const json::object encoded = Encode(original);
  T decoded{};
  const Status status = Decode(json::value(encoded), decoded);
  EXPECT_TRUE(status.has_value()) << (status ? "" : status.error().message);
  EXPECT_EQ(WithoutServerFields(Encode(decoded)), WithoutServerFields(encoded))
      << "encoded:   " << json::serialize(encoded)
      << "\nre-encoded: " << json::serialize(Encode(decoded));
  return decoded;
}

/// Decodes `text` onto `out`, expecting kInvalidArgument at `field`; returns the message.
template <class T>
std::string ExpectDecodeError(std::string_view text, T& out, std::string_view field) {
  const Status status = Decode(Json(text), out);
  if (status.has_value()) {
    ADD_FAILURE() << "decoded without error: " << text;
    return "";
  }
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().field, field) << status.error().message;
  return status.error().message;
}

}  // namespace groundcrew::wire::testing
