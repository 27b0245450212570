#include "core/rules/parser.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "common/text.hpp"
#include "core/rules/date.hpp"

namespace groundcrew::core::rules {
namespace {

// ---------------------------------------------------------------------------------------------
// Lexer

struct Token {
  enum class Kind : uint8_t {
    kEnd,
    kLParen,
    kRParen,
    kLBracket,
    kRBracket,
    kComma,
    kString,    // text: the unescaped contents
    kWord,      // text: the word (property reference, keyword, true/false/null, bare date)
    kDashWord,  // text: the name after the hyphen
    kBad,       // text: what is wrong
  };
  Kind kind = Kind::kEnd;
  size_t offset = 0;     // byte offset of the first character
  std::string_view raw;  // source slice
  std::string text;
};

constexpr bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }
constexpr bool IsWordStart(char c) { return IsLetter(c) || IsDigit(c) || c == '_'; }
// Words that start with a digit (unquoted dates) may also hold - : + (2020-06-10T18:13:20Z);
// others end there, so `device.deviceModel-eq` is a property and an operator.
constexpr bool IsWordChar(char c, bool date_like) {
  return IsWordStart(c) || c == '.' || (date_like && (c == ':' || c == '+' || c == '-'));
}
constexpr bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

constexpr std::string_view kEnDash = "\xE2\x80\x93";

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  std::vector<Token> Run() {
    std::vector<Token> tokens;
    for (;;) {
      while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
      tokens.push_back(Next());
      const Token::Kind kind = tokens.back().kind;
      if (kind == Token::Kind::kEnd || kind == Token::Kind::kBad) return tokens;
    }
  }

 private:
  Token Make(Token::Kind kind, size_t start, std::string text = {}) {
    return Token{kind, start, text_.substr(start, pos_ - start), std::move(text)};
  }

  Token Next() {
    const size_t start = pos_;
    if (pos_ == text_.size()) return Make(Token::Kind::kEnd, start);
    const char c = text_[pos_];
    switch (c) {
      case '(':
        ++pos_;
        return Make(Token::Kind::kLParen, start);
      case ')':
        ++pos_;
        return Make(Token::Kind::kRParen, start);
      case '[':
        ++pos_;
        return Make(Token::Kind::kLBracket, start);
      case ']':
        ++pos_;
        return Make(Token::Kind::kRBracket, start);
      case ',':
        ++pos_;
        return Make(Token::Kind::kComma, start);
      case '"':
      case '\'':
        return String(c);
      default:
        break;
    }
    const size_t dash = c == '-' ? 1 : (text_.substr(pos_).starts_with(kEnDash) ? 3 : 0);
    if (dash > 0) {
      pos_ += dash;
      const size_t name = pos_;
      while (pos_ < text_.size() && IsLetter(text_[pos_])) ++pos_;
      if (pos_ == name) {
        return Make(Token::Kind::kBad, start, "expected an operator name after the hyphen");
      }
      return Make(Token::Kind::kDashWord, start, std::string(text_.substr(name, pos_ - name)));
    }
    if (IsWordStart(c)) {
      while (pos_ < text_.size() && IsWordChar(text_[pos_], IsDigit(c))) ++pos_;
      return Make(Token::Kind::kWord, start, std::string(text_.substr(start, pos_ - start)));
    }
    // Report the whole (possibly multi-byte) character.
    ++pos_;
    while (pos_ < text_.size() && (static_cast<unsigned char>(text_[pos_]) & 0xC0) == 0x80) {
      ++pos_;
    }
    return Make(Token::Kind::kBad, start,
                fmt::format("unexpected character \"{}\"", text_.substr(start, pos_ - start)));
  }

  // A string quoted with `quote`: a backtick escapes ", ' or a backtick (before anything else
  // it is itself), '' is one ', and the other quote character is ordinary.
  Token String(char quote) {
    const size_t start = pos_++;
    std::string value;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '`' && pos_ + 1 < text_.size() &&
          (text_[pos_ + 1] == '"' || text_[pos_ + 1] == '\'' || text_[pos_ + 1] == '`')) {
        value += text_[pos_ + 1];
        pos_ += 2;
      } else if (c == '\'' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\'') {
        value += '\'';
        pos_ += 2;
      } else if (c == quote) {
        ++pos_;
        return Make(Token::Kind::kString, start, std::move(value));
      } else {
        value += c;
        ++pos_;
      }
    }
    return Make(Token::Kind::kBad, start,
                fmt::format("the string that starts here has no closing {}", quote));
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Keywords

enum class Word : uint8_t { kNone, kCompare, kAnd, kOr, kNot, kAny, kAll };

struct Keyword {
  std::string_view name;
  Word word;
  Operator op;
};

constexpr std::array<Keyword, 19> kKeywords = {{
    {"eq", Word::kCompare, Operator::kEq},
    {"ne", Word::kCompare, Operator::kNe},
    {"startsWith", Word::kCompare, Operator::kStartsWith},
    {"notStartsWith", Word::kCompare, Operator::kNotStartsWith},
    {"endsWith", Word::kCompare, Operator::kEndsWith},
    {"notEndsWith", Word::kCompare, Operator::kNotEndsWith},
    {"contains", Word::kCompare, Operator::kContains},
    {"notContains", Word::kCompare, Operator::kNotContains},
    {"match", Word::kCompare, Operator::kMatch},
    {"notMatch", Word::kCompare, Operator::kNotMatch},
    {"in", Word::kCompare, Operator::kIn},
    {"notIn", Word::kCompare, Operator::kNotIn},
    {"le", Word::kCompare, Operator::kLe},
    {"ge", Word::kCompare, Operator::kGe},
    {"and", Word::kAnd, Operator::kEq},
    {"or", Word::kOr, Operator::kEq},
    {"not", Word::kNot, Operator::kEq},
    {"any", Word::kAny, Operator::kEq},
    {"all", Word::kAll, Operator::kEq},
}};

// The keyword a token spells (with or without its hyphen), or kNone.
Keyword Classify(const Token& token) {
  if (token.kind == Token::Kind::kDashWord || token.kind == Token::Kind::kWord) {
    for (const Keyword& k : kKeywords) {
      if (text::EqualsIgnoreCase(k.name, token.text)) return k;
    }
  }
  return Keyword{{}, Word::kNone, Operator::kEq};
}

bool IsWord(const Token& token, std::string_view word) {
  return token.kind == Token::Kind::kWord && text::EqualsIgnoreCase(token.text, word);
}

size_t CharacterCount(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// How a token reads in an error message.
std::string Describe(const Token& token) {
  if (token.kind == Token::Kind::kEnd) return "the end of the rule";
  constexpr size_t kMax = 40;
  std::string_view raw = token.raw;
  std::string suffix;
  if (CharacterCount(raw) > kMax) {
    size_t cut = 0;
    for (size_t chars = 0; cut < raw.size(); ++cut) {
      if ((static_cast<unsigned char>(raw[cut]) & 0xC0) != 0x80 && chars++ == kMax) break;
    }
    raw = raw.substr(0, cut);
    suffix = "...";
  }
  if (token.kind == Token::Kind::kString) return fmt::format("{}{}", raw, suffix);
  return fmt::format("\"{}{}\"", raw, suffix);
}

// ---------------------------------------------------------------------------------------------
// Parser

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens)
      : text_(text), tokens_(std::move(tokens)) {}

  Result<ParsedRule> Run() {
    if (Peek().kind == Token::Kind::kEnd) {
      Fail(Peek(), "the rule is empty; expected a rule such as device.deviceModel -eq \"value\"");
      return std::move(*error_);
    }
    std::optional<Expr> root = ParseOr(Scope{}, 0);
    if (root && Peek().kind != Token::Kind::kEnd) {
      root.reset();
      Expected("-and, -or or the end of the rule");
    }
    if (!root) return std::move(*error_);
    return ParsedRule{type_.value_or(ObjectType::kDevice), std::move(*root)};
  }

 private:
  // Where a reference is being read: at the top level, or inside the body of -any/-all over
  // the collection `collection`.
  struct Scope {
    bool in_body = false;
    uint8_t collection = 0;
  };

  // What a reference names.
  struct Reference {
    bool element = false;
    uint8_t slot = 0;
    ValueType type = ValueType::kString;
    std::string spelling;  // canonical, for messages
  };

  const Token& Peek() const { return tokens_[next_]; }
  const Token& Take() {
    const Token& token = tokens_[next_];
    if (next_ + 1 < tokens_.size()) ++next_;
    return token;
  }

  // Records the first error (later ones are consequences) and yields nothing.
  std::nullopt_t Fail(const Token& at, std::string message) {
    if (!error_) {
      const size_t position = 1 + CharacterCount(text_.substr(0, at.offset));
      error_ = MakeError(ErrorCode::kInvalidArgument, std::move(message),
                         fmt::format("position {}", position));
    }
    return std::nullopt;
  }

  std::nullopt_t Expected(std::string_view what) {
    const Token& at = Peek();
    if (at.kind == Token::Kind::kBad) return Fail(at, at.text);
    return Fail(at, fmt::format("expected {}, found {}", what, Describe(at)));
  }

  std::string PropertySpelling(uint8_t slot) const {
    const ObjectType type = type_.value_or(ObjectType::kDevice);
    return fmt::format("{}.{}", ToString(type), PropertiesOf(type)[slot].name);
  }

  std::string ElementSpelling(uint8_t collection) const {
    const ObjectType type = type_.value_or(ObjectType::kDevice);
    return PropertiesOf(type)[collection].name == "memberOf" ? "group.objectId" : "_";
  }

  // `left kind right`, flattened: operands that are themselves `kind` give up their children.
  static Expr Combine(Expr::Kind kind, Expr left, Expr right) {
    if (left.kind != kind) {
      Expr node;
      node.kind = kind;
      node.children.push_back(std::move(left));
      left = std::move(node);
    }
    if (right.kind == kind) {
      for (Expr& child : right.children) left.children.push_back(std::move(child));
    } else {
      left.children.push_back(std::move(right));
    }
    return left;
  }

  std::optional<Expr> ParseOr(const Scope& scope, size_t depth) {
    std::optional<Expr> left = ParseAnd(scope, depth);
    while (left && Classify(Peek()).word == Word::kOr) {
      Take();
      std::optional<Expr> right = ParseAnd(scope, depth);
      if (!right) return std::nullopt;
      left = Combine(Expr::Kind::kOr, std::move(*left), std::move(*right));
    }
    return left;
  }

  std::optional<Expr> ParseAnd(const Scope& scope, size_t depth) {
    std::optional<Expr> left = ParseNot(scope, depth);
    while (left && Classify(Peek()).word == Word::kAnd) {
      Take();
      std::optional<Expr> right = ParseNot(scope, depth);
      if (!right) return std::nullopt;
      left = Combine(Expr::Kind::kAnd, std::move(*left), std::move(*right));
    }
    return left;
  }

  std::optional<Expr> ParseNot(const Scope& scope, size_t depth) {
    if (Classify(Peek()).word != Word::kNot) return ParsePrimary(scope, depth);
    if (depth >= kMaxRuleDepth) {
      return Fail(Peek(), fmt::format("the rule nests deeper than {} levels", kMaxRuleDepth));
    }
    Take();
    std::optional<Expr> operand = ParseNot(scope, depth + 1);
    if (!operand) return std::nullopt;
    Expr out;
    out.kind = Expr::Kind::kNot;
    out.children.push_back(std::move(*operand));
    return out;
  }

  std::optional<Expr> ParseParenthesized(const Scope& scope, size_t depth) {
    if (depth >= kMaxRuleDepth) {
      return Fail(Peek(), fmt::format("the rule nests deeper than {} levels", kMaxRuleDepth));
    }
    Take();  // (
    std::optional<Expr> inner = ParseOr(scope, depth + 1);
    if (!inner) return std::nullopt;
    if (Peek().kind != Token::Kind::kRParen) return Expected("-and, -or or \")\"");
    Take();
    return inner;
  }

  std::optional<Expr> ParsePrimary(const Scope& scope, size_t depth) {
    if (Peek().kind == Token::Kind::kLParen) return ParseParenthesized(scope, depth);
    const Token& at = Peek();
    const bool looks_like_reference = at.kind == Token::Kind::kWord &&
                                      Classify(at).word == Word::kNone &&
                                      (at.text == "_" || at.text.find('.') != std::string::npos);
    if (!looks_like_reference) {
      if (scope.in_body) {
        return Expected(fmt::format("{} (an element of {}), \"(\" or -not",
                                    ElementSpelling(scope.collection),
                                    PropertySpelling(scope.collection)));
      }
      return Expected("a property such as device.deviceModel, \"(\" or -not");
    }
    std::optional<Reference> ref = ResolveReference(Take(), scope);
    if (!ref) return std::nullopt;

    const Token& op_token = Peek();
    const Keyword keyword = Classify(op_token);
    if (keyword.word == Word::kAny || keyword.word == Word::kAll) {
      return ParseCollection(*ref, keyword.word, depth);
    }
    if (keyword.word == Word::kNot) {
      return Fail(op_token, fmt::format("-not cannot compare a property with a value; write "
                                        "{0} -ne null or -not ({0} -eq \"value\")",
                                        ref->spelling));
    }
    if (keyword.word != Word::kCompare) {
      if (ref->type == ValueType::kStringList) {
        return Expected(fmt::format("-any or -all after {}", ref->spelling));
      }
      return Expected(fmt::format("an operator such as -eq after {}", ref->spelling));
    }
    if (ref->type == ValueType::kStringList && !ref->element) {
      return ParseCollectionShorthand(*ref, keyword.op, op_token);
    }
    if (!CheckOperator(*ref, keyword.op, op_token)) return std::nullopt;
    Take();
    std::optional<Literal> value = ParseValue(*ref, keyword.op);
    if (!value) return std::nullopt;
    Expr out;
    out.kind = Expr::Kind::kCompare;
    out.slot = ref->slot;
    out.on_element = ref->element;
    out.op = keyword.op;
    out.value = std::move(*value);
    return out;
  }

  // Entra's documentation compares collections directly (`device.systemLabels -startsWith
  // "M365Managed"`, `user.otherMails -contains "x"`), so admins paste such rules. They mean:
  // a positive operator holds for some element, a negated one for every element (no element has
  // the property); `-eq null` holds when no element is set, `-ne null` when one is. The tree is
  // the explicit -any/-all form, which is also how the rule prints.
  std::optional<Expr> ParseCollectionShorthand(const Reference& collection, Operator op,
                                               const Token& op_token) {
    const Reference element{true, 0, ValueType::kString, ElementSpelling(collection.slot)};
    if (!CheckOperator(element, op, op_token)) return std::nullopt;
    Take();
    std::optional<Literal> value = ParseValue(element, op);
    if (!value) return std::nullopt;
    const bool is_null = value->kind == Literal::Kind::kNull;
    const bool every = is_null ? op == Operator::kEq : IsNegated(op);
    Expr compare;
    compare.kind = Expr::Kind::kCompare;
    compare.on_element = true;
    compare.op = op;
    compare.value = std::move(*value);
    Expr out;
    out.kind = every ? Expr::Kind::kAll : Expr::Kind::kAny;
    out.slot = collection.slot;
    out.children.push_back(std::move(compare));
    return out;
  }

  static bool IsNegated(Operator op) {
    switch (op) {
      case Operator::kNe:
      case Operator::kNotStartsWith:
      case Operator::kNotEndsWith:
      case Operator::kNotContains:
      case Operator::kNotMatch:
      case Operator::kNotIn:
        return true;
      case Operator::kEq:
      case Operator::kStartsWith:
      case Operator::kEndsWith:
      case Operator::kContains:
      case Operator::kMatch:
      case Operator::kIn:
      case Operator::kLe:
      case Operator::kGe:
        return false;
    }
    return false;
  }

  std::optional<Reference> ResolveReference(const Token& token, const Scope& scope) {
    const std::string_view word = token.text;
    const size_t dot = word.find('.');
    const std::string_view object = dot == std::string_view::npos ? word : word.substr(0, dot);
    const std::string_view name =
        dot == std::string_view::npos ? std::string_view{} : word.substr(dot + 1);

    const bool underscore = word == "_";
    const bool group_id =
        text::EqualsIgnoreCase(object, "group") && text::EqualsIgnoreCase(name, "objectId");
    if (underscore || group_id) {
      if (!scope.in_body) {
        return Fail(token, fmt::format("{} stands for the current element and is valid only "
                                       "inside -any or -all",
                                       underscore ? "_" : "group.objectId"));
      }
      const std::string element = ElementSpelling(scope.collection);
      if (group_id && element != "group.objectId") {
        return Fail(token, fmt::format("group.objectId is valid only inside memberOf -any; "
                                       "use _ for the elements of {}",
                                       PropertySpelling(scope.collection)));
      }
      return Reference{true, 0, ValueType::kString, underscore ? "_" : element};
    }

    std::optional<ObjectType> type;
    if (text::EqualsIgnoreCase(object, "device")) type = ObjectType::kDevice;
    if (text::EqualsIgnoreCase(object, "user")) type = ObjectType::kUser;
    if (!type || name.empty()) {
      return Fail(token, fmt::format("expected a property such as device.deviceModel or "
                                     "user.department, found {}",
                                     Describe(token)));
    }
    if (type_ && *type_ != *type) {
      return Fail(token, fmt::format("a rule cannot mix device and user properties; this rule "
                                     "is about {}s, found {}",
                                     ToString(*type_), Describe(token)));
    }
    const PropertyInfo* info = FindProperty(*type, name);
    if (!info) {
      return Fail(token, fmt::format("unknown {} property \"{}\"", ToString(*type), name));
    }
    type_ = *type;
    if (scope.in_body) {
      return Fail(token, fmt::format("expected {} (an element of {}), found {}; close the body "
                                     "of -any/-all with \")\" first",
                                     ElementSpelling(scope.collection),
                                     PropertySpelling(scope.collection), Describe(token)));
    }
    return Reference{false, info->slot, info->type, PropertySpelling(info->slot)};
  }

  // Whether `op` may compare `ref`; fails with the reason when not.
  bool CheckOperator(const Reference& ref, Operator op, const Token& at) {
    const std::string op_name(ToString(op));
    switch (ref.type) {
      case ValueType::kStringList:
        Fail(at, fmt::format("{0} is a collection: compare its elements with -any or -all, "
                             "e.g. {0} -any (_ {1} \"value\")",
                             ref.spelling, op_name));
        return false;
      case ValueType::kBool:
        if (op == Operator::kEq || op == Operator::kNe) return true;
        Fail(at, fmt::format("{} does not apply to {}, a boolean; use -eq or -ne", op_name,
                             ref.spelling));
        return false;
      case ValueType::kDate:
        if (op == Operator::kEq || op == Operator::kNe || op == Operator::kLe ||
            op == Operator::kGe) {
          return true;
        }
        Fail(at, fmt::format("{} does not apply to {}, a date; use -eq, -ne, -le or -ge", op_name,
                             ref.spelling));
        return false;
      case ValueType::kString:
        if (op != Operator::kLe && op != Operator::kGe) return true;
        Fail(at, fmt::format("{} applies only to dates (user.employeeHireDate), not to {}", op_name,
                             ref.spelling));
        return false;
    }
    return false;
  }

  std::optional<Literal> ParseValue(const Reference& ref, Operator op) {
    const std::string op_name(ToString(op));
    const bool null_allowed = op == Operator::kEq || op == Operator::kNe;
    const Token& at = Peek();
    if (IsWord(at, "null")) {
      if (!null_allowed) {
        return Fail(at, fmt::format("null compares only with -eq or -ne, not with {}", op_name));
      }
      Take();
      return Literal{};
    }
    switch (ref.type) {
      case ValueType::kBool:
        if (IsWord(at, "true") || IsWord(at, "false")) {
          Take();
          return Literal{Literal::Kind::kBool, IsWord(at, "true"), {}, {}};
        }
        return Expected(fmt::format("true, false or null after {}", op_name));
      case ValueType::kDate: {
        if (at.kind != Token::Kind::kString && at.kind != Token::Kind::kWord) {
          return Expected(fmt::format("a date such as \"2024-01-31T09:00:00Z\" after {}", op_name));
        }
        if (!ParseRuleDate(at.text)) {
          return Fail(at, fmt::format("expected a date such as \"2024-01-31T09:00:00Z\" after "
                                      "{}, found {}",
                                      op_name, Describe(at)));
        }
        Take();
        return Literal{Literal::Kind::kString, false, at.text, {}};
      }
      case ValueType::kString:
      case ValueType::kStringList:
        break;
    }
    if (op == Operator::kIn || op == Operator::kNotIn) return ParseList(op_name);
    if (at.kind != Token::Kind::kString) {
      return Expected(
          fmt::format("a quoted string{} after {}", null_allowed ? " or null" : "", op_name));
    }
    if (op == Operator::kMatch || op == Operator::kNotMatch) {
      RE2::Options options;
      options.set_log_errors(false);
      options.set_case_sensitive(false);
      const RE2 regex(at.text, options);
      if (!regex.ok()) {
        return Fail(at, fmt::format("expected a regular expression after {}, found {} ({})",
                                    op_name, Describe(at), regex.error()));
      }
    }
    Take();
    return Literal{Literal::Kind::kString, false, at.text, {}};
  }

  std::optional<Literal> ParseList(const std::string& op_name) {
    if (Peek().kind != Token::Kind::kLBracket) {
      return Expected(fmt::format("a list such as [\"a\", \"b\"] after {}", op_name));
    }
    Take();
    Literal list{Literal::Kind::kList, false, {}, {}};
    for (;;) {
      if (Peek().kind != Token::Kind::kString) return Expected("a quoted string in the list");
      list.items.push_back(Take().text);
      if (Peek().kind == Token::Kind::kRBracket) break;
      if (Peek().kind != Token::Kind::kComma) return Expected("\",\" or \"]\" in the list");
      Take();
    }
    Take();  // ]
    return list;
  }

  std::optional<Expr> ParseCollection(const Reference& ref, Word word, size_t depth) {
    const Token& at = Peek();
    const std::string_view op_name = word == Word::kAny ? "-any" : "-all";
    if (ref.type != ValueType::kStringList) {
      return Fail(at, fmt::format("{} applies only to collections such as "
                                  "device.devicePhysicalIds; {} is a single value",
                                  op_name, ref.spelling));
    }
    Take();
    const Scope body_scope{true, ref.slot};
    std::optional<Expr> body = Peek().kind == Token::Kind::kLParen
                                   ? ParseParenthesized(body_scope, depth)
                                   : ParseNot(body_scope, depth);
    if (!body) return std::nullopt;
    Expr out;
    out.kind = word == Word::kAny ? Expr::Kind::kAny : Expr::Kind::kAll;
    out.slot = ref.slot;
    out.children.push_back(std::move(*body));
    return out;
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t next_ = 0;
  std::optional<ObjectType> type_;
  std::optional<Error> error_;
};

// ---------------------------------------------------------------------------------------------
// Printer

void PrintString(std::string_view value, std::string& out) {
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '`') {
      out += '`';
      out += c;
    } else if (c == '\'') {
      out += "''";
    } else {
      out += c;
    }
  }
  out += '"';
}

class Printer {
 public:
  explicit Printer(ObjectType type) : type_(type) {}

  void Print(const Expr& e, uint8_t collection, std::string& out) const {
    switch (e.kind) {
      case Expr::Kind::kCompare:
        PrintCompare(e, collection, out);
        return;
      case Expr::Kind::kNot:
        out += "-not (";
        Print(e.children[0], collection, out);
        out += ')';
        return;
      case Expr::Kind::kAnd:
      case Expr::Kind::kOr:
        for (size_t i = 0; i < e.children.size(); ++i) {
          if (i > 0) out += e.kind == Expr::Kind::kAnd ? " -and " : " -or ";
          PrintOperand(e.children[i], collection, out);
        }
        return;
      case Expr::Kind::kAny:
      case Expr::Kind::kAll:
        out += Property(e.slot);
        out += e.kind == Expr::Kind::kAny ? " -any (" : " -all (";
        Print(e.children[0], e.slot, out);
        out += ')';
        return;
    }
  }

 private:
  std::string Property(uint8_t slot) const {
    return fmt::format("{}.{}", ToString(type_), PropertiesOf(type_)[slot].name);
  }

  // An operand of -and/-or: bare when it binds tighter than both.
  void PrintOperand(const Expr& e, uint8_t collection, std::string& out) const {
    if (e.kind == Expr::Kind::kCompare || e.kind == Expr::Kind::kNot) {
      Print(e, collection, out);
      return;
    }
    out += '(';
    Print(e, collection, out);
    out += ')';
  }

  void PrintCompare(const Expr& e, uint8_t collection, std::string& out) const {
    if (e.on_element) {
      out += PropertiesOf(type_)[collection].name == "memberOf" ? "group.objectId" : "_";
    } else {
      out += Property(e.slot);
    }
    out += ' ';
    out += ToString(e.op);
    out += ' ';
    switch (e.value.kind) {
      case Literal::Kind::kNull:
        out += "null";
        return;
      case Literal::Kind::kBool:
        out += e.value.flag ? "true" : "false";
        return;
      case Literal::Kind::kString:
        PrintString(e.value.text, out);
        return;
      case Literal::Kind::kList:
        out += '[';
        for (size_t i = 0; i < e.value.items.size(); ++i) {
          if (i > 0) out += ", ";
          PrintString(e.value.items[i], out);
        }
        out += ']';
        return;
    }
  }

  ObjectType type_;
};

}  // namespace

std::string_view ToString(Operator op) {
  switch (op) {
    case Operator::kEq:
      return "-eq";
    case Operator::kNe:
      return "-ne";
    case Operator::kStartsWith:
      return "-startsWith";
    case Operator::kNotStartsWith:
      return "-notStartsWith";
    case Operator::kEndsWith:
      return "-endsWith";
    case Operator::kNotEndsWith:
      return "-notEndsWith";
    case Operator::kContains:
      return "-contains";
    case Operator::kNotContains:
      return "-notContains";
    case Operator::kMatch:
      return "-match";
    case Operator::kNotMatch:
      return "-notMatch";
    case Operator::kIn:
      return "-in";
    case Operator::kNotIn:
      return "-notIn";
    case Operator::kLe:
      return "-le";
    case Operator::kGe:
      return "-ge";
  }
  return "-eq";
}

Result<ParsedRule> ParseRule(std::string_view text) {
  const size_t length = CharacterCount(text);
  if (length > kMaxRuleLength) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("the rule is {} characters long; the limit is {}", length, kMaxRuleLength),
        fmt::format("position {}", kMaxRuleLength + 1));
  }
  return Parser(text, Lexer(text).Run()).Run();
}

std::string ToString(const ParsedRule& rule) {
  std::string out;
  Printer(rule.type).Print(rule.root, 0, out);
  return out;
}

std::optional<size_t> ErrorPosition(const Error& error) {
  constexpr std::string_view kPrefix = "position ";
  const std::string_view field = error.field;
  if (!field.starts_with(kPrefix)) return std::nullopt;
  size_t position = 0;
  const char* first = field.data() + kPrefix.size();
  const char* last = field.data() + field.size();
  const auto [end, ec] = std::from_chars(first, last, position);
  if (ec != std::errc{} || end != last || first == last) return std::nullopt;
  return position;
}

}  // namespace groundcrew::core::rules
