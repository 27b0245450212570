#include "cli/suggest.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/text.hpp"

namespace groundcrew::cli {

size_t EditDistance(std::string_view a_text, std::string_view b_text) {
  const std::string a = text::ToLowerAscii(a_text);
  const std::string b = text::ToLowerAscii(b_text);
  // d[i][j]: the distance between a's first i and b's first j characters.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::vector<std::string> Suggestions(std::string_view typed,
                                     const std::vector<std::string>& candidates, size_t limit) {
  if (typed.empty()) return {};
  const size_t allowed = std::max<size_t>(1, std::min<size_t>(typed.size() / 3, 3));
  const std::string lowered = text::ToLowerAscii(typed);
  struct Scored {
    size_t rank;  ///< distance, or allowed + 1 for a prefix, allowed + 2 for a substring
    std::string name;
  };
  std::vector<Scored> scored;
  for (const std::string& candidate : candidates) {
    const size_t distance = EditDistance(typed, candidate);
    const std::string folded = text::ToLowerAscii(candidate);
    if (distance <= allowed) {
      scored.push_back({distance, candidate});
    } else if (lowered.size() >= 2 && folded.rfind(lowered, 0) == 0) {
      scored.push_back({allowed + 1, candidate});
    } else if (lowered.size() >= 4 && folded.find(lowered) != std::string::npos) {
      scored.push_back({allowed + 2, candidate});
    }
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const Scored& x, const Scored& y) { return x.rank < y.rank; });
  std::vector<std::string> out;
  for (Scored& s : scored) {
    if (out.size() == limit) break;
    if (std::find(out.begin(), out.end(), s.name) == out.end()) out.push_back(std::move(s.name));
  }
  return out;
}

std::string DidYouMean(const std::vector<std::string>& suggestions) {
  if (suggestions.empty()) return "";
  std::string text = "did you mean ";
  for (size_t i = 0; i < suggestions.size(); ++i) {
    if (i > 0) text += i + 1 == suggestions.size() ? " or " : ", ";
    text += fmt::format("\"{}\"", suggestions[i]);
  }
  return text + "?";
}

}  // namespace groundcrew::cli
