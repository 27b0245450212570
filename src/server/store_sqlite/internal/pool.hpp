#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/store/committed_cache.hpp"
#include "server/store_sqlite/internal/connection.hpp"
#include "server/store_sqlite/pool_waits.hpp"

namespace groundcrew::store::sqlite::internal {

using sqlite::PoolWaits;
using store::CommittedCache;
using store::Invalidatable;

/// The connections of one SqliteStore: one writer and, for a database file, a pool of readers.
///
/// - The writer serves every write, every Store::Transact, and every read made by a thread
///   that holds it (inside a Transact or a write: such reads see the transaction's own
///   uncommitted changes). It is guarded by one recursive lock held per thread (WriteGuard).
/// - Readers serve every other read. They run in WAL mode next to the writer: a read never waits
///   for a write and sees the database as last committed when its statement (or read
///   transaction) started, so a read that starts after a commit returned sees that commit. Each
///   reader is used by one thread at a time (ReadLease); a read waits only when every reader
///   is in use. Readers are opened with `PRAGMA query_only`, so a write sent to one by mistake
///   fails instead of taking the write lock.
/// - Without readers (an in-memory database, whose connections cannot share data) every read
///   takes the writer, as writes do.
///
/// Thread-safety: every member may be called from any thread at once. Leases and guards belong
/// to the thread that took them and must be released on it, in reverse order.
class ConnectionPool {
 public:
  /// `readers` must be connections to the same database file as `writer` (none for ":memory:").
  ConnectionPool(Connection writer, std::vector<Connection> readers);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;
  ~ConnectionPool();

  /// Exclusive use of the writer connection by this thread while alive; recursive (Transact
  /// holds one while the port calls of its use case take their own). When the thread's outermost
  /// guard is released (after its transaction committed or rolled back) the caches registered
  /// with AfterWrite are invalidated, before another thread can write.
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

  /// Invalidates `cache` when the calling thread releases its outermost WriteGuard, i.e. once
  /// the write it is making has committed or rolled back (registering twice in one write
  /// invalidates once). A cache filled only with what was read outside the writer, and only when
  /// no invalidation happened between the start of that read and the fill (an epoch compared
  /// under the cache's lock), then never holds a value older than the last commit.
  /// REQUIRES: the calling thread holds the writer; `cache` outlives the pool's use.
  void AfterWrite(Invalidatable& cache);

  /// How many readers the pool has (0: reads use the writer).
  int reader_count() const { return static_cast<int>(readers_.size()); }

  /// The waits so far.
  PoolWaits waits() const;

 private:
  void CountWait(bool writer, std::chrono::steady_clock::duration waited);
  Connection* AcquireReader();
  void ReleaseReader(Connection* reader);

  // The writer, its recursive lock, the thread holding it (id() when none; written only by the
  // holder, so a thread reading its own id knows it holds the lock), its depth and what to
  // invalidate when the depth returns to 0 (both guarded by writer_mutex_).
  mutable std::mutex waits_mutex_;
  PoolWaits waits_;  // guarded by waits_mutex_
  std::recursive_mutex writer_mutex_;
  Connection writer_;
  std::atomic<std::thread::id> writer_owner_{};
  int writer_depth_ = 0;
  std::vector<Invalidatable*> to_invalidate_;

  // The readers and which are free (guarded by readers_mutex_).
  std::vector<std::unique_ptr<Connection>> readers_;
  std::mutex readers_mutex_;
  std::condition_variable reader_freed_;
  std::vector<Connection*> free_readers_;
};

}  // namespace groundcrew::store::sqlite::internal
