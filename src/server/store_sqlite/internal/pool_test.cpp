#include "server/store_sqlite/internal/pool.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace groundcrew::store::sqlite::internal {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A database file with table t, a writer and `readers` query_only readers; removed at the end.
class PoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ = fs::temp_directory_path() /
           ("gc-pool-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    pool_.reset();
    fs::remove_all(dir_);
  }

  void Open(int readers) {
    const std::string path = (dir_ / "t.db").string();
    auto writer = Connection::Open(path);
    ASSERT_TRUE(writer.has_value()) << writer.error().message;
    ASSERT_TRUE(writer->Execute("CREATE TABLE t (k INTEGER PRIMARY KEY)").has_value());
    std::vector<Connection> opened;
    for (int i = 0; i < readers; ++i) {
      auto reader = Connection::Open(path);
      ASSERT_TRUE(reader.has_value()) << reader.error().message;
      ASSERT_TRUE(reader->Execute("PRAGMA query_only = ON").has_value());
      opened.push_back(std::move(*reader));
    }
    pool_ = std::make_unique<ConnectionPool>(std::move(*writer), std::move(opened));
  }

  static int64_t Count(Connection& db) {
    auto count = db.Prepare("SELECT count(*) FROM t");
    EXPECT_TRUE(count.has_value());
    auto row = count->Step();
    EXPECT_TRUE(row.has_value() && *row);
    return count->Int(0);
  }

  fs::path dir_;
  std::unique_ptr<ConnectionPool> pool_;
};

struct CountingCache final : Invalidatable {
  void Invalidate() override { ++invalidations; }
  int invalidations = 0;
};

TEST_F(PoolTest, AThreadReadsOnTheWriterOnlyWhileItHoldsIt) {
  Open(2);
  EXPECT_FALSE(pool_->HoldsWriter());
  {
    ConnectionPool::ReadLease outside(*pool_);
    EXPECT_NE(&outside.connection(), nullptr);
    ConnectionPool::WriteGuard writer(*pool_);
    EXPECT_NE(&outside.connection(), &writer.connection());
  }
  ConnectionPool::WriteGuard writer(*pool_);
  EXPECT_TRUE(pool_->HoldsWriter());
  {
    ConnectionPool::WriteGuard nested(*pool_);  // recursive
    ConnectionPool::ReadLease inside(*pool_);
    EXPECT_EQ(&inside.connection(), &writer.connection());
  }
  // Another thread does not hold it, and reads on a reader meanwhile.
  std::thread other([&] {
    EXPECT_FALSE(pool_->HoldsWriter());
    ConnectionPool::ReadLease lease(*pool_);
    EXPECT_NE(&lease.connection(), &writer.connection());
  });
  other.join();
}

TEST_F(PoolTest, WithoutReadersReadsTakeTheWriter) {
  Open(0);
  EXPECT_EQ(pool_->reader_count(), 0);
  ConnectionPool::ReadLease lease(*pool_);
  EXPECT_TRUE(pool_->HoldsWriter());  // the lease holds it: other threads wait
  EXPECT_TRUE(lease.connection().Execute("INSERT INTO t VALUES (1)").has_value());
}

TEST_F(PoolTest, ReadersRefuseWrites) {
  Open(1);
  ConnectionPool::ReadLease lease(*pool_);
  Status insert = lease.connection().Execute("INSERT INTO t VALUES (1)");
  ASSERT_FALSE(insert.has_value());
  EXPECT_EQ(Count(lease.connection()), 0);
}

TEST_F(PoolTest, ReadersReadWhileTheWriterHoldsATransactionAndSeeOnlyCommits) {
  Open(2);
  ConnectionPool::WriteGuard writer(*pool_);
  auto transaction = Transaction::Begin(writer.connection());
  ASSERT_TRUE(transaction.has_value());
  ASSERT_TRUE(writer.connection().Execute("INSERT INTO t VALUES (1)").has_value());
  // Two readers at once, neither waiting for the open write transaction.
  std::promise<void> both_in;
  std::shared_future<void> both = both_in.get_future().share();
  std::atomic<int> in{0};
  std::vector<std::future<int64_t>> reads;
  for (int i = 0; i < 2; ++i) {
    reads.push_back(std::async(std::launch::async, [&] {
      ConnectionPool::ReadLease lease(*pool_);
      if (++in == 2) both_in.set_value();
      both.wait();  // both leases are held at the same time
      return Count(lease.connection());
    }));
  }
  for (auto& read : reads) {
    ASSERT_EQ(read.wait_for(10s), std::future_status::ready) << "a read waited for the writer";
    EXPECT_EQ(read.get(), 0);  // the uncommitted row is not seen
  }
  ASSERT_TRUE(transaction->Commit().has_value());
  // After the commit returned, a read on another thread sees it.
  std::thread after([&] {
    ConnectionPool::ReadLease lease(*pool_);
    EXPECT_EQ(Count(lease.connection()), 1);
  });
  after.join();
}

TEST_F(PoolTest, AReadWaitsOnlyWhenEveryReaderIsInUse) {
  Open(1);
  auto held = std::make_unique<ConnectionPool::ReadLease>(*pool_);
  auto waiting = std::async(std::launch::async, [&] {
    ConnectionPool::ReadLease lease(*pool_);
    return Count(lease.connection());
  });
  EXPECT_EQ(waiting.wait_for(100ms), std::future_status::timeout);
  held.reset();
  ASSERT_EQ(waiting.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(waiting.get(), 0);
}

TEST_F(PoolTest, CachesAreInvalidatedOnceWhenTheOutermostWriteEnds) {
  Open(1);
  CountingCache cache;
  {
    ConnectionPool::WriteGuard outer(*pool_);
    {
      ConnectionPool::WriteGuard inner(*pool_);
      pool_->AfterWrite(cache);
      pool_->AfterWrite(cache);
    }
    EXPECT_EQ(cache.invalidations, 0) << "the transaction has not ended yet";
  }
  EXPECT_EQ(cache.invalidations, 1);
  { ConnectionPool::WriteGuard unrelated(*pool_); }
  EXPECT_EQ(cache.invalidations, 1);
}

TEST(CommittedCacheTest, AFillAfterAnInvalidationIsDropped) {
  CommittedCache<int> cache(2);
  uint64_t ticket = 0;
  EXPECT_FALSE(cache.Find("a", ticket));
  cache.Fill(ticket, "a", 1);
  EXPECT_EQ(cache.Find("a", ticket), 1);

  uint64_t stale = 0;
  EXPECT_FALSE(cache.Find("b", stale));  // a read begins...
  cache.Invalidate();                    // ...a write ends meanwhile...
  cache.Fill(stale, "b", 2);             // ...so what it read may be old: not kept
  EXPECT_FALSE(cache.Find("b", ticket));
  EXPECT_FALSE(cache.Find("a", ticket)) << "an invalidation empties the cache";

  cache.Fill(ticket, "a", 1);
  cache.Fill(ticket, "b", 2);
  cache.Fill(ticket, "c", 3);  // full: emptied first
  EXPECT_FALSE(cache.Find("a", ticket));
  EXPECT_EQ(cache.Find("c", ticket), 3);
}

// Contention shows in waits(): a write that found the writer held, a read that found every
// reader leased; uncontended calls count nothing.
TEST_F(PoolTest, WaitsForTheWriterAndForReadersAreCounted) {
  Open(1);
  {
    ConnectionPool::WriteGuard uncontended(*pool_);
    ConnectionPool::WriteGuard nested(*pool_);  // recursive: not a wait
  }
  { ConnectionPool::ReadLease free_reader(*pool_); }
  EXPECT_EQ(pool_->waits().writer_waits, 0u);
  EXPECT_EQ(pool_->waits().reader_waits, 0u);

  std::promise<void> held;
  std::promise<void> release;
  std::thread holder([&] {
    ConnectionPool::WriteGuard writer(*pool_);
    ConnectionPool::ReadLease reader_elsewhere(*pool_);  // the writer itself: the reader is free
    held.set_value();
    release.get_future().wait();
  });
  held.get_future().wait();
  std::atomic<bool> locking{false};
  std::thread waiter([&] {
    locking = true;
    ConnectionPool::WriteGuard writer(*pool_);
  });
  while (!locking) std::this_thread::yield();
  std::this_thread::sleep_for(50ms);  // the waiter is blocked on the writer by now
  release.set_value();
  holder.join();
  waiter.join();
  EXPECT_EQ(pool_->waits().writer_waits, 1u);
  EXPECT_GT(pool_->waits().writer_wait_seconds, 0.0);

  std::promise<void> leased;
  std::promise<void> give_back;
  std::thread reader([&] {
    ConnectionPool::ReadLease lease(*pool_);
    leased.set_value();
    give_back.get_future().wait();
  });
  leased.get_future().wait();
  std::atomic<bool> leasing{false};
  std::thread second_reader([&] {
    leasing = true;
    ConnectionPool::ReadLease lease(*pool_);
  });
  while (!leasing) std::this_thread::yield();
  std::this_thread::sleep_for(50ms);  // blocked on the only reader by now
  give_back.set_value();
  reader.join();
  second_reader.join();
  EXPECT_EQ(pool_->waits().reader_waits, 1u);
}

}  // namespace
}  // namespace groundcrew::store::sqlite::internal
