#include "core/rules/rule.hpp"

#include <re2/re2.h>

#include <algorithm>

#include "common/text.hpp"
#include "core/rules/date.hpp"
#include "core/rules/folding.hpp"

namespace groundcrew::core::rules {
namespace {

// The value a test reads: a slot's value or the current element, with null made explicit.
struct Scalar {
  bool null = true;
  bool flag = false;
  std::string_view text;
  int64_t date = 0;
};

Scalar ReadSlot(const AttributeValue& value, ValueType type) {
  if (type == ValueType::kBool) {
    if (value.kind != AttributeValue::Kind::kBool) return {};
    return Scalar{false, value.flag, {}, 0};
  }
  if (value.kind != AttributeValue::Kind::kString || value.text.empty()) return {};
  if (type == ValueType::kDate) {
    const std::optional<int64_t> date = ParseRuleDate(value.text);
    if (!date) return {};
    return Scalar{false, false, value.text, *date};
  }
  return Scalar{false, false, value.text, 0};
}

// Whether `op` is the negation of a positive operator (-ne of -eq, -notIn of -in...).
bool IsNegated(Operator op) {
  return op == Operator::kNe || op == Operator::kNotStartsWith || op == Operator::kNotEndsWith ||
         op == Operator::kNotContains || op == Operator::kNotMatch || op == Operator::kNotIn;
}

}  // namespace

CompiledRule::CompiledRule(ParsedRule rule) : rule_(std::move(rule)) { Emit(rule_.root); }

void CompiledRule::Emit(const Expr& e) {
  const auto index = static_cast<uint32_t>(program_.size());
  program_.emplace_back();
  Instr instr;
  switch (e.kind) {
    case Expr::Kind::kNot:
      instr.kind = Instr::Kind::kNot;
      break;
    case Expr::Kind::kAnd:
      instr.kind = Instr::Kind::kAnd;
      break;
    case Expr::Kind::kOr:
      instr.kind = Instr::Kind::kOr;
      break;
    case Expr::Kind::kAny:
    case Expr::Kind::kAll:
      instr.kind = e.kind == Expr::Kind::kAny ? Instr::Kind::kAny : Instr::Kind::kAll;
      instr.slot = e.slot;
      referenced_slots_ |= SlotMask{1} << e.slot;
      break;
    case Expr::Kind::kCompare: {
      instr.kind = Instr::Kind::kTest;
      instr.element = e.on_element;
      instr.slot = e.slot;
      instr.type = e.on_element ? ValueType::kString : PropertiesOf(rule_.type)[e.slot].type;
      if (!e.on_element) referenced_slots_ |= SlotMask{1} << e.slot;
      auto add_string = [this](std::string_view s) {
        const auto offset = static_cast<uint32_t>(pool_.size());
        pool_ += text::ToLowerAscii(s);
        return std::pair<uint32_t, uint32_t>{offset, static_cast<uint32_t>(s.size())};
      };
      using T = Instr::Test;
      const Operator op = e.op;
      instr.negate = IsNegated(op);
      if (e.value.kind == Literal::Kind::kNull) {
        instr.test = T::kIsNull;
        break;
      }
      if (e.value.kind == Literal::Kind::kBool) {
        instr.test = T::kBoolIs;
        instr.arg0 = e.value.flag ? 1 : 0;
        break;
      }
      if (instr.type == ValueType::kDate) {
        instr.test = op == Operator::kLe   ? T::kDateLe
                     : op == Operator::kGe ? T::kDateGe
                                           : T::kDateEq;
        instr.arg0 = static_cast<uint32_t>(dates_.size());
        dates_.push_back(ParseRuleDate(e.value.text).value_or(0));  // validated by the parser
        break;
      }
      switch (op) {
        case Operator::kEq:
        case Operator::kNe:
          instr.test = T::kEquals;
          break;
        case Operator::kStartsWith:
        case Operator::kNotStartsWith:
          instr.test = T::kStartsWith;
          break;
        case Operator::kEndsWith:
        case Operator::kNotEndsWith:
          instr.test = T::kEndsWith;
          break;
        case Operator::kContains:
        case Operator::kNotContains:
          instr.test = T::kContains;
          break;
        case Operator::kMatch:
        case Operator::kNotMatch: {
          instr.test = T::kMatches;
          RE2::Options options;
          options.set_log_errors(false);
          options.set_case_sensitive(false);
          instr.arg0 = static_cast<uint32_t>(regexes_.size());
          regexes_.push_back(std::make_shared<const RE2>(e.value.text, options));
          break;
        }
        case Operator::kIn:
        case Operator::kNotIn: {
          instr.test = T::kIn;
          std::vector<std::string> folded;
          for (const std::string& item : e.value.items) folded.push_back(text::ToLowerAscii(item));
          std::sort(folded.begin(), folded.end());
          folded.erase(std::unique(folded.begin(), folded.end()), folded.end());
          instr.arg0 = static_cast<uint32_t>(items_.size());
          for (const std::string& item : folded) items_.push_back(add_string(item));
          instr.arg1 = static_cast<uint32_t>(items_.size());
          break;
        }
        case Operator::kLe:
        case Operator::kGe:
          break;  // dates only, handled above
      }
      if (instr.test != T::kMatches && instr.test != T::kIn) {
        std::tie(instr.arg0, instr.arg1) = add_string(e.value.text);
      }
      break;
    }
  }
  for (const Expr& child : e.children) Emit(child);
  instr.end = static_cast<uint32_t>(program_.size());
  program_[index] = instr;
}

bool CompiledRule::Matches(const Subject& subject) const {
  return subject.type == rule_.type && Eval(0, subject, {});
}

bool CompiledRule::Eval(uint32_t index, const Subject& subject, std::string_view element) const {
  const Instr& instr = program_[index];
  switch (instr.kind) {
    case Instr::Kind::kTest:
      return RunTest(instr, subject, element);
    case Instr::Kind::kNot:
      return !Eval(index + 1, subject, element);
    case Instr::Kind::kAnd:
      for (uint32_t child = index + 1; child < instr.end; child = program_[child].end) {
        if (!Eval(child, subject, element)) return false;
      }
      return true;
    case Instr::Kind::kOr:
      for (uint32_t child = index + 1; child < instr.end; child = program_[child].end) {
        if (Eval(child, subject, element)) return true;
      }
      return false;
    case Instr::Kind::kAny:
    case Instr::Kind::kAll: {
      const bool any = instr.kind == Instr::Kind::kAny;
      const AttributeValue& value = subject.values[instr.slot];
      if (value.kind != AttributeValue::Kind::kStringList) return !any;
      for (const std::string& item : value.items) {
        if (Eval(index + 1, subject, item) == any) return any;
      }
      return !any;
    }
  }
  return false;
}

bool CompiledRule::RunTest(const Instr& instr, const Subject& subject,
                           std::string_view element) const {
  const Scalar value = instr.element ? Scalar{element.empty(), false, element, 0}
                                     : ReadSlot(subject.values[instr.slot], instr.type);
  using T = Instr::Test;
  bool positive = false;
  if (instr.test == T::kIsNull) {
    positive = value.null;
  } else if (!value.null) {
    const auto constant = [&] { return Folded(instr.arg0, instr.arg1); };
    switch (instr.test) {
      case T::kIsNull:
        break;
      case T::kBoolIs:
        positive = value.flag == (instr.arg0 != 0);
        break;
      case T::kEquals:
        positive = folding::Equals(value.text, constant());
        break;
      case T::kStartsWith:
        positive = folding::StartsWith(value.text, constant());
        break;
      case T::kEndsWith:
        positive = folding::EndsWith(value.text, constant());
        break;
      case T::kContains:
        positive = folding::Contains(value.text, constant());
        break;
      case T::kMatches:
        positive = RE2::PartialMatch(value.text, *regexes_[instr.arg0]);
        break;
      case T::kIn: {
        const auto first = items_.begin() + instr.arg0;
        const auto last = items_.begin() + instr.arg1;
        const auto it =
            std::lower_bound(first, last, value.text, [this](const auto& item, std::string_view v) {
              return folding::Compare(v, Folded(item.first, item.second)) > 0;
            });
        positive = it != last && folding::Equals(value.text, Folded(it->first, it->second));
        break;
      }
      case T::kDateEq:
      case T::kDateLe:
      case T::kDateGe: {
        const int64_t constant_date = dates_[instr.arg0];
        positive = instr.test == T::kDateEq   ? value.date == constant_date
                   : instr.test == T::kDateLe ? value.date <= constant_date
                                              : value.date >= constant_date;
        break;
      }
    }
  }
  return instr.negate ? !positive : positive;
}

std::string CompiledRule::ToString() const { return rules::ToString(rule_); }

Result<CompiledRule> CompileRule(std::string_view text) {
  Result<ParsedRule> parsed = ParseRule(text);
  if (!parsed) return parsed.error();
  return CompiledRule(std::move(*parsed));
}

}  // namespace groundcrew::core::rules
