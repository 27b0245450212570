#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/rules/properties.hpp"

// Microsoft Entra dynamic membership rules: syntax tree, parser and canonical printer.
//
// Grammar (keywords and property names match in any ASCII letter case; every operator may be
// written with or without its leading hyphen, and an en dash is read as a hyphen):
//
//   rule       := or
//   or         := and ( -or and )*
//   and        := not ( -and not )*
//   not        := -not not | primary
//   primary    := "(" or ")" | comparison | collection
//   comparison := reference operator value
//   collection := object.property ( -any | -all ) body
//   body       := "(" or ")" | not           -- `_` (or group.objectId for memberOf) inside
//   reference  := object.property | _ | group.objectId
//   value      := string | true | false | null | date | "[" string ( "," string )* "]"
//
// which is Entra's precedence: comparisons, then -not, -and, -or, and -any/-all last (an
// unparenthesized -any body is a single, possibly negated, comparison; a body of several
// comparisons needs parentheses). Strings are "double" or 'single' quoted; inside them a
// backtick escapes ", ' or a backtick, and '' stands for one '. null (unquoted) compares with
// -eq/-ne only; -le/-ge apply only to dates (employeeHireDate), whose value may be unquoted.
// A rule names properties of one object type only, is at most kMaxRuleLength characters and
// nests at most kMaxRuleDepth levels.
namespace groundcrew::core::rules {

inline constexpr size_t kMaxRuleLength = 3072;  ///< characters (Unicode code points)
inline constexpr size_t kMaxRuleDepth = 64;     ///< nested parentheses and -not

enum class Operator : uint8_t {
  kEq,
  kNe,
  kStartsWith,
  kNotStartsWith,
  kEndsWith,
  kNotEndsWith,
  kContains,  ///< substring, not collection membership
  kNotContains,
  kMatch,  ///< regular expression found anywhere in the value (partial match)
  kNotMatch,
  kIn,
  kNotIn,
  kLe,  ///< dates only
  kGe,  ///< dates only
};

/// Canonical spelling: "-eq", "-startsWith", "-notIn"...
std::string_view ToString(Operator op);

/// A comparison's right-hand side, exactly as written (unescaped).
struct Literal {
  enum class Kind : uint8_t { kNull, kBool, kString, kList };
  Kind kind = Kind::kNull;
  bool flag = false;               ///< kBool
  std::string text;                ///< kString (a date is a kString)
  std::vector<std::string> items;  ///< kList, never empty

  friend bool operator==(const Literal&, const Literal&) = default;
};

/// A node of the syntax tree. -and/-or are n-ary and flattened: an kAnd never has a kAnd child
/// and an kOr never has a kOr child.
struct Expr {
  enum class Kind : uint8_t { kCompare, kNot, kAnd, kOr, kAny, kAll };
  Kind kind = Kind::kCompare;
  uint8_t slot = 0;         ///< kCompare on a property: its slot; kAny/kAll: the collection's slot
  bool on_element = false;  ///< kCompare: compares the current element of the enclosing -any/-all
  Operator op = Operator::kEq;  ///< kCompare
  Literal value;                ///< kCompare
  std::vector<Expr> children;   ///< kNot, kAny, kAll: exactly one; kAnd, kOr: two or more

  friend bool operator==(const Expr&, const Expr&) = default;
};

/// A rule that parsed: well-typed, every regular expression compiles, every date is valid.
struct ParsedRule {
  ObjectType type = ObjectType::kDevice;
  Expr root;

  friend bool operator==(const ParsedRule&, const ParsedRule&) = default;
};

/// Parses a rule. Never crashes, whatever the bytes. On failure the Error is kInvalidArgument,
/// its field is "position N" (N: 1-based character where the problem is; see ErrorPosition) and
/// its message says what was expected and what was found there, e.g.
/// `expected an operator such as -eq after device.deviceModel, found "equals"`.
Result<ParsedRule> ParseRule(std::string_view text);

/// The canonical text of `rule`: canonical property and operator spelling, double-quoted
/// strings; the operand of -not, every -any/-all body, and every operand of -and/-or other than
/// a comparison or a -not, in parentheses. ParseRule(ToString(r)) == r for every ParsedRule r.
std::string ToString(const ParsedRule& rule);

/// The 1-based character position a rule error points at (its field "position N"), for drawing
/// a caret; nullopt for any other error.
std::optional<size_t> ErrorPosition(const Error& error);

}  // namespace groundcrew::core::rules
