#include "server/store_postgres/internal/pool.hpp"

#include <algorithm>
#include <utility>

namespace groundcrew::store::postgres::internal {

ConnectionPool::ConnectionPool(Connection writer, std::vector<Connection> readers)
    : writer_(std::move(writer)), notify_channel_("gc_" + writer_.schema()) {
  readers_.reserve(readers.size());
  for (Connection& reader : readers) {
    readers_.push_back(std::make_unique<Connection>(std::move(reader)));
    free_readers_.push_back(readers_.back().get());
  }
  // Sent inside the transaction, a NOTIFY is delivered to the listeners when it commits, and
  // not at all when it rolls back.
  writer_.SetBeforeCommit([this](Connection& connection) -> Status {
    std::string notify;
    if (!to_invalidate_.empty()) {
      notify += "NOTIFY " + notify_channel_ + ", '" + kCachesPayload + "';";
    }
    if (announce_events_) notify += "NOTIFY " + notify_channel_ + ", '" + kEventsPayload + "';";
    if (notify.empty()) return Ok{};
    return connection.Execute(notify);
  });
}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::WriteGuard::WriteGuard(ConnectionPool& pool) : pool_(pool) {
  pool_.writer_mutex_.lock();
  if (pool_.writer_depth_++ == 0) {
    pool_.writer_owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }
}

ConnectionPool::WriteGuard::~WriteGuard() {
  if (--pool_.writer_depth_ == 0) {
    // The outermost guard: the transaction of this write has ended.
    for (Invalidatable* cache : pool_.to_invalidate_) cache->Invalidate();
    pool_.to_invalidate_.clear();
    pool_.announce_events_ = false;
    pool_.writer_owner_.store(std::thread::id(), std::memory_order_relaxed);
  }
  pool_.writer_mutex_.unlock();
}

ConnectionPool::ReadLease::ReadLease(ConnectionPool& pool) : pool_(pool) {
  if (pool_.readers_.empty() || pool_.HoldsWriter()) {
    writer_.emplace(pool_);
    connection_ = &writer_->connection();
  } else {
    connection_ = pool_.AcquireReader();
  }
}

ConnectionPool::ReadLease::~ReadLease() {
  if (!writer_) pool_.ReleaseReader(connection_);
}

void ConnectionPool::AfterWrite(Invalidatable& cache) {
  if (std::find(to_invalidate_.begin(), to_invalidate_.end(), &cache) == to_invalidate_.end()) {
    to_invalidate_.push_back(&cache);
  }
}

void ConnectionPool::Register(Invalidatable& cache) {
  std::lock_guard lock(caches_mutex_);
  caches_.push_back(&cache);
}

void ConnectionPool::InvalidateCaches() {
  std::lock_guard lock(caches_mutex_);
  for (Invalidatable* cache : caches_) cache->Invalidate();
}

void ConnectionPool::SetCachesUsable(bool usable) {
  // Emptied before they are trusted again: what was filled before the listener (re)connected
  // may predate a notification it missed.
  if (usable) InvalidateCaches();
  caches_usable_.store(usable, std::memory_order_release);
  if (!usable) InvalidateCaches();
}

Connection* ConnectionPool::AcquireReader() {
  std::unique_lock lock(readers_mutex_);
  reader_freed_.wait(lock, [this] { return !free_readers_.empty(); });
  Connection* reader = free_readers_.back();
  free_readers_.pop_back();
  return reader;
}

void ConnectionPool::ReleaseReader(Connection* reader) {
  {
    std::lock_guard lock(readers_mutex_);
    free_readers_.push_back(reader);
  }
  reader_freed_.notify_one();
}

}  // namespace groundcrew::store::postgres::internal
