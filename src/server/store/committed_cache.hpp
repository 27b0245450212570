#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

// A cache of committed values, shared by the store adapters (SQLite, PostgreSQL).
namespace groundcrew::store {

/// Something that caches what the database holds and must forget it after a write: see the
/// adapters' ConnectionPool::AfterWrite.
class Invalidatable {
 public:
  /// Drops what is cached. Called with the writer still held by the writing thread; must not
  /// block on anything but the implementer's own short lock, nor call the store.
  virtual void Invalidate() = 0;

 protected:
  ~Invalidatable() = default;
};

/// Values read from the database as last committed, by key, for reads that would otherwise
/// query the same rows on every call. Correct only when every write that changes what it holds
/// registers it with ConnectionPool::AfterWrite, and when it is used only by threads that do
/// not hold the writer (inside a write, reads must see the write's own uncommitted changes):
///
///   uint64_t ticket; if (auto hit = cache.Find(key, ticket)) return *hit;
///   ...read through a ReadLease...; cache.Fill(ticket, key, value);
///
/// Fill keeps the value only if no Invalidate happened since Find handed out the ticket, so a
/// value read from a snapshot older than a commit is dropped, never kept. Writes made by
/// another process are seen only if something invalidates the cache for them: PostgresStore's
/// listener does so on a notification; SqliteStore assumes it is the only writer.
///
/// Thread-safety: every member may be called from any thread at once.
template <class Value>
class CommittedCache final : public Invalidatable {
 public:
  /// At most `max_entries` values; filling a full cache empties it first.
  explicit CommittedCache(size_t max_entries) : max_entries_(max_entries) {}

  /// The cached value of `key`; on a miss, nullopt and in `ticket` what Fill needs.
  std::optional<Value> Find(std::string_view key, uint64_t& ticket) {
    std::lock_guard lock(mutex_);
    ticket = epoch_;
    auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }

  /// Caches `value` for `key` unless the cache was invalidated after `ticket` was handed out.
  void Fill(uint64_t ticket, std::string_view key, Value value) {
    std::lock_guard lock(mutex_);
    if (ticket != epoch_) return;
    if (values_.size() >= max_entries_) values_.clear();
    values_.insert_or_assign(std::string(key), std::move(value));
  }

  void Invalidate() override {
    std::lock_guard lock(mutex_);
    ++epoch_;
    values_.clear();
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };

  const size_t max_entries_;
  std::mutex mutex_;
  uint64_t epoch_ = 0;  // guarded by mutex_, as is values_
  std::unordered_map<std::string, Value, Hash, std::equal_to<>> values_;
};

}  // namespace groundcrew::store
