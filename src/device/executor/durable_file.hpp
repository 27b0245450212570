#pragma once

#include <string_view>

#include "common/durable_file.hpp"

// The executors' file helpers: the shared durable writes (src/common/durable_file.hpp), and file
// names.
namespace groundcrew::executor {

using durable::ReadWholeFile;
using durable::RemoveFile;
using durable::SyncDirectory;
using durable::WriteFileAtomically;

/// True when `name` can be used as one file name as it is: 1 to 200 bytes of [A-Za-z0-9._-],
/// not starting with '.'. Payload ids (GUIDs) are; anything else is refused rather than mangled.
bool IsSafeFileName(std::string_view name);

}  // namespace groundcrew::executor
