// libFuzzer target: any bytes are a registration file with file- or row-level results; accepted
// rows write back to a file that reads back the same rows.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/registration/registration_csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace groundcrew::core;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const RegistrationFile file = ReadRegistrationCsv(bytes);
  std::vector<RegistrationRow> accepted;
  for (const auto& row : file.rows) {
    if (row.ok()) accepted.push_back(row.row);
  }
  if (!file.ok() || accepted.empty()) return 0;
  const RegistrationFile again = ReadRegistrationCsv(WriteRegistrationCsv(accepted));
  if (!again.ok() || again.rows.size() != accepted.size()) __builtin_trap();
  return 0;
}
