#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"
#include "core/rules/rule.hpp"
#include "core/rules/subject.hpp"

// Why a rule matches an object or not, clause by clause (the console's Validate rules, as
// Entra's): the rule's top-level clauses (the operands of its top-level -and or -or; the whole
// rule when it has neither), each with its own result and the values of the properties it read.
namespace groundcrew::core::rules {

/// One top-level clause, compiled on its own.
struct RuleClause {
  std::string expression;  ///< canonical text (ToString), e.g. `device.deviceModel -eq "X"`
  CompiledRule rule;
};

/// The top-level clauses of `rule`, in the order written. Never fails for a rule that compiled
/// (every clause is canonical text of a part of it); an error would be kInternal.
[[nodiscard]] Result<std::vector<RuleClause>> SplitClauses(const CompiledRule& rule);

struct ClauseOutcome {
  std::string expression;
  bool matches = false;
  /// The values of the properties the clause reads, as the object has them: a string, "true" or
  /// "false", each item of a collection; nothing for a null (missing or empty) value.
  std::vector<std::string> values;
};

struct RuleOutcome {
  bool matches = false;  ///< the whole rule's result
  std::vector<ClauseOutcome> clauses;
};

/// `rule` and each of `clauses` (SplitClauses(rule)) evaluated against `subject`.
/// REQUIRES: subject.values.size() == PropertyCount(subject.type).
RuleOutcome Explain(const CompiledRule& rule, const std::vector<RuleClause>& clauses,
                    const Subject& subject);

}  // namespace groundcrew::core::rules
