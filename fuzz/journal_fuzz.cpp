// libFuzzer target: any bytes as the agent's checkpoint journal give its complete records or an
// error naming the line; the complete part never runs past the text, and the records written
// back read back as as many records, whole, when they read back at all. (Boost.JSON writes a
// number it parsed in a form it may parse differently, or not at all: an exponent past the
// double's range becomes infinity, written as 1e99999. The agent writes no such numbers.)
#include <boost/json/serialize.hpp>
// Boost.JSON compiled into the target, so that its parser is instrumented too and the fuzzer
// finds its way through JSON (the Debian library is not instrumented).
#include <boost/json/src.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "device/agent/journal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using groundcrew::agent::ParseJournal;
  static const groundcrew::identity::SealingKey kKey = {42};
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::size_t complete = 0;
  auto records = ParseJournal(bytes, kKey, "journal.jsonl", complete);
  if (!records) return 0;
  if (complete > bytes.size()) __builtin_trap();
  std::string again;
  for (const auto& record : *records) again += boost::json::serialize(record) + "\n";
  std::size_t again_complete = 0;
  auto reread = ParseJournal(again, kKey, "journal.jsonl", again_complete);
  if (reread && (reread->size() != records->size() || again_complete != again.size())) {
    __builtin_trap();
  }
  return 0;
}
