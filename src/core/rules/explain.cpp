#include "core/rules/explain.hpp"

#include <utility>

namespace groundcrew::core::rules {

Result<std::vector<RuleClause>> SplitClauses(const CompiledRule& rule) {
  const Expr& root = rule.parsed().root;
  std::vector<const Expr*> parts;
  if (root.kind == Expr::Kind::kAnd || root.kind == Expr::Kind::kOr) {
    for (const Expr& child : root.children) parts.push_back(&child);
  } else {
    parts.push_back(&root);
  }
  std::vector<RuleClause> clauses;
  clauses.reserve(parts.size());
  for (const Expr* part : parts) {
    std::string text = ToString(ParsedRule{rule.object_type(), *part});
    Result<CompiledRule> compiled = CompileRule(text);
    if (!compiled) {
      return MakeError(ErrorCode::kInternal,
                       "a clause of a valid rule did not compile: " + compiled.error().message);
    }
    clauses.push_back({std::move(text), std::move(*compiled)});
  }
  return clauses;
}

RuleOutcome Explain(const CompiledRule& rule, const std::vector<RuleClause>& clauses,
                    const Subject& subject) {
  RuleOutcome outcome;
  outcome.matches = rule.Matches(subject);
  for (const RuleClause& clause : clauses) {
    ClauseOutcome out;
    out.expression = clause.expression;
    out.matches = clause.rule.Matches(subject);
    const SlotMask read = clause.rule.referenced_slots();
    for (size_t slot = 0; slot < subject.values.size(); ++slot) {
      if ((read & (SlotMask{1} << slot)) == 0) continue;
      const AttributeValue& value = subject.values[slot];
      switch (value.kind) {
        case AttributeValue::Kind::kNull:
          break;
        case AttributeValue::Kind::kString:
          out.values.emplace_back(value.text);
          break;
        case AttributeValue::Kind::kBool:
          out.values.emplace_back(value.flag ? "true" : "false");
          break;
        case AttributeValue::Kind::kStringList:
          for (const std::string& item : value.items) {
            if (!item.empty()) out.values.push_back(item);
          }
          break;
      }
    }
    outcome.clauses.push_back(std::move(out));
  }
  return outcome;
}

}  // namespace groundcrew::core::rules
