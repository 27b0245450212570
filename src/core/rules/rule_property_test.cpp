// Property tests: random rules (random trees printed as text, in every spelling the grammar
// allows) over random devices and users.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/rules/parser.hpp"
#include "core/rules/reference_interpreter.hpp"
#include "core/rules/rule.hpp"
#include "core/rules/rule_set.hpp"
#include "core/rules/subject.hpp"

namespace groundcrew::core::rules {
namespace {

// Values shared by rules and subjects, so that comparisons often hold.
const std::vector<std::string> kWords = {"alpha",
                                         "ALPHA",
                                         "Beta",
                                         "alpha-1",
                                         "[OrderID]:Tag1",
                                         "[orderid]:tag1",
                                         "[ZTDId]:z1",
                                         "[OrderID]:Tag2",
                                         "O'Brien",
                                         "say \"hi\"",
                                         "a`b",
                                         "\xC3\xA9t\xC3\xA9",
                                         "",
                                         "10.0.1",
                                         "Contoso",
                                         "contoso ltd",
                                         "g1",
                                         "G1",
                                         "[",
                                         "al"};
const std::vector<std::string> kRegexes = {"^al", "A$",  "tag\\d", "[0-9]+",         ".*",
                                           "^$",  "b.t", "o'b",    "^\\[orderid\\]", "\xC3\xA9"};
const std::vector<std::string> kDates = {"2020-01-01", "2021-03-15T09:00:00Z",
                                         "2021-03-15T10:00:00+01:00", "2024-02-29T23:59:59Z"};

template <class T>
const T& Pick(const std::vector<T>& items) {
  return items[*rc::gen::inRange<size_t>(0, items.size())];
}

bool Chance(int one_in) { return *rc::gen::inRange(0, one_in) == 0; }

// `word` in a random letter case.
std::string Mangle(std::string word) {
  switch (*rc::gen::inRange(0, 4)) {
    case 0:
      return word;
    case 1:
      for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return word;
    case 2:
      for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return word;
    default:
      for (char& c : word) {
        if (Chance(2)) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      return word;
  }
}

// An operator: hyphen, en dash or none, any letter case.
std::string Spell(const std::string& name) {
  static const std::vector<std::string> kPrefixes = {"-", "-", "-", "", "\xE2\x80\x93"};
  return Pick(kPrefixes) + Mangle(name);
}

std::string Quote(const std::string& value) {
  const bool single = Chance(3);
  std::string out(1, single ? '\'' : '"');
  for (char c : value) {
    if (c == '\'') {
      out += Chance(4) && !single ? "`'" : "''";
    } else if (c == '`') {
      out += "``";
    } else if (c == '"' && !single) {
      out += "`\"";
    } else {
      out += c;
    }
  }
  return out + (single ? '\'' : '"');
}

std::string Maybe(const std::string& text) { return Chance(3) ? "(" + text + ")" : text; }

class RuleWriter {
 public:
  explicit RuleWriter(ObjectType type) : type_(type) {}

  std::string Rule(int depth) {
    const int choice = *rc::gen::inRange(0, depth > 0 ? 7 : 2);
    switch (choice) {
      case 0:
      case 1:
        return Compare(PickScalar(), "");
      case 2:
        return Collection(depth);
      case 3:
        return Spell("not") + " " + Maybe(Rule(depth - 1));
      case 4:
        return Maybe(Rule(depth - 1)) + " " + Spell("and") + " " + Maybe(Rule(depth - 1));
      case 5:
        return Maybe(Rule(depth - 1)) + " " + Spell("or") + " " + Maybe(Rule(depth - 1));
      default:
        return "(" + Rule(depth - 1) + ")";
    }
  }

 private:
  PropertyInfo PickScalar() {
    std::vector<PropertyInfo> scalars;
    for (const PropertyInfo& p : PropertiesOf(type_)) {
      if (p.type != ValueType::kStringList) scalars.push_back(p);
    }
    return Pick(scalars);
  }

  std::string Property(const PropertyInfo& p) {
    return Mangle(std::string(ToString(type_))) + "." + Mangle(std::string(p.name));
  }

  // A comparison on `p`, or on the current element when `element` is its spelling.
  std::string Compare(const PropertyInfo& p, const std::string& element) {
    const std::string left = element.empty() ? Property(p) : element;
    const ValueType type = element.empty() ? p.type : ValueType::kString;
    switch (type) {
      case ValueType::kBool: {
        static const std::vector<std::string> kValues = {"true", "false", "null"};
        return left + " " + Spell(Chance(2) ? "eq" : "ne") + " " + Mangle(Pick(kValues));
      }
      case ValueType::kDate: {
        static const std::vector<std::string> kOps = {"eq", "ne", "le", "ge"};
        const std::string op = Pick(kOps);
        if ((op == "eq" || op == "ne") && Chance(4)) return left + " " + Spell(op) + " null";
        const std::string& date = Pick(kDates);
        return left + " " + Spell(op) + " " + (Chance(2) ? Quote(date) : date);
      }
      case ValueType::kString:
      case ValueType::kStringList:
        break;
    }
    static const std::vector<std::string> kOps = {
        "eq",       "ne",          "startsWith", "notStartsWith", "endsWith", "notEndsWith",
        "contains", "notContains", "match",      "notMatch",      "in",       "notIn"};
    const std::string op = Pick(kOps);
    std::string value;
    if (op == "in" || op == "notIn") {
      const int n = *rc::gen::inRange(1, 4);
      value = "[";
      for (int i = 0; i < n; ++i) value += (i > 0 ? ", " : "") + Quote(Pick(kWords));
      value += "]";
    } else if (op == "match" || op == "notMatch") {
      value = Quote(Pick(kRegexes));
    } else if ((op == "eq" || op == "ne") && Chance(5)) {
      value = Mangle("null");
    } else {
      value = Quote(Pick(kWords));
    }
    return left + " " + Spell(op) + " " + value;
  }

  std::string Collection(int depth) {
    std::vector<PropertyInfo> collections;
    for (const PropertyInfo& p : PropertiesOf(type_)) {
      if (p.type == ValueType::kStringList) collections.push_back(p);
    }
    const PropertyInfo& p = Pick(collections);
    const std::string element =
        p.name == "memberOf" && Chance(2) ? Mangle("group") + "." + Mangle("objectId") : "_";
    const std::string body = Body(p, element, depth - 1);
    return Property(p) + " " + Spell(Chance(2) ? "any" : "all") + " " + body;
  }

  // Parenthesized unless it is a single comparison.
  std::string Body(const PropertyInfo& p, const std::string& element, int depth) {
    if (depth <= 0 || Chance(2)) {
      const std::string compare = Compare(p, element);
      return Chance(2) ? "(" + compare + ")" : compare;
    }
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        return "(" + Spell("not") + " " + Body(p, element, depth - 1) + ")";
      case 1:
        return "(" + Body(p, element, depth - 1) + " " + Spell("and") + " " +
               Body(p, element, depth - 1) + ")";
      default:
        return "(" + Body(p, element, depth - 1) + " " + Spell("or") + " " +
               Body(p, element, depth - 1) + ")";
    }
  }

  ObjectType type_;
};

std::vector<std::string> Words(int max) {
  const int n = *rc::gen::inRange(0, max + 1);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(Pick(kWords));
  return out;
}

DirectoryDevice RandomDevice() {
  DirectoryDevice d;
  d.id = DirectoryObjectId{Pick(kWords)};
  d.device_id = Pick(kWords);
  d.display_name = Pick(kWords);
  d.account_enabled = Chance(2);
  d.device_physical_ids = Words(4);
  d.manufacturer = Pick(kWords);
  d.model = Pick(kWords);
  d.operating_system = Pick(kWords);
  d.operating_system_version = Pick(kWords);
  d.trust_type = static_cast<TrustType>(*rc::gen::inRange(0, 4));
  d.device_ownership = Pick(kWords);
  d.enrollment_profile_name = Pick(kWords);
  d.device_category = Pick(kWords);
  d.management_type = Pick(kWords);
  for (std::string& attribute : d.extension_attributes) attribute = Pick(kWords);
  d.system_labels = Words(2);
  return d;
}

User RandomUser() {
  User u;
  u.id = UserId{Pick(kWords)};
  u.account_enabled = Chance(2);
  for (std::string* field :
       {&u.user_principal_name, &u.display_name, &u.given_name, &u.surname, &u.mail,
        &u.mail_nickname, &u.department, &u.job_title, &u.company_name, &u.city, &u.state,
        &u.country, &u.usage_location, &u.employee_id, &u.user_type}) {
    *field = Pick(kWords);
  }
  u.employee_hire_date = Chance(4) ? Pick(kWords) : Pick(kDates);
  u.other_mails = Words(3);
  u.proxy_addresses = Words(3);
  for (std::string& attribute : u.extension_attributes) attribute = Pick(kWords);
  return u;
}

// A random subject of `type`, with the storage it views.
struct RandomSubject {
  explicit RandomSubject(ObjectType type)
      : device(RandomDevice()),
        user(RandomUser()),
        member_of(Words(3)),
        device_attributes(device, member_of),
        user_attributes(user, member_of),
        type(type) {}
  Subject subject() const {
    return type == ObjectType::kDevice ? device_attributes.subject() : user_attributes.subject();
  }
  DirectoryDevice device;
  User user;
  std::vector<std::string> member_of;
  DeviceAttributes device_attributes;
  UserAttributes user_attributes;
  ObjectType type;
};

ObjectType RandomType() { return Chance(2) ? ObjectType::kDevice : ObjectType::kUser; }

RC_GTEST_PROP(RulePropertyTest, CompiledRuleAgreesWithReferenceInterpreter, ()) {
  const ObjectType type = RandomType();
  const std::string text = RuleWriter(type).Rule(3);
  const Result<CompiledRule> rule = CompileRule(text);
  RC_ASSERT(rule.has_value());
  for (int i = 0; i < 5; ++i) {
    const RandomSubject subject(type);
    RC_ASSERT(rule->Matches(subject.subject()) ==
              ReferenceMatches(rule->parsed(), subject.subject()));
  }
}

RC_GTEST_PROP(RulePropertyTest, ToStringRoundTrips, ()) {
  const std::string text = RuleWriter(RandomType()).Rule(4);
  const Result<ParsedRule> parsed = ParseRule(text);
  RC_ASSERT(parsed.has_value());
  const std::string canonical = ToString(*parsed);
  const Result<ParsedRule> again = ParseRule(canonical);
  RC_ASSERT(again.has_value());
  RC_ASSERT(*again == *parsed);
  RC_ASSERT(ToString(*again) == canonical);
}

// A rule the index can serve, for the RuleSet property.
std::string KeyedRule(ObjectType type) {
  const std::string collection =
      type == ObjectType::kDevice ? "device.devicePhysicalIds" : "user.proxyAddresses";
  const std::string scalar = type == ObjectType::kDevice ? "device.deviceModel" : "user.city";
  const std::string word = Pick(kWords);
  switch (*rc::gen::inRange(0, 5)) {
    case 0:
      return collection + " -any (_ -eq " + Quote(word) + ")";
    case 1:
      return collection + " -any (_ -startsWith " + Quote(word.substr(0, word.size() / 2)) + ")";
    case 2:
      return scalar + " -in [" + Quote(word) + ", " + Quote(Pick(kWords)) + "]";
    case 3:
      return scalar + " -startsWith " + Quote(word) + " -and " + RuleWriter(type).Rule(1);
    default:
      return scalar + " -eq " + Quote(word) + " -or " + collection + " -any (_ -eq " +
             Quote(Pick(kWords)) + ")";
  }
}

RC_GTEST_PROP(RulePropertyTest, RuleSetMatchEqualsEvaluatingEveryRule, ()) {
  const int count = *rc::gen::inRange(1, 40);
  std::vector<std::pair<uint32_t, CompiledRule>> rules;
  std::vector<uint32_t> ids(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) ids[static_cast<size_t>(i)] = static_cast<uint32_t>(i) * 7 + 3;
  std::shuffle(ids.begin(), ids.end(), std::mt19937(*rc::gen::arbitrary<uint32_t>()));
  for (uint32_t id : ids) {
    const ObjectType type = RandomType();
    const std::string text = Chance(2) ? KeyedRule(type) : RuleWriter(type).Rule(2);
    Result<CompiledRule> rule = CompileRule(text);
    RC_ASSERT(rule.has_value());
    rules.emplace_back(id, std::move(*rule));
  }
  const RuleSet set(rules);
  std::vector<uint32_t> matched;
  for (int i = 0; i < 10; ++i) {
    const RandomSubject subject(RandomType());
    std::vector<uint32_t> expected;
    for (const auto& [id, rule] : rules) {
      if (rule.Matches(subject.subject())) expected.push_back(id);
    }
    std::sort(expected.begin(), expected.end());
    matched.clear();
    set.Match(subject.subject(), matched);
    RC_ASSERT(matched == expected);
  }
}

RC_GTEST_PROP(RulePropertyTest, ParserNeverCrashesOnRandomBytes, (const std::string& bytes)) {
  const Result<ParsedRule> parsed = ParseRule(bytes);
  if (parsed) {
    RC_ASSERT(ParseRule(ToString(*parsed)).has_value());
  } else {
    RC_ASSERT(ErrorPosition(parsed.error()).has_value());
  }
}

RC_GTEST_PROP(RulePropertyTest, ParserNeverCrashesOnTokenSoup, ()) {
  static const std::vector<std::string> kFragments = {"device.deviceModel",
                                                      "user.department",
                                                      "device.devicePhysicalIds",
                                                      "device.memberOf",
                                                      "user.employeeHireDate",
                                                      "device.accountEnabled",
                                                      "_",
                                                      "group.objectId",
                                                      "-eq",
                                                      "eq",
                                                      "-ne",
                                                      "-in",
                                                      "-notIn",
                                                      "-match",
                                                      "-le",
                                                      "-startsWith",
                                                      "-any",
                                                      "-all",
                                                      "-and",
                                                      "or",
                                                      "-not",
                                                      "not",
                                                      "(",
                                                      ")",
                                                      "[",
                                                      "]",
                                                      ",",
                                                      "\"a\"",
                                                      "'b'",
                                                      "\"",
                                                      "'",
                                                      "`",
                                                      "null",
                                                      "true",
                                                      "2020-01-01",
                                                      "\"(\"",
                                                      " ",
                                                      "\xE2\x80\x93",
                                                      "$",
                                                      "\xC3\xA9",
                                                      "\xFF",
                                                      "-",
                                                      ".",
                                                      "\n"};
  const int n = *rc::gen::inRange(0, 40);
  std::string text;
  for (int i = 0; i < n; ++i) text += Pick(kFragments) + (Chance(3) ? "" : " ");
  const Result<ParsedRule> parsed = ParseRule(text);
  if (parsed) {
    const Result<ParsedRule> again = ParseRule(ToString(*parsed));
    RC_ASSERT(again.has_value());
    RC_ASSERT(*again == *parsed);
  } else {
    const std::optional<size_t> position = ErrorPosition(parsed.error());
    RC_ASSERT(position.has_value());
    RC_ASSERT(*position >= 1u);
    RC_ASSERT(*position <= text.size() + 1);
  }
}

}  // namespace
}  // namespace groundcrew::core::rules
