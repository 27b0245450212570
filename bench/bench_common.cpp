#include "bench/bench_common.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <fstream>
#include <sstream>

#include "server/store_sqlite/sqlite_store.hpp"

namespace groundcrew::bench {

namespace json = boost::json;
namespace fs = std::filesystem;

std::vector<double> Metric::Sorted() const {
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

double Metric::Median() const {
  const std::vector<double> s = Sorted();
  if (s.empty()) return 0;
  return s.size() % 2 == 1 ? s[s.size() / 2] : (s[s.size() / 2 - 1] + s[s.size() / 2]) / 2;
}

void Results::Add(const std::string& key, const std::string& label, const std::string& unit,
                  const std::string& target, double value) {
  auto [it, inserted] = metrics_.try_emplace(key);
  if (inserted) {
    it->second = Metric{key, label, unit, target, {}};
    order_.push_back(key);
  }
  it->second.values.push_back(value);
}

std::optional<double> Results::Last(const std::string& key) const {
  auto it = metrics_.find(key);
  if (it == metrics_.end() || it->second.values.empty()) return std::nullopt;
  return it->second.values.back();
}

const Metric* Results::Find(const std::string& key) const {
  auto it = metrics_.find(key);
  return it == metrics_.end() ? nullptr : &it->second;
}

void Results::Print(std::ostream& out) const {
  out << fmt::format("{:<62} {:>12} {:>24} {:<8} {}\n", "measure", "median", "range (min-max)",
                     "unit", "target");
  for (const std::string& key : order_) {
    const Metric& m = metrics_.at(key);
    const std::vector<double> s = m.Sorted();
    out << fmt::format("{:<62} {:>12} {:>24} {:<8} {}\n", m.label, FormatFigure(m.Median()),
                       FormatFigure(s.front()) + " - " + FormatFigure(s.back()), m.unit, m.target);
  }
}

json::object Results::ToJson() const {
  json::array list;
  for (const std::string& key : order_) {
    const Metric& m = metrics_.at(key);
    json::array values;
    for (double v : m.values) values.push_back(v);
    list.push_back({{"key", m.key},
                    {"label", m.label},
                    {"unit", m.unit},
                    {"target", m.target},
                    {"median", m.Median()},
                    {"values", std::move(values)}});
  }
  return {{"metrics", std::move(list)}};
}

std::string FormatFigure(double v) {
  if (v >= 1000) return fmt::format("{:.0f}", v);
  if (v >= 10) return fmt::format("{:.1f}", v);
  if (v >= 1) return fmt::format("{:.2f}", v);
  return fmt::format("{:.3f}", v);
}

void Must(const Status& status, std::string_view what) {
  if (!status) throw Failure{fmt::format("{}: {}", what, status.error().message)};
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  return in >> one ? one : "?";
}

double SecondsSince(BenchClock::time_point start) {
  return std::chrono::duration<double>(BenchClock::now() - start).count();
}

double Quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t i = static_cast<size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(i, values.size() - 1)];
}

Result<std::unique_ptr<store::Store>> OpenStore(const std::string& path) {
  auto opened = store::sqlite::SqliteStore::Open({.path = path});
  if (!opened) return opened.error();
  return std::unique_ptr<store::Store>(std::move(*opened));
}

const service::Actor kBenchAdmin{"bench", store::CredentialRole::kAdmin};

double BuildTenant(const fs::path& root, const TenantShape& shape, Tenant& tenant) {
  tenant.dir = service::DataDir{root};
  service::InitRequest request{root, "Contoso", "contoso.com", "admin"};
  tenant.token = Must(service::Init(request, SystemClock(), OpenStore), "init").admin_token;
  tenant.store = Must(OpenStore(tenant.dir.database().string()), "open");
  // A benchmark's thousands of devices all come from one address: no per-address rate limits
  // (groundcrewd --no-sign-in-rate-limits does the same).
  service::IdentityOptions identity;
  const identity::RateLimit unlimited{.burst = 1e12, .per_second = 1e12};
  identity.sign_in.device_rate = unlimited;
  identity.sign_in.source_rate = unlimited;
  identity.trust.nonce_rate = unlimited;
  tenant.services = std::make_unique<service::Services>(
      *tenant.store, service::ContentStore(tenant.dir.content()), tenant.dir.diagnostics(),
      SystemClock(), Must(service::CreateSecrets("Bench", SystemClock()()), "secrets"),
      service::SaveKeys(), identity);
  const json::value document = TenantDocument(shape);
  const BenchClock::time_point start = BenchClock::now();
  service::ApplyOutcome applied =
      Must(tenant.services->apply.Apply(kBenchAdmin, document, {}), "apply");
  const double seconds = SecondsSince(start);
  if (!applied.problems.empty()) throw Failure{"apply refused: " + applied.problems[0].message};
  if (applied.changes.empty()) throw Failure{"apply changed nothing"};
  return seconds;
}

HttpCall Authorized(std::string method, std::string target, const std::string& token) {
  HttpCall call;
  call.method = std::move(method);
  call.target = std::move(target);
  call.headers.emplace_back("Authorization", "Bearer " + token);
  return call;
}

Rss ReadRss(int pid) {
  Rss rss;
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) rss.rss_kib = std::stoll(line.substr(6));
    if (line.starts_with("VmHWM:")) rss.hwm_kib = std::stoll(line.substr(6));
    if (line.starts_with("RssAnon:")) rss.anon_kib = std::stoll(line.substr(8));
    if (line.starts_with("RssFile:")) rss.file_kib = std::stoll(line.substr(8));
    if (line.starts_with("RssShmem:")) rss.shmem_kib = std::stoll(line.substr(9));
  }
  return rss;
}

}  // namespace groundcrew::bench
