#include "server/store_sqlite/internal/pool.hpp"

#include <algorithm>
#include <utility>

namespace groundcrew::store::sqlite::internal {

ConnectionPool::ConnectionPool(Connection writer, std::vector<Connection> readers)
    : writer_(std::move(writer)) {
  readers_.reserve(readers.size());
  for (Connection& reader : readers) {
    readers_.push_back(std::make_unique<Connection>(std::move(reader)));
    free_readers_.push_back(readers_.back().get());
  }
}

ConnectionPool::~ConnectionPool() = default;

PoolWaits ConnectionPool::waits() const {
  std::lock_guard lock(waits_mutex_);
  return waits_;
}

void ConnectionPool::CountWait(bool writer, std::chrono::steady_clock::duration waited) {
  const double seconds = std::chrono::duration<double>(waited).count();
  std::lock_guard lock(waits_mutex_);
  (writer ? waits_.writer_waits : waits_.reader_waits) += 1;
  (writer ? waits_.writer_wait_seconds : waits_.reader_wait_seconds) += seconds;
}

ConnectionPool::WriteGuard::WriteGuard(ConnectionPool& pool) : pool_(pool) {
  if (!pool_.writer_mutex_.try_lock()) {
    const auto started = std::chrono::steady_clock::now();
    pool_.writer_mutex_.lock();
    pool_.CountWait(true, std::chrono::steady_clock::now() - started);
  }
  if (pool_.writer_depth_++ == 0) {
    pool_.writer_owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }
}

ConnectionPool::WriteGuard::~WriteGuard() {
  if (--pool_.writer_depth_ == 0) {
    // The outermost guard: the transaction of this write has ended (the port or Transact that
    // began it committed or rolled back before releasing its guard).
    for (Invalidatable* cache : pool_.to_invalidate_) cache->Invalidate();
    pool_.to_invalidate_.clear();
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

Connection* ConnectionPool::AcquireReader() {
  std::unique_lock lock(readers_mutex_);
  if (free_readers_.empty()) {
    const auto started = std::chrono::steady_clock::now();
    reader_freed_.wait(lock, [this] { return !free_readers_.empty(); });
    CountWait(false, std::chrono::steady_clock::now() - started);
  }
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

}  // namespace groundcrew::store::sqlite::internal
