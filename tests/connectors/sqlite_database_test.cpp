#include "connectors/sqlite/sqlite_database.h"

#include <stdlib.h>  // mkdtemp

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "connectors/sqlite/sqlite_db.h"
#include "connectors/sqlite/sqlite_repository.h"
#include "connectors/temp_dir.h"
#include "core/clock.h"

namespace {

using mes::ErrorKind;
using mes::Result;
using mes::Status;
using mes::store::SqliteDatabase;
using mes::store::SqliteOptions;
using mes::store::SqliteRepository;
using mes::store::sqlite::Connection;

constexpr int64_t kStartMs = 1'690'000'000'000;

using mes::test::TempDir;

std::shared_ptr<SqliteDatabase> openOrThrow(const std::string& path, const mes::Clock& clock) {
  SqliteOptions options;
  options.path = path;
  auto opened = SqliteDatabase::open(options, clock);
  if (!opened) throw std::runtime_error("cannot open the database: " + opened.error().detail);
  return std::move(opened).value();
}

template <typename R>
void requireOk(const R& r) {
  BOOST_REQUIRE_MESSAGE(r.isOk(),
                        (r.isOk() ? std::string() : r.error().code() + ": " + r.error().detail));
}

// A scratch table outside the migrations, created through write() itself.
Status createScratch(SqliteDatabase& db) {
  return db.write([](Connection& c) { return c.exec("CREATE TABLE scratch (v INTEGER) STRICT"); });
}

Status insertScratch(Connection& c, int64_t value) {
  auto stmt = c.prepare("INSERT INTO scratch (v) VALUES (?)");
  if (!stmt) return stmt.takeError();
  stmt->bindInt64(1, value);
  return stmt->run();
}

// The values in `scratch` as a reader connection sees them, ascending, joined by commas.
Result<std::string> scratchValues(SqliteDatabase& db) {
  return db.read([](Connection& c) -> Result<std::string> {
    auto stmt = c.prepare("SELECT v FROM scratch ORDER BY v");
    if (!stmt) return stmt.takeError();
    std::string values;
    for (;;) {
      auto row = stmt->step();
      if (!row) return row.takeError();
      if (!*row) return values;
      if (!values.empty()) values += ',';
      values += std::to_string(stmt->int64At(0));
    }
  });
}

// Waits (up to 10 s) until `ready` holds; false if it never did.
bool waitUntil(const std::function<bool()>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!ready()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Runs `writes` as one group: a first write holds the writer until every one of them is
// queued behind it (in order), so that the next transaction takes them all. Each write's
// outcome is its status, or "threw" when it threw.
std::vector<std::string> runAsOneGroup(
    SqliteDatabase& db, const std::vector<std::function<Status(Connection&)>>& writes) {
  // Boost.Test's assertions are not thread-safe: the threads only record, the caller checks.
  std::atomic<bool> holding{false};
  std::atomic<bool> allQueued{false};
  Status held;
  std::thread holder([&] {
    held = db.write([&](Connection& c) -> Status {
      holding = true;
      MES_RETURN_IF_ERROR(insertScratch(c, 100));
      allQueued = waitUntil([&] { return db.queuedWrites() == writes.size(); });
      return Status::ok();
    });
  });
  BOOST_REQUIRE(waitUntil([&] { return holding.load(); }));
  std::vector<std::string> outcomes(writes.size());
  std::vector<std::thread> writers;
  for (size_t i = 0; i < writes.size(); ++i) {
    writers.emplace_back([&, i] {
      try {
        Status status = db.write(writes[i]);
        outcomes[i] = status.isOk() ? "ok" : status.error().code();
      } catch (const std::exception&) {
        outcomes[i] = "threw";
      }
    });
    // In order: each one queued before the next starts. The last one is awaited by the
    // holder, whose group then ends at once.
    if (i + 1 < writes.size()) {
      BOOST_REQUIRE(waitUntil([&] { return db.queuedWrites() == i + 1; }));
    }
  }
  holder.join();
  for (std::thread& writer : writers) writer.join();
  BOOST_TEST(held.isOk());
  BOOST_TEST(allQueued.load());
  return outcomes;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sqlite_database)

BOOST_AUTO_TEST_CASE(writes_queued_behind_a_commit_share_one_transaction_each_in_a_savepoint) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  auto db = openOrThrow(dir.file("db.sqlite"), clock);
  requireOk(createScratch(*db));
  const SqliteDatabase::WriteCounters before = db->writeCounters();
  std::atomic<bool> nestedRefused{false};
  std::atomic<int64_t> earlierSeen{-1};

  const std::vector<std::string> outcomes = runAsOneGroup(
      *db, {
               [](Connection& c) { return insertScratch(c, 1); },
               [](Connection& c) -> Status {
                 MES_RETURN_IF_ERROR(insertScratch(c, 2));
                 return mes::Error::make(ErrorKind::kConflict, "already-exists", "refused");
               },
               [](Connection& c) -> Status {
                 (void)insertScratch(c, 3);
                 throw std::runtime_error("callback failed");
               },
               [&](Connection& c) -> Status {
                 MES_RETURN_IF_ERROR(insertScratch(c, 4));
                 // Still refused from inside a grouped write, whichever thread runs it.
                 nestedRefused = !db->write([](Connection&) { return Status::ok(); }).isOk();
                 // The group's earlier (uncommitted) write is visible through the connection.
                 auto seen = c.prepare("SELECT count(*) FROM scratch WHERE v IN (1, 2, 3)");
                 if (!seen) return seen.takeError();
                 if (auto row = seen->step(); row && *row) earlierSeen = seen->int64At(0);
                 return Status::ok();
               },
           });
  BOOST_TEST(outcomes == (std::vector<std::string>{"ok", "already-exists", "threw", "ok"}));
  BOOST_TEST(nestedRefused.load());
  BOOST_TEST(earlierSeen.load() == 1);  // 1; not 2 nor 3, rolled back to their savepoints
  // The failed and the throwing writes were rolled back to their savepoints; the others
  // committed.
  BOOST_TEST(*scratchValues(*db) == "1,4,100");
  const SqliteDatabase::WriteCounters after = db->writeCounters();
  BOOST_TEST(after.writes - before.writes == 5U);
  BOOST_TEST(after.transactions - before.transactions == 2U);  // the holder's, then the group's
}

BOOST_AUTO_TEST_CASE(a_group_transaction_ended_inside_a_write_fails_the_writes_it_lost) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  auto db = openOrThrow(dir.file("db.sqlite"), clock);
  requireOk(createScratch(*db));
  // The second write ends the transaction itself (as SQLite does on a disk-full error): the
  // first write's row went with it, so the first write must not be acknowledged; the third
  // runs in a new transaction.
  const std::vector<std::string> outcomes =
      runAsOneGroup(*db, {
                             [](Connection& c) { return insertScratch(c, 10); },
                             [](Connection& c) -> Status {
                               MES_RETURN_IF_ERROR(insertScratch(c, 11));
                               return c.exec("ROLLBACK");
                             },
                             [](Connection& c) { return insertScratch(c, 12); },
                         });
  BOOST_TEST(outcomes == (std::vector<std::string>{"internal-error", "internal-error", "ok"}));
  BOOST_TEST(*scratchValues(*db) == "12,100");
}

BOOST_AUTO_TEST_CASE(write_commits_on_ok_and_rolls_back_on_error_or_exception) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  auto db = openOrThrow(dir.file("db.sqlite"), clock);
  requireOk(createScratch(*db));

  requireOk(db->write([](Connection& c) { return insertScratch(c, 1); }));
  Status failed = db->write([](Connection& c) -> Status {
    MES_RETURN_IF_ERROR(insertScratch(c, 2));
    return mes::Error::make(ErrorKind::kConflict, "already-exists", "refused");
  });
  BOOST_REQUIRE(!failed.isOk());
  BOOST_TEST(failed.error().code() == "already-exists");
  BOOST_CHECK_THROW(db->write([](Connection& c) -> Status {
    (void)insertScratch(c, 3);
    throw std::runtime_error("callback failed");
  }),
                    std::runtime_error);
  requireOk(db->write([](Connection& c) { return insertScratch(c, 4); }));

  auto values = scratchValues(*db);
  requireOk(values);
  BOOST_TEST(*values == "1,4");
}

BOOST_AUTO_TEST_CASE(a_write_inside_a_write_is_refused_and_reads_see_committed_data) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  auto db = openOrThrow(dir.file("db.sqlite"), clock);
  requireOk(createScratch(*db));
  requireOk(db->write([&](Connection& c) -> Status {
    MES_RETURN_IF_ERROR(insertScratch(c, 7));
    Status nested = db->write([](Connection&) { return Status::ok(); });
    BOOST_TEST(!nested.isOk());
    if (!nested)
      BOOST_TEST(static_cast<int>(nested.error().kind) == static_cast<int>(ErrorKind::kInternal));
    BOOST_TEST(!db->close().isOk());
    auto seen = scratchValues(*db);
    requireOk(seen);
    BOOST_TEST(seen->empty());  // not committed yet
    return Status::ok();
  }));
  BOOST_TEST(*scratchValues(*db) == "7");
}

BOOST_AUTO_TEST_CASE(stores_share_one_database_and_close_together) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  auto db = openOrThrow(dir.file("db.sqlite"), clock);
  BOOST_TEST(db->schemaVersion() == SqliteDatabase::latestSchemaVersion());
  requireOk(createScratch(*db));
  {
    SqliteRepository repository(db, clock);
    requireOk(repository.ping());
    BOOST_TEST(repository.database() == db);
  }
  // Releasing a store leaves the shared database open.
  requireOk(db->ping());
  requireOk(db->write([](Connection& c) { return insertScratch(c, 1); }));

  SqliteRepository repository(db, clock);
  requireOk(repository.close());
  for (const Status& status : {db->ping(), db->write([](Connection&) { return Status::ok(); }),
                               scratchValues(*db).status(), repository.ping()}) {
    BOOST_REQUIRE(!status.isOk());
    BOOST_TEST(status.error().code() == "store-closed");
  }
  requireOk(db->close());  // idempotent
}

BOOST_AUTO_TEST_SUITE_END()
