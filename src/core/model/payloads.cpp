#include "core/model/payloads.hpp"

namespace groundcrew::core {

std::vector<ReturnCode> DefaultReturnCodes() {
  return {{0, ReturnCodeType::kSuccess},
          {1707, ReturnCodeType::kSuccess},
          {3010, ReturnCodeType::kSoftReboot},
          {1641, ReturnCodeType::kHardReboot},
          {1618, ReturnCodeType::kRetry}};
}

ReturnCodeType ClassifyReturnCode(const std::vector<ReturnCode>& codes, int exit_code) {
  for (const ReturnCode& code : codes) {
    if (code.code == exit_code) return code.type;
  }
  return ReturnCodeType::kFailed;
}

}  // namespace groundcrew::core
