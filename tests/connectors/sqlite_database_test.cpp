#include "connectors/sqlite/sqlite_database.h"

#include <stdlib.h>  // mkdtemp

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

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

}  // namespace

BOOST_AUTO_TEST_SUITE(sqlite_database)

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
