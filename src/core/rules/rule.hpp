#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "core/rules/parser.hpp"
#include "core/rules/properties.hpp"
#include "core/rules/subject.hpp"

namespace re2 {
class RE2;
}

// A dynamic membership rule compiled for evaluation.
//
// Semantics (the contract shared with ReferenceMatches):
// - String comparisons (-eq, -startsWith, -contains, -in, ...) fold ASCII letters only;
//   -match/-notMatch use RE2 without case sensitivity and are partial matches: the expression
//   may match anywhere in the value (Entra documents `user.city -match "ago"` as selecting
//   "Lagos"); anchor with ^ and $ for a whole-value match.
// - Null: an attribute that is missing or empty is null. `-eq null` is true and `-ne null` is
//   false for it; every other positive operator (-eq "x", -eq true, -startsWith, -contains,
//   -match, -in, -le, -ge...) is false against null and its negated twin (-ne, -notStartsWith,
//   -notContains, -notMatch, -notIn) is true. Entra documents null checks only through
//   -eq/-ne null; the rest follows "a negated operator is the negation of its positive".
//   Elements of a collection follow the same rule (an empty element is null).
// - -any is false and -all is true over an empty or missing collection (Entra's
//   `-all (... -eq null)` selects users with no assigned plans).
// - Dates (employeeHireDate) compare as instants (see ParseRuleDate); a value that is not a
//   date is null.
// - A value whose kind does not fit its property's type is null.
namespace groundcrew::core::rules {

class CompiledRule {
 public:
  /// Whether rules of this type select devices or users.
  ObjectType object_type() const { return rule_.type; }

  /// Whether `subject` satisfies the rule; false when subject.type != object_type().
  /// REQUIRES: subject.values.size() == PropertyCount(subject.type).
  /// Allocates nothing (beyond RE2's internal cache warming up); safe to call concurrently.
  bool Matches(const Subject& subject) const;

  /// The slots the rule reads: a change to any other attribute cannot change its outcome.
  SlotMask referenced_slots() const { return referenced_slots_; }

  /// The syntax tree the rule was compiled from.
  const ParsedRule& parsed() const { return rule_; }

  /// Canonical text (see ToString(const ParsedRule&)); compiles to an equivalent rule.
  std::string ToString() const;

 private:
  friend Result<CompiledRule> CompileRule(std::string_view text);

  // One node of the program, in pre-order: a node's subtree is [its index, end).
  struct Instr {
    enum class Kind : uint8_t { kAnd, kOr, kNot, kAny, kAll, kTest };
    enum class Test : uint8_t {
      kIsNull,
      kBoolIs,      // arg0: the boolean
      kEquals,      // arg0/arg1: offset/length of the folded constant in pool_
      kStartsWith,  // "
      kEndsWith,    // "
      kContains,    // "
      kMatches,     // arg0: index in regexes_
      kIn,          // arg0/arg1: range in items_
      kDateEq,      // arg0: index in dates_
      kDateLe,      // "
      kDateGe,      // "
    };
    Kind kind = Kind::kTest;
    Test test = Test::kIsNull;
    bool negate = false;                  // the operator is the negation of `test`
    bool element = false;                 // reads the current element instead of a slot
    uint8_t slot = 0;                     // kTest on a slot, kAny/kAll: the collection
    ValueType type = ValueType::kString;  // kTest on a slot: the property's type
    uint32_t end = 0;
    uint32_t arg0 = 0;
    uint32_t arg1 = 0;
  };

  explicit CompiledRule(ParsedRule rule);
  void Emit(const Expr& e);
  bool Eval(uint32_t index, const Subject& subject, std::string_view element) const;
  bool RunTest(const Instr& instr, const Subject& subject, std::string_view element) const;
  std::string_view Folded(uint32_t offset, uint32_t length) const {
    return std::string_view(pool_).substr(offset, length);
  }

  ParsedRule rule_;
  SlotMask referenced_slots_ = 0;
  std::vector<Instr> program_;
  std::string pool_;                                  // folded string constants
  std::vector<std::pair<uint32_t, uint32_t>> items_;  // -in lists: sorted, distinct, in pool_
  std::vector<int64_t> dates_;
  std::vector<std::shared_ptr<const re2::RE2>> regexes_;
};

/// Parses and compiles `text`; errors are ParseRule's (kInvalidArgument, field "position N").
Result<CompiledRule> CompileRule(std::string_view text);

}  // namespace groundcrew::core::rules
