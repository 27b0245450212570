#include "server/store_postgres/internal/connection.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "tests/support/postgres_cluster.hpp"

namespace groundcrew::store::postgres::internal {
namespace {

using namespace std::chrono_literals;
using test_support::PostgresCluster;

class PostgresConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    cluster_ = PostgresCluster::Shared(error);
    ASSERT_NE(cluster_, nullptr) << "the test PostgreSQL cluster did not start: " << error;
    static std::atomic<int> counter{0};
    schema_ = "c" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  }

  Connection Open(bool read_only = false) {
    Result<Connection> connection = Connection::Open(cluster_->conninfo(), schema_, read_only);
    EXPECT_TRUE(connection.has_value()) << connection.error().message;
    return std::move(*connection);
  }

  static int64_t Count(Connection& db, const std::string& sql) {
    Result<Statement> count = db.Prepare(sql);
    EXPECT_TRUE(count.has_value()) << count.error().message;
    Result<bool> row = count->Step();
    EXPECT_TRUE(row.has_value() && *row);
    return count->Int(0);
  }

  PostgresCluster* cluster_ = nullptr;
  std::string schema_;
};

TEST_F(PostgresConnectionTest, BindsAndReadsEveryKindOfValue) {
  Connection db = Open();
  ASSERT_TRUE(db.Execute("CREATE TABLE t (i bigint, s text, b bytea, n bigint)").has_value());
  const std::string bytes("\x00\x01\xff\x7f zero", 9);
  Result<Statement> insert = db.Prepare("INSERT INTO t VALUES ($1, $2, $3, $4)");
  ASSERT_TRUE(insert.has_value()) << insert.error().message;
  insert->Bind(1, int64_t{-9007199254740993});
  insert->Bind(2, "héllo, 'quoted'");
  insert->BindBlob(3, bytes);
  insert->Bind(4, std::optional<int64_t>());
  ASSERT_TRUE(insert->Run().has_value());
  EXPECT_EQ(db.changes(), 1);

  Result<Statement> select = db.Prepare("SELECT i, s, b, n, i < 0 FROM t");
  ASSERT_TRUE(select.has_value());
  ASSERT_TRUE(*select->Step());
  EXPECT_EQ(select->Int(0), -9007199254740993);
  EXPECT_EQ(select->Text(1), "héllo, 'quoted'");
  EXPECT_EQ(select->Blob(2), bytes);
  EXPECT_TRUE(select->IsNull(3));
  EXPECT_EQ(select->Int(4), 1);  // a boolean
  EXPECT_FALSE(*select->Step());
}

TEST_F(PostgresConnectionTest, ReportsConstraintsAndMistakesAsTheirCodes) {
  Connection db = Open();
  ASSERT_TRUE(db.Execute("CREATE TABLE t (id text PRIMARY KEY, n bigint CHECK (n > 0))"));
  ASSERT_TRUE(db.Execute("INSERT INTO t VALUES ('a', 1)"));
  EXPECT_EQ(db.Execute("INSERT INTO t VALUES ('a', 2)").error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(db.Execute("INSERT INTO t VALUES ('b', 0)").error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(db.Prepare("SELEC 1").error().code, ErrorCode::kInternal);
  // The session is still usable: statements outside a transaction commit one by one.
  EXPECT_EQ(Count(db, "SELECT count(*) FROM t"), 1);
}

TEST_F(PostgresConnectionTest, ASavepointUndoesAFailedStatementAndTheTransactionGoesOn) {
  Connection db = Open();
  ASSERT_TRUE(db.Execute("CREATE TABLE t (id text PRIMARY KEY)"));
  {
    Result<Transaction> outer = Transaction::Begin(db);
    ASSERT_TRUE(outer.has_value());
    ASSERT_TRUE(db.Execute("INSERT INTO t VALUES ('kept')"));
    {
      Result<Transaction> inner = Transaction::Begin(db);
      ASSERT_TRUE(inner.has_value());
      EXPECT_EQ(inner->level(), 2);
      ASSERT_TRUE(db.Execute("INSERT INTO t VALUES ('undone')"));
      EXPECT_FALSE(db.Execute("INSERT INTO t VALUES ('kept')"));  // fails: rolled back below
    }
    EXPECT_EQ(db.transaction_depth(), 1);
    ASSERT_TRUE(db.Execute("INSERT INTO t VALUES ('after')"));
    ASSERT_TRUE(outer->Commit().has_value());
  }
  EXPECT_EQ(db.transaction_depth(), 0);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM t"), 2);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM t WHERE id = 'undone'"), 0);
}

TEST_F(PostgresConnectionTest, ATransactionWithAnUndoneFailureCannotCommit) {
  Connection db = Open();
  ASSERT_TRUE(db.Execute("CREATE TABLE t (id text PRIMARY KEY)"));
  Result<Transaction> transaction = Transaction::Begin(db);
  ASSERT_TRUE(transaction.has_value());
  ASSERT_TRUE(db.Execute("INSERT INTO t VALUES ('a')"));
  EXPECT_FALSE(db.Execute("INSERT INTO t VALUES ('a')"));
  EXPECT_EQ(transaction->Commit().error().code, ErrorCode::kAborted);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM t"), 0);
}

TEST_F(PostgresConnectionTest, WritersOfOneSchemaTakeTurnsAcrossSessions) {
  Connection first = Open();
  Connection second = Open();
  ASSERT_TRUE(first.Execute("CREATE TABLE t (n bigint)"));
  std::atomic<bool> second_began{false};
  Result<Transaction> holding = Transaction::Begin(first);
  ASSERT_TRUE(holding.has_value());
  std::thread other([&] {
    Result<Transaction> waiting = Transaction::Begin(second);
    second_began = true;
    ASSERT_TRUE(waiting.has_value());
    EXPECT_EQ(Count(second, "SELECT count(*) FROM t"), 1);  // sees the first writer's commit
    ASSERT_TRUE(waiting->Commit().has_value());
  });
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(second_began.load()) << "a second writer began while the first held the lock";
  ASSERT_TRUE(first.Execute("INSERT INTO t VALUES (1)"));
  ASSERT_TRUE(holding->Commit().has_value());
  other.join();
  EXPECT_TRUE(second_began.load());
}

TEST_F(PostgresConnectionTest, AReadOnlySessionRefusesWrites) {
  Connection writer = Open();
  ASSERT_TRUE(writer.Execute("CREATE TABLE t (n bigint)"));
  Connection reader = Open(/*read_only=*/true);
  EXPECT_FALSE(reader.Execute("INSERT INTO t VALUES (1)"));
  EXPECT_EQ(Count(reader, "SELECT count(*) FROM t"), 0);
}

TEST_F(PostgresConnectionTest, ALostSessionReconnectsForTheNextUnitOfWork) {
  Connection db = Open();
  Connection killer = Open();
  ASSERT_TRUE(db.Execute("CREATE TABLE t (n bigint)"));
  const auto terminate = [&](int64_t pid) {
    Result<Statement> kill = killer.Prepare("SELECT pg_terminate_backend($1::int)");
    ASSERT_TRUE(kill.has_value());
    kill->Bind(1, pid);
    ASSERT_TRUE(kill->Run().has_value());
  };
  terminate(Count(db, "SELECT pg_backend_pid()"));
  // Outside a transaction the statement runs again on a new session.
  EXPECT_EQ(Count(db, "SELECT count(*) FROM t"), 0);

  // Inside one it fails, and the transaction is one that may be retried.
  Result<Transaction> transaction = Transaction::Begin(db);
  ASSERT_TRUE(transaction.has_value());
  ASSERT_TRUE(db.Execute("INSERT INTO t VALUES (1)"));
  terminate(Count(db, "SELECT pg_backend_pid()"));
  Status lost = db.Execute("INSERT INTO t VALUES (2)");
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, ErrorCode::kUnavailable);
  { Transaction ended = std::move(*transaction); }
  EXPECT_TRUE(db.retryable_failure());
  EXPECT_EQ(db.transaction_depth(), 0);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM t"), 0);  // nothing of it committed
}

TEST_F(PostgresConnectionTest, ADeadlockMarksTheTransactionRetryable) {
  Connection a = Open();
  Connection b = Open();
  ASSERT_TRUE(
      a.Execute("CREATE TABLE t (id bigint PRIMARY KEY, n bigint); "
                "INSERT INTO t VALUES (1, 0), (2, 0)"));
  // b holds row 2 outside the write lock (as a person's psql session might), then wants row 1;
  // a holds the lock and row 1, then wants row 2.
  ASSERT_TRUE(b.Execute("BEGIN; UPDATE t SET n = 1 WHERE id = 2"));
  Result<Transaction> transaction = Transaction::Begin(a);
  ASSERT_TRUE(transaction.has_value());
  ASSERT_TRUE(a.Execute("UPDATE t SET n = 1 WHERE id = 1"));
  std::thread other([&] {
    std::this_thread::sleep_for(100ms);
    (void)b.Execute("UPDATE t SET n = 2 WHERE id = 1");
    (void)b.Execute("ROLLBACK");
  });
  Status blocked = a.Execute("UPDATE t SET n = 2 WHERE id = 2");
  other.join();
  if (!blocked) {
    EXPECT_EQ(blocked.error().code, ErrorCode::kUnavailable);
    EXPECT_TRUE(a.retryable_failure());
  } else {
    // The server chose b as the victim: a went on.
    EXPECT_TRUE(transaction->Commit().has_value());
  }
}

TEST_F(PostgresConnectionTest, MigrationsRunOnceEvenWhenTwoInstancesStartTogether) {
  static constexpr std::array<Migration, 2> kMigrations = {{
      {1, "CREATE TABLE one (n bigint)"},
      {2, "INSERT INTO one VALUES (1)"},
  }};
  Connection first = Open();
  Connection second = Open();
  std::thread other([&] { EXPECT_TRUE(Migrate(second, kMigrations).has_value()); });
  EXPECT_TRUE(Migrate(first, kMigrations).has_value());
  other.join();
  EXPECT_EQ(Count(first, "SELECT count(*) FROM one"), 1);
  EXPECT_EQ(Count(first, "SELECT max(version) FROM schema_migrations"), 2);

  // A schema from a newer groundcrew is refused.
  Status older = Migrate(first, std::span(kMigrations).first(1));
  ASSERT_FALSE(older);
  EXPECT_EQ(older.error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(PostgresConnectionTest, RefusesASchemaNameThatIsNotAPlainIdentifier) {
  Result<Connection> bad = Connection::Open(cluster_->conninfo(), "x\"; DROP TABLE y; --");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().field, "schema");
}

TEST_F(PostgresConnectionTest, AnUnreachableServerIsUnavailable) {
  Result<Connection> none =
      Connection::Open("host=127.0.0.1 port=1 user=postgres connect_timeout=2", "x");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(none.error().field, "database");
}

}  // namespace
}  // namespace groundcrew::store::postgres::internal
