#pragma once

#include <string>
#include <string_view>
#include <vector>

// "Did you mean …?" for what a person typed: command names, flags, kinds and resource names.
namespace groundcrew::cli {

/// The edit distance (Damerau–Levenshtein, optimal string alignment: insertions, deletions,
/// substitutions and swaps of two neighbours each cost 1) between `a` and `b`, ignoring ASCII
/// case.
size_t EditDistance(std::string_view a, std::string_view b);

/// The candidates a person most likely meant by `typed`, best first: those within an edit
/// distance of max(1, |typed| / 3) (at most 2 for short words, like kubectl's), then those that
/// start with `typed` (at least 2 characters) or contain it (at least 4), without duplicates.
/// At most `limit` of them. Empty when nothing is close.
std::vector<std::string> Suggestions(std::string_view typed,
                                     const std::vector<std::string>& candidates, size_t limit = 3);

/// "" when `suggestions` is empty, else "did you mean \"a\"?" or "did you mean \"a\" or \"b\"?"
/// (or "\"a\", \"b\" or \"c\"").
std::string DidYouMean(const std::vector<std::string>& suggestions);

}  // namespace groundcrew::cli
