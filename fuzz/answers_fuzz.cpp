// libFuzzer target: any bytes as the agent's answers file (--answers) give Answers or an error
// that names the file; never a crash.
// Boost.JSON compiled into the target, so that its parser is instrumented too and the fuzzer
// finds its way through JSON (the Debian library is not instrumented).
#include <boost/json/src.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "device/agent/answers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto answers = groundcrew::agent::ParseAnswers(bytes, "answers.json");
  if (!answers && answers.error().message.find("answers.json") == std::string::npos) {
    __builtin_trap();
  }
  return 0;
}
