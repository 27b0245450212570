#pragma once

#include "core/rules/parser.hpp"
#include "core/rules/subject.hpp"

// The plainest possible evaluation of a rule, straight over its syntax tree: lowercases copies
// with std::string, compiles regular expressions on every call. Slow on purpose; it exists so
// that property tests can check CompiledRule and RuleSet against it. Same semantics as
// CompiledRule::Matches (see rule.hpp).
namespace groundcrew::core::rules {

/// Whether `subject` satisfies `rule`; false when their object types differ.
/// REQUIRES: subject.values.size() == PropertyCount(subject.type).
bool ReferenceMatches(const ParsedRule& rule, const Subject& subject);

}  // namespace groundcrew::core::rules
