#pragma once

#include <string>
#include <vector>

#include "scenario_script.hpp"

// Runs a scenario: builds the tenant it describes, plays the deployment service and the device
// driver around the pure flows of core/flow, and checks its expectations. See README.md.
namespace groundcrew::core::scenarios {

struct Failure {
  int line = 0;
  std::string message;  ///< expected vs actual, with the most recent events
};

/// Every failed expectation of `script`, in order. An unexpected error (a command refused without
/// an `expect error` on the next line, or a malformed command) is reported too and ends the run.
std::vector<Failure> RunScenario(const Script& script);

}  // namespace groundcrew::core::scenarios
