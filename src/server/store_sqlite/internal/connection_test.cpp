#include "server/store_sqlite/internal/connection.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <array>
#include <cstdio>
#include <string>

namespace groundcrew::store::sqlite::internal {
namespace {

TEST(SqliteConnectionTest, TransactionsRollBackUnlessCommitted) {
  auto db = Connection::Open(":memory:");
  ASSERT_TRUE(db.has_value());
  ASSERT_TRUE(db->Execute("CREATE TABLE t (k TEXT PRIMARY KEY)").has_value());
  {
    auto tx = Transaction::Begin(*db);
    ASSERT_TRUE(tx.has_value());
    ASSERT_TRUE(db->Execute("INSERT INTO t VALUES ('dropped')").has_value());
  }  // no commit
  {
    auto tx = Transaction::Begin(*db);
    ASSERT_TRUE(tx.has_value());
    ASSERT_TRUE(db->Execute("INSERT INTO t VALUES ('kept')").has_value());
    ASSERT_TRUE(tx->Commit().has_value());
  }
  auto count = db->Prepare("SELECT group_concat(k) FROM t");
  ASSERT_TRUE(count.has_value());
  ASSERT_TRUE(*count->Step());
  EXPECT_EQ(count->Text(0), "kept");
}

std::string Keys(Connection& db) {
  auto all =
      db.Prepare("SELECT coalesce(group_concat(k, ','), '') FROM (SELECT k FROM t ORDER BY k)");
  EXPECT_TRUE(all.has_value());
  EXPECT_TRUE(*all->Step());
  return all->Text(0);
}

TEST(SqliteConnectionTest, NestedTransactionsAreSavepoints) {
  auto db = Connection::Open(":memory:");
  ASSERT_TRUE(db.has_value());
  ASSERT_TRUE(db->Execute("CREATE TABLE t (k TEXT PRIMARY KEY)").has_value());
  EXPECT_EQ(db->transaction_depth(), 0);
  {
    auto outer = Transaction::Begin(*db);
    ASSERT_TRUE(outer.has_value());
    EXPECT_EQ(outer->level(), 1);
    ASSERT_TRUE(db->Execute("INSERT INTO t VALUES ('a')").has_value());
    {
      auto inner = Transaction::Begin(*db);
      ASSERT_TRUE(inner.has_value());
      EXPECT_EQ(inner->level(), 2);
      EXPECT_EQ(db->transaction_depth(), 2);
      ASSERT_TRUE(db->Execute("INSERT INTO t VALUES ('dropped')").has_value());
      {
        auto innermost = Transaction::Begin(*db);
        ASSERT_TRUE(innermost.has_value());
        ASSERT_TRUE(db->Execute("INSERT INTO t VALUES ('dropped too')").has_value());
        ASSERT_TRUE(innermost->Commit().has_value());  // released into `inner`
      }
    }  // `inner` rolls back, with what `innermost` released into it
    EXPECT_EQ(db->transaction_depth(), 1);
    EXPECT_TRUE(db->in_transaction());
    EXPECT_EQ(Keys(*db), "a");
    {
      auto inner = Transaction::Begin(*db);
      ASSERT_TRUE(inner.has_value());
      ASSERT_TRUE(db->Execute("INSERT INTO t VALUES ('b')").has_value());
      ASSERT_TRUE(inner->Commit().has_value());
    }
    ASSERT_TRUE(outer->Commit().has_value());
  }
  EXPECT_EQ(db->transaction_depth(), 0);
  EXPECT_FALSE(db->in_transaction());
  EXPECT_EQ(Keys(*db), "a,b");

  {
    auto outer = Transaction::Begin(*db);
    ASSERT_TRUE(outer.has_value());
    {
      auto inner = Transaction::Begin(*db);
      ASSERT_TRUE(inner.has_value());
      ASSERT_TRUE(db->Execute("INSERT INTO t VALUES ('c')").has_value());
      ASSERT_TRUE(inner->Commit().has_value());
    }
  }  // the outer rollback takes what the inner one released with it
  EXPECT_EQ(db->transaction_depth(), 0);
  EXPECT_FALSE(db->in_transaction());
  EXPECT_EQ(Keys(*db), "a,b");
}

TEST(SqliteConnectionTest, NestingInATransactionSqliteRolledBackIsAborted) {
  auto db = Connection::Open(":memory:");
  ASSERT_TRUE(db.has_value());
  ASSERT_TRUE(db->Execute("CREATE TABLE t (k TEXT PRIMARY KEY)").has_value());
  {
    auto outer = Transaction::Begin(*db);
    ASSERT_TRUE(outer.has_value());
    ASSERT_TRUE(db->Execute("ROLLBACK").has_value());  // as SQLite does after some I/O errors
    auto inner = Transaction::Begin(*db);
    ASSERT_FALSE(inner.has_value());
    EXPECT_EQ(inner.error().code, ErrorCode::kAborted);
    Status committed = outer->Commit();
    ASSERT_FALSE(committed.has_value());
    EXPECT_EQ(committed.error().code, ErrorCode::kAborted);
  }
  EXPECT_EQ(db->transaction_depth(), 0);
  auto again = Transaction::Begin(*db);  // the connection is usable again
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->level(), 1);
  ASSERT_TRUE(again->Commit().has_value());
}

TEST(SqliteConnectionTest, ConstraintViolationsMapToErrorCodes) {
  auto db = Connection::Open(":memory:");
  ASSERT_TRUE(db.has_value());
  ASSERT_TRUE(db->Execute("CREATE TABLE p (id TEXT PRIMARY KEY); "
                          "CREATE TABLE c (p TEXT NOT NULL REFERENCES p(id))")
                  .has_value());
  auto insert = db->Prepare("INSERT INTO p VALUES (?1)");
  ASSERT_TRUE(insert.has_value());
  insert->Bind(1, std::string_view("a"));
  ASSERT_TRUE(insert->Run().has_value());
  insert->Reset();
  insert->Bind(1, std::string_view("a"));
  EXPECT_EQ(insert->Run().error().code, ErrorCode::kAlreadyExists);

  auto orphan = db->Prepare("INSERT INTO c VALUES ('missing')");
  ASSERT_TRUE(orphan.has_value());
  EXPECT_EQ(orphan->Run().error().code, ErrorCode::kFailedPrecondition);  // foreign keys are on

  EXPECT_EQ(db->Prepare("SELEC 1").error().code, ErrorCode::kInternal);
}

TEST(SqliteConnectionTest, ReusedStatementsStartClean) {
  auto db = Connection::Open(":memory:");
  ASSERT_TRUE(db.has_value());
  ASSERT_TRUE(db->Execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)").has_value());
  constexpr const char* kInsert = "INSERT INTO t VALUES (?1, ?2)";
  {
    auto insert = db->Prepare(kInsert);
    insert->Bind(1, "a");
    insert->Bind(2, int64_t{1});
    ASSERT_TRUE(insert->Run().has_value());
  }
  {
    auto again = db->Prepare(kInsert);  // the cached statement: its bindings were cleared
    again->Bind(1, "b");
    ASSERT_TRUE(again->Run().has_value());
    // The same text while the first is alive: an independent statement.
    auto second = db->Prepare(kInsert);
    second->Bind(1, "c");
    second->Bind(2, int64_t{3});
    ASSERT_TRUE(second->Run().has_value());
  }
  auto select = db->Prepare("SELECT k, v FROM t ORDER BY k");
  std::string rows;
  while (*select->Step()) {
    rows +=
        select->Text(0) + "=" + (select->IsNull(1) ? "null" : std::to_string(select->Int(1))) + " ";
  }
  EXPECT_EQ(rows, "a=1 b=null c=3 ");
}

TEST(SqliteConnectionTest, AReleasedStatementHoldsNoLock) {
  const std::string path = ::testing::TempDir() + "gc-connection-lock.db";
  std::remove(path.c_str());
  auto reader = Connection::Open(path);
  auto writer = Connection::Open(path, 50);
  ASSERT_TRUE(reader && writer);
  ASSERT_TRUE(writer->Execute("CREATE TABLE t (k TEXT)").has_value());
  ASSERT_TRUE(writer->Execute("INSERT INTO t VALUES ('a'), ('b')").has_value());
  {
    auto select = reader->Prepare("SELECT k FROM t");
    ASSERT_TRUE(*select->Step());  // stopped mid-way: a read transaction is open here
  }  // released: rewound, so the cached statement no longer pins a snapshot
  ASSERT_TRUE(writer->Execute("INSERT INTO t VALUES ('c')").has_value());
  // A checkpoint can only complete when no reader holds an old snapshot.
  int log = -1, checkpointed = -1;
  ASSERT_EQ(
      sqlite3_wal_checkpoint_v2(writer->handle(), nullptr, 3 /* TRUNCATE */, &log, &checkpointed),
      0);
  auto count = reader->Prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(*count->Step());
  EXPECT_EQ(count->Int(0), 3);  // and the reader sees the new row
  std::remove(path.c_str());
}

TEST(SqliteConnectionTest, MigrationsApplyOnceInOrder) {
  auto db = Connection::Open(":memory:");
  ASSERT_TRUE(db.has_value());
  const std::array<Migration, 2> migrations = {{
      {1, "CREATE TABLE a (x INTEGER)"},
      {2, "ALTER TABLE a ADD COLUMN y INTEGER"},
  }};
  ASSERT_TRUE(Migrate(*db, migrations).has_value());
  ASSERT_TRUE(Migrate(*db, migrations).has_value());  // already at 2: nothing to do
  auto version = db->Prepare("PRAGMA user_version");
  ASSERT_TRUE(*version->Step());
  EXPECT_EQ(version->Int(0), 2);

  const std::array<Migration, 1> broken = {{{1, "CREATE TABLE b (x"}}};
  auto fresh = Connection::Open(":memory:");
  Status failed = Migrate(*fresh, broken);
  ASSERT_FALSE(failed.has_value());
  EXPECT_NE(failed.error().message.find("migration 1"), std::string::npos);
  auto still = fresh->Prepare("PRAGMA user_version");
  ASSERT_TRUE(*still->Step());
  EXPECT_EQ(still->Int(0), 0);  // the failed migration left nothing behind
}

}  // namespace
}  // namespace groundcrew::store::sqlite::internal
