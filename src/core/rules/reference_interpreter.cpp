#include "core/rules/reference_interpreter.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <optional>
#include <string>

#include "common/text.hpp"
#include "core/rules/date.hpp"

namespace groundcrew::core::rules {
namespace {

// A value as the operators see it: nullopt is null.
struct Value {
  std::optional<std::string> text;
  std::optional<bool> flag;
};

Value Read(const Expr& compare, ObjectType type, const Subject& subject,
           const std::string* element) {
  Value out;
  if (compare.on_element) {
    if (!element->empty()) out.text = *element;
    return out;
  }
  const AttributeValue& v = subject.values[compare.slot];
  const ValueType value_type = PropertiesOf(type)[compare.slot].type;
  if (value_type == ValueType::kBool) {
    if (v.kind == AttributeValue::Kind::kBool) out.flag = v.flag;
  } else if (v.kind == AttributeValue::Kind::kString && !v.text.empty()) {
    if (value_type != ValueType::kDate || ParseRuleDate(v.text)) out.text = std::string(v.text);
  }
  return out;
}

bool Compare(const Expr& e, ObjectType type, const Subject& subject, const std::string* element) {
  const Value value = Read(e, type, subject, element);
  const bool null = !value.text && !value.flag;
  const Operator op = e.op;
  if (e.value.kind == Literal::Kind::kNull) return op == Operator::kEq ? null : !null;

  bool negate = false;
  Operator positive = op;
  switch (op) {
    case Operator::kNe:
      negate = true;
      positive = Operator::kEq;
      break;
    case Operator::kNotStartsWith:
      negate = true;
      positive = Operator::kStartsWith;
      break;
    case Operator::kNotEndsWith:
      negate = true;
      positive = Operator::kEndsWith;
      break;
    case Operator::kNotContains:
      negate = true;
      positive = Operator::kContains;
      break;
    case Operator::kNotMatch:
      negate = true;
      positive = Operator::kMatch;
      break;
    case Operator::kNotIn:
      negate = true;
      positive = Operator::kIn;
      break;
    default:
      break;
  }
  bool result = false;
  if (!null) {
    if (e.value.kind == Literal::Kind::kBool) {
      result = *value.flag == e.value.flag;
    } else if (!e.on_element && PropertiesOf(type)[e.slot].type == ValueType::kDate) {
      const int64_t have = *ParseRuleDate(*value.text);
      const int64_t want = *ParseRuleDate(e.value.text);
      result = positive == Operator::kLe   ? have <= want
               : positive == Operator::kGe ? have >= want
                                           : have == want;
    } else {
      const std::string have = text::ToLowerAscii(*value.text);
      const std::string want = text::ToLowerAscii(e.value.text);
      switch (positive) {
        case Operator::kEq:
          result = have == want;
          break;
        case Operator::kStartsWith:
          result = have.starts_with(want);
          break;
        case Operator::kEndsWith:
          result = have.ends_with(want);
          break;
        case Operator::kContains:
          result = have.find(want) != std::string::npos;
          break;
        case Operator::kMatch: {
          RE2::Options options;
          options.set_log_errors(false);
          options.set_case_sensitive(false);
          const RE2 regex(e.value.text, options);
          result = RE2::PartialMatch(*value.text, regex);
          break;
        }
        case Operator::kIn:
          result = std::any_of(
              e.value.items.begin(), e.value.items.end(),
              [&](const std::string& item) { return text::ToLowerAscii(item) == have; });
          break;
        default:
          break;
      }
    }
  }
  return negate ? !result : result;
}

bool Eval(const Expr& e, ObjectType type, const Subject& subject, const std::string* element) {
  switch (e.kind) {
    case Expr::Kind::kCompare:
      return Compare(e, type, subject, element);
    case Expr::Kind::kNot:
      return !Eval(e.children[0], type, subject, element);
    case Expr::Kind::kAnd:
      for (const Expr& child : e.children) {
        if (!Eval(child, type, subject, element)) return false;
      }
      return true;
    case Expr::Kind::kOr:
      for (const Expr& child : e.children) {
        if (Eval(child, type, subject, element)) return true;
      }
      return false;
    case Expr::Kind::kAny:
    case Expr::Kind::kAll: {
      const AttributeValue& v = subject.values[e.slot];
      std::vector<std::string> items;
      if (v.kind == AttributeValue::Kind::kStringList) {
        items.assign(v.items.begin(), v.items.end());
      }
      size_t satisfied = 0;
      for (const std::string& item : items) {
        if (Eval(e.children[0], type, subject, &item)) ++satisfied;
      }
      return e.kind == Expr::Kind::kAny ? satisfied > 0 : satisfied == items.size();
    }
  }
  return false;
}

}  // namespace

bool ReferenceMatches(const ParsedRule& rule, const Subject& subject) {
  return rule.type == subject.type && Eval(rule.root, rule.type, subject, nullptr);
}

}  // namespace groundcrew::core::rules
