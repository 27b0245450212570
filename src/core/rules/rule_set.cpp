#include "core/rules/rule_set.hpp"

#include <algorithm>
#include <numeric>
#include <optional>
#include <tuple>

#include "common/text.hpp"
#include "core/rules/folding.hpp"

namespace groundcrew::core::rules {
namespace {

// ---------------------------------------------------------------------------------------------
// Keys: what an indexed rule implies about the subject.

struct Key {
  uint8_t slot = 0;
  bool prefix = false;
  std::string folded;
};

struct KeySet {
  std::vector<Key> keys;
  bool exact = false;  // some key hits => the expression holds
  uint32_t cost = 0;   // rough price of the keys' candidates; lower is more selective
};

std::optional<KeySet> KeysOf(const Expr& e, ObjectType type, std::optional<uint8_t> collection) {
  switch (e.kind) {
    case Expr::Kind::kCompare: {
      const uint8_t slot = e.on_element ? *collection : e.slot;
      if (!e.on_element && PropertiesOf(type)[e.slot].type != ValueType::kString) {
        return std::nullopt;
      }
      KeySet set;
      set.exact = true;
      if (e.op == Operator::kEq && e.value.kind == Literal::Kind::kString) {
        set.keys.push_back(Key{slot, false, text::ToLowerAscii(e.value.text)});
        set.cost = 1;
      } else if (e.op == Operator::kIn) {
        for (const std::string& item : e.value.items) {
          set.keys.push_back(Key{slot, false, text::ToLowerAscii(item)});
        }
        set.cost = static_cast<uint32_t>(set.keys.size());
      } else if (e.op == Operator::kStartsWith) {
        set.keys.push_back(Key{slot, true, text::ToLowerAscii(e.value.text)});
        set.cost = e.value.text.size() >= 3 ? 2 : 16;
      } else {
        return std::nullopt;
      }
      return set;
    }
    case Expr::Kind::kAny:
      if (collection) return std::nullopt;  // bodies hold no collections
      return KeysOf(e.children[0], type, e.slot);
    case Expr::Kind::kOr: {
      KeySet all;
      all.exact = true;
      for (const Expr& child : e.children) {
        std::optional<KeySet> set = KeysOf(child, type, collection);
        if (!set) return std::nullopt;
        all.exact = all.exact && set->exact;
        all.cost += set->cost;
        for (Key& key : set->keys) all.keys.push_back(std::move(key));
      }
      return all;
    }
    case Expr::Kind::kAnd: {
      std::optional<KeySet> best;
      for (const Expr& child : e.children) {
        std::optional<KeySet> set = KeysOf(child, type, collection);
        if (set && (!best || set->cost < best->cost)) best = std::move(set);
      }
      if (best) best->exact = false;
      return best;
    }
    case Expr::Kind::kNot:
    case Expr::Kind::kAll:
      return std::nullopt;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Hashing: FNV-1a over ASCII-folded bytes, seeded with the slot and key kind, so that a prefix
// hash is the running state after that many bytes; then a 64-bit finalizer for the low bits.

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

constexpr uint64_t Step(uint64_t h, char c) {
  return (h ^ static_cast<unsigned char>(text::FoldAscii(c))) * kFnvPrime;
}

constexpr uint64_t Seed(uint8_t slot, bool prefix) {
  return ((kFnvOffset ^ slot) * kFnvPrime ^ (prefix ? 0x5a : 0xa5)) * kFnvPrime;
}

constexpr uint64_t Finish(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

uint64_t HashKey(uint8_t slot, bool prefix, std::string_view text) {
  uint64_t h = Seed(slot, prefix);
  for (char c : text) h = Step(h, c);
  return Finish(h);
}

}  // namespace

RuleSet::RuleSet(std::vector<std::pair<uint32_t, CompiledRule>> rules) {
  std::stable_sort(rules.begin(), rules.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // (object type, slot, prefix, folded key, rule index), one per key of every indexed rule.
  std::vector<std::tuple<ObjectType, uint8_t, bool, std::string, uint32_t>> keyed;
  for (auto& [id, rule] : rules) {
    const auto index = static_cast<uint32_t>(rules_.size());
    const ObjectType type = rule.object_type();
    std::optional<KeySet> set = KeysOf(rule.parsed().root, type, std::nullopt);
    key_is_rule_.push_back(set && set->exact ? 1 : 0);
    index_[static_cast<size_t>(type)].referenced_slots |= rule.referenced_slots();
    if (set) {
      for (Key& key : set->keys) {
        keyed.emplace_back(type, key.slot, key.prefix, std::move(key.folded), index);
      }
    } else {
      index_[static_cast<size_t>(type)].unindexed.push_back(index);
    }
    ids_.push_back(id);
    rules_.push_back(std::move(rule));
  }
  std::sort(keyed.begin(), keyed.end());
  keyed.erase(std::unique(keyed.begin(), keyed.end()), keyed.end());

  for (const ObjectType type : {ObjectType::kDevice, ObjectType::kUser}) {
    TypeIndex& index = index_[static_cast<size_t>(type)];
    std::vector<KeyEntry> entries;
    for (const auto& [key_type, slot, prefix, folded, rule] : keyed) {
      if (key_type != type) continue;
      const bool same =
          !entries.empty() && entries.back().slot == slot && entries.back().prefix == prefix &&
          std::string_view(index.keys)
                  .substr(entries.back().key_offset, entries.back().key_length) == folded;
      if (!same) {
        KeyEntry entry;
        entry.hash = HashKey(slot, prefix, folded);
        entry.key_offset = static_cast<uint32_t>(index.keys.size());
        entry.key_length = static_cast<uint32_t>(folded.size());
        entry.first = static_cast<uint32_t>(index.candidates.size());
        entry.slot = slot;
        entry.prefix = prefix;
        index.keys += folded;
        entries.push_back(entry);

        const uint8_t key_slot = slot;  // clang 14 cannot capture a structured binding
        auto probe = std::find_if(index.probes.begin(), index.probes.end(),
                                  [&](const Probe& p) { return p.slot == key_slot; });
        if (probe == index.probes.end()) {
          probe = index.probes.insert(index.probes.end(), Probe{});
          probe->slot = slot;
          probe->collection = PropertiesOf(type)[slot].type == ValueType::kStringList;
        }
        if (prefix) {
          probe->prefix_lengths.push_back(static_cast<uint32_t>(folded.size()));
        } else {
          probe->exact = true;
        }
      }
      index.candidates.push_back(rule);
      entries.back().last = static_cast<uint32_t>(index.candidates.size());
    }
    for (Probe& probe : index.probes) {
      std::sort(probe.prefix_lengths.begin(), probe.prefix_lengths.end());
      probe.prefix_lengths.erase(
          std::unique(probe.prefix_lengths.begin(), probe.prefix_lengths.end()),
          probe.prefix_lengths.end());
    }
    if (entries.empty()) continue;
    size_t capacity = 8;
    while (capacity < entries.size() * 2) capacity *= 2;
    index.table.assign(capacity, KeyEntry{});
    for (const KeyEntry& entry : entries) {
      size_t cell = entry.hash & (capacity - 1);
      while (index.table[cell].last != 0) cell = (cell + 1) & (capacity - 1);
      index.table[cell] = entry;
    }
  }
}

size_t RuleSet::unindexed_count() const {
  return index_[0].unindexed.size() + index_[1].unindexed.size();
}

void RuleSet::Collect(const TypeIndex& index, uint64_t hash, uint8_t slot, bool prefix,
                      std::string_view key, std::vector<uint32_t>& out) {
  const size_t mask = index.table.size() - 1;
  for (size_t cell = hash & mask;; cell = (cell + 1) & mask) {
    const KeyEntry& entry = index.table[cell];
    if (entry.last == 0) return;
    if (entry.hash == hash && entry.slot == slot && entry.prefix == prefix &&
        folding::Equals(key,
                        std::string_view(index.keys).substr(entry.key_offset, entry.key_length))) {
      out.insert(out.end(), index.candidates.begin() + entry.first,
                 index.candidates.begin() + entry.last);
      return;
    }
  }
}

void RuleSet::ProbeValue(const TypeIndex& index, const Probe& probe, std::string_view value,
                         std::vector<uint32_t>& out) const {
  if (probe.exact) Collect(index, HashKey(probe.slot, false, value), probe.slot, false, value, out);
  uint64_t h = Seed(probe.slot, true);
  size_t hashed = 0;
  for (const uint32_t length : probe.prefix_lengths) {
    if (length > value.size()) break;
    for (; hashed < length; ++hashed) h = Step(h, value[hashed]);
    Collect(index, Finish(h), probe.slot, true, value.substr(0, length), out);
  }
}

void RuleSet::Match(const Subject& subject, std::vector<uint32_t>& matched) const {
  const TypeIndex& index = index_[static_cast<size_t>(subject.type)];
  const size_t base = matched.size();

  // Candidates found through the index, each once, by rule index.
  for (const Probe& probe : index.probes) {
    const AttributeValue& value = subject.values[probe.slot];
    if (probe.collection) {
      if (value.kind != AttributeValue::Kind::kStringList) continue;
      for (const std::string& item : value.items) {
        if (!item.empty()) ProbeValue(index, probe, item, matched);
      }
    } else if (value.kind == AttributeValue::Kind::kString && !value.text.empty()) {
      ProbeValue(index, probe, value.text, matched);
    }
  }
  std::sort(matched.begin() + base, matched.end());
  matched.erase(std::unique(matched.begin() + base, matched.end()), matched.end());

  // Keep the candidates that match, then add the unindexed rules that match.
  size_t kept = base;
  for (size_t i = base; i < matched.size(); ++i) {
    const uint32_t rule = matched[i];
    if (key_is_rule_[rule] != 0 || rules_[rule].Matches(subject)) matched[kept++] = rule;
  }
  matched.resize(kept);
  for (const uint32_t rule : index.unindexed) {
    if (rules_[rule].Matches(subject)) matched.push_back(rule);
  }
  if (kept > base && matched.size() > kept) std::sort(matched.begin() + base, matched.end());

  for (size_t i = base; i < matched.size(); ++i) matched[i] = ids_[matched[i]];
}

}  // namespace groundcrew::core::rules
