#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/rules/rule.hpp"
#include "core/rules/subject.hpp"

// Many rules matched against one subject at a time, through an index.
//
// A rule is indexed when it implies that some attribute value of the subject equals, or starts
// with, one of a few constants (case-insensitively): it is a comparison `p -eq "v"`,
// `p -in [...]`, `p -startsWith "v"`, an `-any` over a body of such comparisons on `_`, an -or
// of indexed rules, or an -and with at least one indexed operand (the cheapest is used).
// Matching probes hash tables with the subject's values (each element of a collection, each
// distinct prefix length) to find the candidate rules, evaluates only those, plus every rule
// that is not indexed. Typical Autopilot rules (`devicePhysicalIds -any (_ -eq "[OrderID]:x")`,
// `-startsWith "[ZTDId]"`, model and manufacturer equalities) are all indexed, and a rule that
// is nothing but its key is not even evaluated.
namespace groundcrew::core::rules {

class RuleSet {
 public:
  RuleSet() = default;
  /// Indexes `rules`: pairs of an id (the caller's name for the rule, a group's index say) and
  /// a rule, device and user rules alike. Ids should be distinct; each matching rule reports its
  /// id, however many rules share it.
  explicit RuleSet(std::vector<std::pair<uint32_t, CompiledRule>> rules);

  /// Appends to `matched`, in ascending order, the id of every rule that `subject` satisfies
  /// (rules of the other object type never match); leaves the elements already in `matched`
  /// alone. Equivalent to testing every rule's Matches in turn. Allocates only to grow
  /// `matched` (it is used as scratch space for candidates too): reuse one vector across calls.
  /// Safe to call concurrently. REQUIRES: subject.values.size() == PropertyCount(subject.type).
  void Match(const Subject& subject, std::vector<uint32_t>& matched) const;

  /// Number of rules.
  size_t size() const { return rules_.size(); }
  bool empty() const { return rules_.empty(); }
  /// Number of rules evaluated for every subject of their type because no index applies.
  size_t unindexed_count() const;
  /// The slots any rule of `type` reads: when only other attributes of an object change, its
  /// matches cannot change.
  SlotMask referenced_slots(ObjectType type) const {
    return index_[static_cast<size_t>(type)].referenced_slots;
  }

 private:
  // Rules whose key is (slot, kind, folded text) are candidates_[first, last).
  struct KeyEntry {
    uint64_t hash = 0;
    uint32_t key_offset = 0;
    uint32_t key_length = 0;
    uint32_t first = 0;
    uint32_t last = 0;  // 0: the table cell is empty
    uint8_t slot = 0;
    bool prefix = false;
  };
  // Which values of a subject to look up: a slot, whole (exact keys) and by prefix lengths.
  struct Probe {
    uint8_t slot = 0;
    bool collection = false;
    bool exact = false;
    std::vector<uint32_t> prefix_lengths;  // ascending, distinct
  };
  struct TypeIndex {
    std::vector<Probe> probes;
    std::vector<KeyEntry> table;  // open addressing; size a power of two, or empty
    std::vector<uint32_t> candidates;
    std::string keys;  // folded key texts
    std::vector<uint32_t> unindexed;
    SlotMask referenced_slots = 0;
  };

  void ProbeValue(const TypeIndex& index, const Probe& probe, std::string_view value,
                  std::vector<uint32_t>& out) const;
  static void Collect(const TypeIndex& index, uint64_t hash, uint8_t slot, bool prefix,
                      std::string_view key, std::vector<uint32_t>& out);

  // Rules in ascending id order; a rule's position is its index everywhere below.
  std::vector<uint32_t> ids_;
  std::vector<CompiledRule> rules_;
  std::vector<uint8_t> key_is_rule_;  // 1: a hit on the rule's key means the rule matches
  std::array<TypeIndex, 2> index_;    // by ObjectType
};

}  // namespace groundcrew::core::rules
