#include "server/http/http_types.hpp"

#include <algorithm>

#include "common/text.hpp"

namespace groundcrew::server {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool HeaderNameLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return text::FoldAscii(x) < text::FoldAscii(y);
  });
}

void Headers::Add(std::string_view name, std::string_view value) {
  auto it = fields_.find(name);
  if (it == fields_.end()) {
    fields_.emplace(std::string(name), std::string(value));
    return;
  }
  it->second.append(", ").append(value);
}

const std::string* Headers::Find(std::string_view name) const {
  auto it = fields_.find(name);
  return it == fields_.end() ? nullptr : &it->second;
}

Response ServerSentEvents(std::shared_ptr<ResponseStream> source) {
  Response response;
  response.content_type = "text/event-stream";
  response.headers.emplace_back("Cache-Control", "no-store");
  // Proxies that buffer responses (nginx) pass this one through as it comes.
  response.headers.emplace_back("X-Accel-Buffering", "no");
  response.stream = StreamBody{std::move(source), ": keep-alive\n\n"};
  return response;
}

std::string ServerSentEvent(std::string_view id, std::string_view type, std::string_view data) {
  std::string out;
  if (!id.empty()) out.append("id: ").append(id).append("\n");
  if (!type.empty()) out.append("event: ").append(type).append("\n");
  while (true) {
    const std::size_t end = data.find('\n');
    out.append("data: ").append(data.substr(0, end)).append("\n");
    if (end == std::string_view::npos) break;
    data.remove_prefix(end + 1);
  }
  out.append("\n");
  return out;
}

std::string Headers::Get(std::string_view name) const {
  const std::string* value = Find(name);
  return value == nullptr ? std::string() : *value;
}

Response JsonResponse(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

std::string PercentDecode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int hi = HexValue(text[i + 1]);
      const int lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_as_space && c == '+' ? ' ' : c);
  }
  return out;
}

void SplitTarget(std::string_view target, std::string& path,
                 std::map<std::string, std::string>& query) {
  const std::size_t hash = target.find('#');
  if (hash != std::string_view::npos) target = target.substr(0, hash);
  const std::size_t question = target.find('?');
  path = std::string(target.substr(0, question));
  query.clear();
  if (question == std::string_view::npos) return;
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    std::string key = PercentDecode(pair.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1), true);
    query.emplace(std::move(key), std::move(value));  // keeps the first occurrence
  }
}

}  // namespace groundcrew::server
