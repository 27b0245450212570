#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <string_view>

#include "common/result.hpp"

// The one set of limits every JSON the service and the CLI read goes through: request bodies,
// resources and event details read back from the store, files the CLI reads. One limit, so that
// what was accepted once is always read again (a stored resource that no longer parses would
// take its tenant down after a restart).
namespace groundcrew::wire {

/// How deeply a JSON document may nest objects and arrays ({} and [] are 1 level).
inline constexpr std::size_t kMaxJsonDepth = 64;

/// How deeply a policy's free-form "settings" may nest. Well under kMaxJsonDepth so that the
/// settings fit in every document that carries them (a request, the stored resource, an apply
/// document holding many resources).
inline constexpr std::size_t kMaxSettingsDepth = 32;

/// Parses exactly one JSON document (nothing but white space after it), at most kMaxJsonDepth
/// deep, whose strings are valid UTF-8. kInvalidArgument with `field` = `field` and a message
/// starting "<field>: " that says what is wrong and at which byte (0-based offset).
[[nodiscard]] Result<boost::json::value> ParseJson(std::string_view text, std::string_view field);

/// How deeply `value` nests: 0 for a scalar, 1 for {} or [] of scalars, and so on.
std::size_t JsonDepth(const boost::json::value& value);

}  // namespace groundcrew::wire
