#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "server/store/committed_cache.hpp"
#include "server/store_postgres/internal/connection.hpp"

namespace groundcrew::store::postgres::internal {

using store::CommittedCache;
using store::Invalidatable;

/// The connections of one PostgresStore: one writer and a pool of readers, as in the SQLite
/// adapter (store_sqlite/internal/pool.hpp), so that the ports' rules are the same:
///
/// - The writer serves every write, every Store::Transact, and every read made by a thread that
///   holds it (such reads see the transaction's own uncommitted changes). It is guarded by one
///   recursive lock held per thread (WriteGuard). Across instances, writers take the schema's
///   advisory lock at BEGIN (Transaction), so one instance writes at a time.
/// - Readers serve every other read: READ COMMITTED, one statement (or one read Transaction) at
///   a time, never waiting for a write.
/// - A connection found broken when it is handed out at depth 0 (the server restarted) is
///   reconnected first; if that fails, the statements run on it fail with kUnavailable and the
///   next hand-out tries again.
///
/// Caches (CommittedCache) registered with AfterWrite are invalidated when this instance's
/// write ends, like SQLite's; and, for the other instances, the write sends
/// `NOTIFY <notify_channel()>, 'caches'` before its COMMIT: their listener (PostgresStore) calls
/// InvalidateCaches() when it arrives. While the listener is not connected, caches_usable() is
/// false and the ports read through. A write that stores deployment events likewise announces
/// them (AnnounceEvents: payload 'events'), so that live streams on every instance wake.
///
/// Thread-safety: every member may be called from any thread at once. Leases and guards belong
/// to the thread that took them and must be released on it, in reverse order.
class ConnectionPool {
 public:
  ConnectionPool(Connection writer, std::vector<Connection> readers);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;
  ~ConnectionPool();

  /// Exclusive use of the writer by this thread while alive; recursive.
  class WriteGuard {
   public:
    explicit WriteGuard(ConnectionPool& pool);
    WriteGuard(const WriteGuard&) = delete;
    WriteGuard& operator=(const WriteGuard&) = delete;
    ~WriteGuard();
    Connection& connection() const { return pool_.writer_; }

   private:
    ConnectionPool& pool_;
  };

  /// A connection to read from, this thread's alone while alive: the writer when this thread
  /// holds it or when there are no readers, else a free reader (waiting for one when all are in
  /// use). Statements prepared on it must be destroyed before the lease.
  class ReadLease {
   public:
    explicit ReadLease(ConnectionPool& pool);
    ReadLease(const ReadLease&) = delete;
    ReadLease& operator=(const ReadLease&) = delete;
    ~ReadLease();
    Connection& connection() const { return *connection_; }

   private:
    ConnectionPool& pool_;
    std::optional<WriteGuard> writer_;
    Connection* connection_ = nullptr;
  };

  /// Whether the calling thread holds the writer (it is inside a Transact or a write).
  bool HoldsWriter() const {
    return writer_owner_.load(std::memory_order_relaxed) == std::this_thread::get_id();
  }

  /// Invalidates `cache` when the calling thread's outermost write ends, and notifies the other
  /// instances at its commit. REQUIRES: the calling thread holds the writer; `cache` outlives
  /// the pool and was registered with Register.
  void AfterWrite(Invalidatable& cache);

  /// Notifies the other instances, when the calling thread's write commits, that it stored
  /// deployment events. REQUIRES: the calling thread holds the writer.
  void AnnounceEvents() { announce_events_ = true; }

  /// The notification payloads.
  static constexpr const char* kCachesPayload = "caches";
  static constexpr const char* kEventsPayload = "events";

  /// Makes `cache` one that InvalidateCaches() empties. Called once per cache at construction.
  void Register(Invalidatable& cache);

  /// Empties every registered cache (a notification from another instance arrived).
  void InvalidateCaches();

  /// Whether caches may be filled and read: false while the listener is disconnected (another
  /// instance's writes would not be heard of).
  bool caches_usable() const { return caches_usable_.load(std::memory_order_acquire); }
  /// Set by the listener. Turning usable again also empties every cache (notifications may
  /// have been missed).
  void SetCachesUsable(bool usable);

  /// The channel this store's writes notify (per schema).
  const std::string& notify_channel() const { return notify_channel_; }

  int reader_count() const { return static_cast<int>(readers_.size()); }

 private:
  Connection* AcquireReader();
  void ReleaseReader(Connection* reader);

  std::recursive_mutex writer_mutex_;
  Connection writer_;
  std::atomic<std::thread::id> writer_owner_{};
  int writer_depth_ = 0;                       // guarded by writer_mutex_
  std::vector<Invalidatable*> to_invalidate_;  // guarded by writer_mutex_
  bool announce_events_ = false;               // guarded by writer_mutex_

  std::string notify_channel_;
  std::mutex caches_mutex_;
  std::vector<Invalidatable*> caches_;  // guarded by caches_mutex_
  std::atomic<bool> caches_usable_{false};

  std::vector<std::unique_ptr<Connection>> readers_;
  std::mutex readers_mutex_;
  std::condition_variable reader_freed_;
  std::vector<Connection*> free_readers_;
};

}  // namespace groundcrew::store::postgres::internal
