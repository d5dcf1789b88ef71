#include "connectors/sqlite/sqlite_repository.h"

#include <stdlib.h>  // mkdtemp

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "connectors/sqlite/sqlite_database.h"
#include "connectors/sqlite/sqlite_db.h"
#include "connectors/sqlite_inspect.h"
#include "connectors/temp_dir.h"
#include "core/clock.h"

namespace {

using mes::store::SqliteOptions;
using mes::store::SqliteRepository;

constexpr int64_t kStartMs = 1'690'000'000'000;

using mes::test::TempDir;

std::unique_ptr<SqliteRepository> openOrThrow(const SqliteOptions& options,
                                              const mes::Clock& clock) {
  auto opened = SqliteRepository::open(options, clock);
  if (!opened) {
    throw std::runtime_error("cannot open the SQLite store: " + opened.error().detail + " " +
                             opened.error().code());
  }
  return std::move(opened).value();
}

// The SQLite store for the shared repository suite: a new database file per test.
class SqliteStore {
 public:
  SqliteStore() : clock_(kStartMs) {
    SqliteOptions options;
    options.path = dir_.file("store.db");
    repository_ = openOrThrow(options, clock_);
  }
  mes::ManualClock& clock() { return clock_; }
  mes::store::Repository& repository() { return *repository_; }

 private:
  TempDir dir_;  // destroyed last
  mes::ManualClock clock_;
  std::unique_ptr<SqliteRepository> repository_;
};

}  // namespace

#define MES_REPOSITORY_SUITE_NAME sqlite_repository_suite
#define MES_REPOSITORY_SUITE_STORES std::tuple<SqliteStore>
#include "connectors/repository_suite.h"

// --- SQLite-specific behaviour --------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(sqlite_repository)

using mes::ErrorKind;
using mes::Result;
using mes::Status;
using mes::store::DateBound;
using mes::store::DateFilter;
using mes::store::ResourceRecord;
using mes::store::SearchPage;
using mes::store::SearchQuery;
using mes::store::SortOrder;
using mes::store::TokenFilter;
using mes::store::Transaction;
using mes::store::WriteRequest;
using mes::store::sqlite::Connection;

const std::string kLoinc = "http://loinc.org";
constexpr int64_t kDay = 86'400'000;

WriteRequest observation(const std::string& id, const std::string& patient,
                         std::optional<int64_t> dateMs, const std::string& code = "29463-7") {
  WriteRequest request;
  request.type = "Observation";
  request.id = id;
  request.index.patient = patient;
  request.index.dateLowMs = dateMs;
  request.index.dateHighMs = dateMs;
  request.index.tokens.push_back({"code", kLoinc, code});
  request.index.references.push_back({"subject", "Patient/" + patient});
  request.render = [id](int64_t version, int64_t lastUpdated) -> Result<std::string> {
    return "{\"id\":\"" + id + "\",\"v\":" + std::to_string(version) +
           ",\"t\":" + std::to_string(lastUpdated) + "}";
  };
  return request;
}

using mes::test::inspect;
using mes::test::queryInt;

std::vector<std::string> idsOf(const SearchPage& page) {
  std::vector<std::string> ids;
  for (const ResourceRecord& record : page.records) ids.push_back(record.id);
  return ids;
}

template <typename R>
void requireOk(const R& r) {
  BOOST_REQUIRE_MESSAGE(r.isOk(),
                        (r.isOk() ? std::string() : r.error().code() + ": " + r.error().detail));
}

template <typename R>
void checkUnavailable(const R& r) {
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(static_cast<int>(r.error().kind) == static_cast<int>(ErrorKind::kUnavailable));
  BOOST_TEST(r.error().code() == "store-closed");
}

BOOST_AUTO_TEST_CASE(database_is_in_wal_mode_with_the_schema) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  auto repo = openOrThrow({dir.file("wal.db")}, clock);
  auto db = inspect(dir.file("wal.db"));
  auto mode = db->queryText("PRAGMA journal_mode");
  requireOk(mode);
  BOOST_TEST(*mode == "wal");
  for (std::string_view table :
       {"resource", "resource_version", "token_index", "reference_index", "schema_migrations"}) {
    auto stmt = db->prepare("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?");
    requireOk(stmt);
    stmt->bindText(1, table);
    auto row = stmt->step();
    requireOk(row);
    BOOST_TEST(stmt->int64At(0) == 1, table);
  }
  requireOk(repo->ping());
}

BOOST_AUTO_TEST_CASE(migrations_are_recorded_and_not_applied_again) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  const std::string path = dir.file("migrations.db");
  auto repo = openOrThrow({path}, clock);
  BOOST_TEST(SqliteRepository::latestSchemaVersion() >= 1);
  BOOST_TEST(repo->schemaVersion() == SqliteRepository::latestSchemaVersion());
  requireOk(repo->create(observation("obs", "pat", kStartMs)));
  requireOk(repo->close());

  auto check = [&] {
    auto db = inspect(path);
    BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM schema_migrations") ==
               mes::store::SqliteDatabase::migrationCount());
    BOOST_TEST(queryInt(*db, "SELECT MIN(applied_at) FROM schema_migrations") == kStartMs);
    BOOST_TEST(queryInt(*db, "SELECT MAX(applied_at) FROM schema_migrations") == kStartMs);
    auto name = db->queryText("SELECT name FROM schema_migrations WHERE version = 1");
    requireOk(name);
    BOOST_TEST(!name->empty());
  };
  check();

  clock.advance(3'600'000);
  auto reopened = openOrThrow({path}, clock);
  BOOST_TEST(reopened->schemaVersion() == SqliteRepository::latestSchemaVersion());
  requireOk(reopened->read("Observation", "obs"));
  requireOk(reopened->close());
  check();  // nothing re-applied: same rows, same applied_at
}

BOOST_AUTO_TEST_CASE(migration_7_adds_named_dates_to_a_schema_6_database) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  const std::string path = dir.file("upgrade.db");
  {
    auto repo = openOrThrow({path}, clock);
    requireOk(repo->create(observation("old", "pat", kStartMs)));
    requireOk(repo->close());
  }
  {
    auto db = inspect(path);
    // Back to schema 6: the tables of migrations 7 (date_index) and 8 (the registry) go, and
    // the column of 10 (the audit actor).
    requireOk(db->exec(
        "BEGIN; DROP TABLE registry_evidence; DROP TABLE registry_marks; "
        "DROP TABLE registry_history; DROP TABLE registry_reservations; "
        "DROP TABLE registry_services; DROP TABLE registry_members; "
        "DROP TABLE registry_organisations; DROP TABLE date_index; "
        "ALTER TABLE audit_log DROP COLUMN actor; "
        "DELETE FROM schema_migrations WHERE version >= 7; COMMIT"));
  }
  clock.advance(60'000);
  auto repo = openOrThrow({path}, clock);
  BOOST_TEST(repo->schemaVersion() == SqliteRepository::latestSchemaVersion());
  requireOk(repo->read("Observation", "old"));  // data of schema 6 kept
  mes::store::WriteRequest dated = observation("new", "pat", kStartMs);
  dated.index.dates.push_back({"period", kStartMs, kStartMs + 1000});
  requireOk(repo->create(dated));
  mes::store::SearchQuery query;
  query.type = "Observation";
  query.patient = "pat";
  mes::store::DateFilter filter;
  filter.target = mes::store::DateFilter::Target::kNamed;
  filter.param = "period";
  query.dates.push_back(filter);
  auto page = repo->search(query);
  requireOk(page);
  BOOST_REQUIRE(page->records.size() == 1u);
  BOOST_TEST(page->records.front().id == "new");
  requireOk(repo->close());
  auto db = inspect(path);
  BOOST_TEST(queryInt(*db, "SELECT applied_at FROM schema_migrations WHERE version = 7") ==
             kStartMs + 60'000);
}

BOOST_AUTO_TEST_CASE(a_newer_schema_is_refused) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  const std::string path = dir.file("future.db");
  requireOk(openOrThrow({path}, clock)->close());
  const int64_t future = SqliteRepository::latestSchemaVersion() + 1;
  {
    auto db = inspect(path);
    auto insert =
        db->prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
    requireOk(insert);
    insert->bindInt64(1, future);
    insert->bindText(2, "from a newer gateway");
    insert->bindInt64(3, kStartMs);
    requireOk(insert->run());
  }
  auto refused = SqliteRepository::open({path}, clock);
  BOOST_REQUIRE(!refused.isOk());
  BOOST_TEST(refused.error().code() == "schema-too-new");
  const std::string& message = refused.error().problems.front().message;
  BOOST_TEST(message.find(std::to_string(future)) != std::string::npos, message);
  BOOST_TEST(message.find("newer") != std::string::npos, message);
  // The refusal changed nothing.
  auto db = inspect(path);
  BOOST_TEST(queryInt(*db, "SELECT MAX(version) FROM schema_migrations") == future);
}

BOOST_AUTO_TEST_CASE(data_survives_close_and_reopen) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  const std::string path = dir.file("durable.db");
  std::string content;
  {
    auto repo = openOrThrow({path}, clock);
    requireOk(repo->create(observation("kept", "pat", kStartMs)));
    clock.advance(10);
    auto updated = repo->update(observation("kept", "pat", kStartMs, "8867-4"));
    requireOk(updated);
    content = updated->content;
    requireOk(repo->create(observation("gone", "pat", kStartMs)));
    requireOk(repo->remove("Observation", "gone", std::nullopt));
    requireOk(repo->close());
  }
  // The WAL was checkpointed into the database file and truncated.
  const std::string wal = path + "-wal";
  BOOST_TEST((!std::filesystem::exists(wal) || std::filesystem::file_size(wal) == 0));

  clock.set(kStartMs - 1000);  // a clock behind the stored versions
  auto repo = openOrThrow({path}, clock);
  auto read = repo->read("Observation", "kept");
  requireOk(read);
  BOOST_TEST(read->versionId == 2);
  BOOST_TEST(read->lastUpdatedMs == kStartMs + 10);
  BOOST_TEST(read->content == content);
  BOOST_TEST(repo->history("Observation", "kept")->size() == 2u);
  BOOST_TEST(repo->history("Observation", "gone")->size() == 2u);
  BOOST_TEST(static_cast<int>(repo->read("Observation", "gone").error().kind) ==
             static_cast<int>(ErrorKind::kGone));

  SearchQuery query;
  query.type = "Observation";
  query.patient = "pat";
  query.tokens.push_back(TokenFilter{"code", {{kLoinc, "8867-4"}}});
  auto page = repo->search(query);
  requireOk(page);
  BOOST_TEST(idsOf(*page) == std::vector<std::string>{"kept"});

  auto v3 = repo->update(observation("kept", "pat", kStartMs));
  requireOk(v3);
  BOOST_TEST(v3->versionId == 3);
  BOOST_TEST(v3->lastUpdatedMs == kStartMs + 11);
}

BOOST_AUTO_TEST_CASE(stored_rows_hold_each_version_once_and_only_current_index_rows) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  const std::string path = dir.file("rows.db");
  auto repo = openOrThrow({path}, clock);
  WriteRequest first = observation("obs", "pat", kStartMs);
  first.index.tokens.push_back({"category", "urn:cat", "vital-signs"});
  first.index.tokens.push_back({"category", "urn:cat", "vital-signs"});  // duplicate
  requireOk(repo->create(first));
  requireOk(repo->update(observation("obs", "pat", kStartMs, "8867-4")));
  requireOk(repo->update(observation("obs", "pat", kStartMs, "8302-2")));

  auto db = inspect(path);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM resource") == 1);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM resource_version") == 3);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM resource_version WHERE content IS NULL") == 0);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM token_index") == 1);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM token_index WHERE code = '8302-2'") == 1);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM reference_index") == 1);

  requireOk(repo->remove("Observation", "obs", std::nullopt));
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM resource_version") == 4);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM resource_version WHERE content IS NULL") == 1);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM token_index") == 0);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM reference_index") == 0);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM resource WHERE patient IS NULL") == 1);
  auto violations = db->prepare("PRAGMA foreign_key_check");
  requireOk(violations);
  auto row = violations->step();
  requireOk(row);
  BOOST_TEST(!*row);
}

// Every line of the plan reads through an index: no full SCAN, no sort of the matches.
void checkIndexed(const std::vector<std::string>& plan, const std::string& index) {
  std::string all;
  for (const std::string& line : plan) all += line + "\n";
  BOOST_TEST_MESSAGE(all);
  BOOST_TEST(all.find(index) != std::string::npos, all);
  BOOST_TEST(all.find("SCAN") == std::string::npos, all);
  BOOST_TEST(all.find("TEMP B-TREE") == std::string::npos, all);
}

BOOST_AUTO_TEST_CASE(last_measure_and_date_range_queries_use_the_indexes) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  auto repo = openOrThrow({dir.file("plans.db")}, clock);
  for (int i = 0; i < 50; ++i) {
    requireOk(repo->create(observation("o" + std::to_string(i), "pat-" + std::to_string(i % 5),
                                       kStartMs + i * kDay, i % 2 == 0 ? "29463-7" : "8867-4")));
  }

  // Last measure of a code for a patient: code + patient, newest date first, one result.
  SearchQuery last;
  last.type = "Observation";
  last.patient = "pat-1";
  last.tokens.push_back(TokenFilter{"code", {{kLoinc, "29463-7"}}});
  last.sort = SortOrder::kDateDesc;
  last.count = 1;
  last.withTotal = false;
  auto plan = repo->explainSearch(last);
  requireOk(plan);
  checkIndexed(*plan, "token_lookup");
  last.withTotal = true;  // the total counts through the covering index alone
  plan = repo->explainSearch(last);
  requireOk(plan);
  checkIndexed(*plan, "COVERING INDEX token_lookup");
  // The same without a system, and with two alternatives (duplicates removed by index probes).
  last.tokens.front().anyOf.front().system.reset();
  plan = repo->explainSearch(last);
  requireOk(plan);
  checkIndexed(*plan, "token_lookup");

  // Measures of a patient in a date range, newest first, with and without a code.
  using Column = DateBound::Column;
  using Op = DateBound::Op;
  SearchQuery range;
  range.type = "Observation";
  range.patient = "pat-2";
  range.dates.push_back(DateFilter{
      DateFilter::Target::kDate,
      {{Column::kLow, Op::kGe, kStartMs + 5 * kDay}, {Column::kLow, Op::kLe, kStartMs + 20 * kDay}},
      false, {}});
  range.sort = SortOrder::kDateDesc;
  range.count = 20;
  plan = repo->explainSearch(range);
  requireOk(plan);
  checkIndexed(*plan, "resource_by_patient_date");
  bool rangeSeek = false;
  for (const std::string& line : *plan) {
    if (line.find("date_low>? AND date_low<?") != std::string::npos) rangeSeek = true;
  }
  BOOST_TEST(rangeSeek);

  range.tokens.push_back(TokenFilter{"code", {{kLoinc, "29463-7"}}});
  plan = repo->explainSearch(range);
  requireOk(plan);
  checkIndexed(*plan, "token_lookup");

  // Changes of a patient's resources since a time, oldest first (synchronisation).
  SearchQuery changes;
  changes.type = "Observation";
  changes.patient = "pat-3";
  changes.dates.push_back(
      DateFilter{DateFilter::Target::kLastUpdated, {{Column::kLow, Op::kGt, kStartMs}}, false, {}});
  changes.sort = SortOrder::kLastUpdatedAsc;
  plan = repo->explainSearch(changes);
  requireOk(plan);
  checkIndexed(*plan, "resource_by_patient_updated");

  // And the answers are right.
  auto page = repo->search(last);
  requireOk(page);
  BOOST_TEST(idsOf(*page) == std::vector<std::string>{"o46"});
}

BOOST_AUTO_TEST_CASE(resources_without_a_date_sort_as_the_earliest) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  auto repo = openOrThrow({dir.file("undated.db")}, clock);
  requireOk(repo->create(observation("dated", "pat", kStartMs)));
  requireOk(repo->create(observation("undated", "pat", std::nullopt)));
  SearchQuery query;
  query.type = "Observation";
  query.patient = "pat";
  query.sort = SortOrder::kDateDesc;
  BOOST_TEST(idsOf(*repo->search(query)) == (std::vector<std::string>{"dated", "undated"}));
  query.sort = SortOrder::kDateAsc;
  BOOST_TEST(idsOf(*repo->search(query)) == (std::vector<std::string>{"undated", "dated"}));
}

BOOST_AUTO_TEST_CASE(calls_after_close_are_unavailable) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  auto repo = openOrThrow({dir.file("closed.db")}, clock);
  requireOk(repo->create(observation("obs", "pat", kStartMs)));
  requireOk(repo->close());
  requireOk(repo->close());  // idempotent

  checkUnavailable(repo->read("Observation", "obs"));
  checkUnavailable(repo->vread("Observation", "obs", 1));
  checkUnavailable(repo->history("Observation", "obs"));
  SearchQuery query;
  query.type = "Observation";
  checkUnavailable(repo->search(query));
  checkUnavailable(repo->explainSearch(query));
  checkUnavailable(repo->create(observation("new", "pat", kStartMs)));
  checkUnavailable(repo->update(observation("obs", "pat", kStartMs)));
  checkUnavailable(repo->remove("Observation", "obs", std::nullopt));
  checkUnavailable(repo->transaction([](Transaction&) { return Status::ok(); }));
  checkUnavailable(repo->ping());
}

BOOST_AUTO_TEST_CASE(nested_transactions_and_close_inside_a_callback_are_refused) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  auto repo = openOrThrow({dir.file("nested.db")}, clock);
  Status status = repo->transaction([&](Transaction& tx) -> Status {
    MES_RETURN_IF_ERROR(tx.create(observation("outer", "pat", kStartMs)));
    Status nested = repo->transaction([](Transaction&) { return Status::ok(); });
    BOOST_TEST(!nested.isOk());
    if (!nested)
      BOOST_TEST(static_cast<int>(nested.error().kind) == static_cast<int>(ErrorKind::kInternal));
    BOOST_TEST(!repo->close().isOk());
    return Status::ok();
  });
  requireOk(status);
  requireOk(repo->read("Observation", "outer"));
}

BOOST_AUTO_TEST_CASE(negative_paging_is_refused) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  auto repo = openOrThrow({dir.file("paging.db")}, clock);
  SearchQuery query;
  query.type = "Observation";
  query.count = -1;
  auto page = repo->search(query);
  BOOST_REQUIRE(!page.isOk());
  BOOST_TEST(page.error().code() == "invalid-search");
  query.count = 10;
  query.offset = -5;
  BOOST_TEST(repo->search(query).error().code() == "invalid-search");
}

BOOST_AUTO_TEST_CASE(open_refuses_bad_paths_and_files) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  BOOST_TEST(!SqliteRepository::open({":memory:"}, clock).isOk());
  BOOST_TEST(!SqliteRepository::open({""}, clock).isOk());
  BOOST_TEST(!SqliteRepository::open({dir.file("missing/dir/store.db")}, clock).isOk());
  SqliteOptions noReaders{dir.file("ok.db")};
  noReaders.readConnections = 0;
  BOOST_TEST(!SqliteRepository::open(noReaders, clock).isOk());

  const std::string garbage = dir.file("garbage.db");
  {
    std::ofstream out(garbage, std::ios::binary);
    out << std::string(8192, 'x');
  }
  auto refused = SqliteRepository::open({garbage}, clock);
  BOOST_REQUIRE(!refused.isOk());
  BOOST_TEST(static_cast<int>(refused.error().kind) == static_cast<int>(ErrorKind::kInternal));
  BOOST_TEST(refused.error().detail.find("sqlite") != std::string::npos, refused.error().detail);
  // The client-facing message never carries SQLite's words.
  BOOST_TEST(refused.error().problems.front().message.find("sqlite") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_long_burst_of_writes_keeps_the_wal_bounded) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  const std::string path = dir.file("burst.db");
  constexpr int kWrites = 2500;  // about 30 000 WAL frames (120 MiB) if it were never rewound
  {
    auto repo = openOrThrow({path}, clock);
    for (int i = 0; i < kWrites; ++i) {
      WriteRequest request =
          observation("o" + std::to_string(i), "pat-" + std::to_string(i % 7), kStartMs + i);
      request.index.tokens.push_back({"category", "urn:cat", "vital-signs"});
      request.index.references.push_back({"device", "Device/d" + std::to_string(i % 3)});
      requireOk(repo->create(request));
    }
    BOOST_TEST(std::filesystem::file_size(path + "-wal") < 40u * 1024 * 1024);
    SearchQuery query;
    query.type = "Observation";
    query.count = 0;
    BOOST_TEST(repo->search(query)->total.value_or(-1) == kWrites);
    requireOk(repo->close());
  }
  auto reopened = openOrThrow({path}, clock);
  auto last = reopened->read("Observation", "o" + std::to_string(kWrites - 1));
  requireOk(last);
  BOOST_TEST(last->versionId == 1);
}

BOOST_AUTO_TEST_CASE(one_reader_connection_serves_many_threads_with_full_sync) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  SqliteOptions options{dir.file("pool.db")};
  options.readConnections = 1;
  options.synchronousFull = true;
  auto repo = openOrThrow(options, clock);
  requireOk(repo->create(observation("obs", "pat", kStartMs)));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&repo, &failures, t] {
      for (int i = 0; i < 100; ++i) {
        if (!repo->read("Observation", "obs").isOk()) ++failures;
        if (i % 10 == 0 &&
            !repo->create(observation("t" + std::to_string(t) + "-" + std::to_string(i), "pat",
                                      kStartMs))
                 .isOk()) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(failures.load() == 0);
  SearchQuery query;
  query.type = "Observation";
  query.patient = "pat";
  query.count = 0;
  BOOST_TEST(repo->search(query)->total.value_or(-1) == 41);
}

BOOST_AUTO_TEST_SUITE_END()
