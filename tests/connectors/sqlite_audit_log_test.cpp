// The SQLite audit log (migration 5): append order and numbering, the activity query, the
// first-access lookup, the query plans the hot paths rely on, and the append-only triggers.
#include "connectors/sqlite/sqlite_audit_log.h"

#include <boost/test/unit_test.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/sqlite/sqlite_database.h"
#include "connectors/sqlite_inspect.h"
#include "connectors/temp_dir.h"
#include "core/clock.h"

namespace {

using mes::store::AuditEntry;
using mes::store::SqliteAuditLog;
using mes::store::SqliteDatabase;
using mes::test::inspect;
using mes::test::queryInt;
using mes::test::TempDir;

constexpr int64_t kT0 = 1'700'000'000'000;

AuditEntry entry(std::string patient, std::string client, int64_t at, std::string requestId) {
  AuditEntry e;
  e.recordedMs = at;
  e.category = "rest";
  e.action = "R";
  e.subtype = "read";
  e.httpStatus = 200;
  e.patientId = std::move(patient);
  e.clientId = std::move(client);
  e.serviceName = "Tensio+";
  e.serviceOid = "urn:oid:1.2.250.1.999.1";
  e.resource = "Observation/o-1";
  e.query = "code=http://loinc.org|29463-7";
  e.sourceAddress = "192.0.2.1";
  e.requestId = std::move(requestId);
  return e;
}

struct Fixture {
  Fixture() : clock(kT0) {
    auto db = SqliteDatabase::open({.path = path}, clock);
    if (!db) throw std::runtime_error("cannot open the store: " + db.error().detail);
    database = std::move(db).value();
    auto opened = SqliteAuditLog::open(database);
    if (!opened) throw std::runtime_error("cannot open the audit log: " + opened.error().detail);
    log = std::move(opened).value();
  }
  void append(std::vector<AuditEntry>& entries) {
    std::vector<AuditEntry*> pointers;
    for (AuditEntry& e : entries) pointers.push_back(&e);
    auto s = log->append(pointers);
    BOOST_REQUIRE_MESSAGE(s.isOk(), (s.isOk() ? std::string() : s.error().detail));
  }
  std::vector<std::string> requestIds(const std::string& patient, const std::string& client,
                                      int limit, int offset) {
    auto rows = log->forPatient(patient, client, limit, offset);
    BOOST_REQUIRE(rows.isOk());
    std::vector<std::string> out;
    for (const AuditEntry& e : *rows) out.push_back(e.requestId);
    return out;
  }

  TempDir dir{"mes-audit-log"};
  std::string path = dir.file("store.db");
  mes::ManualClock clock;
  std::shared_ptr<SqliteDatabase> database;
  std::shared_ptr<SqliteAuditLog> log;
};

using Ids = std::vector<std::string>;

}  // namespace

BOOST_FIXTURE_TEST_SUITE(sqlite_audit_log, Fixture)

BOOST_AUTO_TEST_CASE(append_numbers_entries_in_order_and_stores_every_field) {
  std::vector<AuditEntry> batch = {entry("pat-1", "tensio", kT0, "a"),
                                   entry("pat-1", "tensio", kT0 + 1, "b")};
  batch[1].success = false;
  batch[1].httpStatus = 403;
  batch[1].outcomeCode = "consent-missing";
  batch[1].outcomeText = "Le patient n'a pas autorisé cet accès.";
  batch[1].actor = "evaluatrice@ans.example";
  append(batch);
  BOOST_TEST(batch[0].seq > 0);
  BOOST_TEST(batch[1].seq == batch[0].seq + 1);
  std::vector<AuditEntry> more = {entry("pat-1", "tensio", kT0 + 2, "c")};
  append(more);
  BOOST_TEST(more[0].seq == batch[1].seq + 1);

  auto rows = log->forPatient("pat-1", "", 10, 0);
  BOOST_REQUIRE(rows.isOk());
  BOOST_REQUIRE_EQUAL(rows->size(), 3u);
  BOOST_TEST(((*rows)[0] == more[0]));
  BOOST_TEST(((*rows)[1] == batch[1]));  // every field, the refusal's included
  BOOST_TEST(((*rows)[2] == batch[0]));

  std::vector<AuditEntry> none;
  append(none);
  BOOST_TEST(queryInt(*inspect(path), "SELECT COUNT(*) FROM audit_log") == 3);
}

BOOST_AUTO_TEST_CASE(for_patient_is_newest_first_paged_and_filtered_by_client) {
  std::vector<AuditEntry> batch = {
      entry("pat-1", "tensio", kT0 + 30, "t30"), entry("pat-1", "gluco", kT0 + 20, "g20"),
      entry("pat-2", "tensio", kT0 + 50, "other"), entry("pat-1", "tensio", kT0 + 10, "t10"),
      entry("pat-1", "tensio", kT0 + 20, "t20")};  // same instant as g20, appended later
  append(batch);
  BOOST_TEST(requestIds("pat-1", "", 10, 0) == (Ids{"t30", "t20", "g20", "t10"}),
             boost::test_tools::per_element());
  BOOST_TEST(requestIds("pat-1", "", 2, 1) == (Ids{"t20", "g20"}), boost::test_tools::per_element());
  BOOST_TEST(requestIds("pat-1", "tensio", 10, 0) == (Ids{"t30", "t20", "t10"}),
             boost::test_tools::per_element());
  BOOST_TEST(requestIds("pat-1", "gluco", 10, 0) == (Ids{"g20"}), boost::test_tools::per_element());
  BOOST_TEST(requestIds("pat-3", "", 10, 0).empty());
  BOOST_TEST(requestIds("pat-1", "", 10, 4).empty());
}

BOOST_AUTO_TEST_CASE(has_succeeded_counts_only_successful_rest_entries_with_both_parties) {
  auto succeeded = [&](const std::string& patient, const std::string& client) {
    auto r = log->hasSucceeded(patient, client);
    BOOST_REQUIRE(r.isOk());
    return *r;
  };
  std::vector<AuditEntry> batch = {entry("pat-1", "tensio", kT0, "refused"),
                                   entry("pat-1", "tensio", kT0, "oauth"),
                                   entry("", "tensio", kT0, "anonymous")};
  batch[0].success = false;
  batch[0].httpStatus = 403;
  batch[1].category = "oauth";
  batch[1].subtype = "token-issued";
  append(batch);
  BOOST_TEST(!succeeded("pat-1", "tensio"));
  BOOST_TEST(!succeeded("", "tensio"));
  std::vector<AuditEntry> ok = {entry("pat-1", "tensio", kT0, "ok"), entry("pat-1", "tensio", kT0, "again")};
  append(ok);
  BOOST_TEST(succeeded("pat-1", "tensio"));
  BOOST_TEST(!succeeded("pat-1", "gluco"));
  BOOST_TEST(!succeeded("pat-2", "tensio"));
  // One row per pair, naming the first success.
  auto db = inspect(path);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM audit_service_access") == 1);
  BOOST_TEST(queryInt(*db, "SELECT first_seq FROM audit_service_access") == ok[0].seq);
}

BOOST_AUTO_TEST_CASE(the_hot_queries_are_index_seeks) {
  auto db = inspect(path);
  auto plan = [&](std::string_view sql) { return mes::test::queryPlan(*db, sql); };
  const std::string activity =
      plan("SELECT seq FROM audit_log WHERE patient_id = 'p' AND client_id = 'c' "
           "ORDER BY recorded_ms DESC, seq DESC LIMIT 10 OFFSET 0");
  BOOST_TEST(activity.find("USING INDEX audit_log_by_patient (patient_id=?)") != std::string::npos,
             activity);
  BOOST_TEST(activity.find("TEMP B-TREE") == std::string::npos, activity);  // no sort step
  const std::string first =
      plan("SELECT 1 FROM audit_service_access WHERE patient_id = 'p' AND client_id = 'c'");
  BOOST_TEST(first.find("USING PRIMARY KEY (patient_id=? AND client_id=?)") != std::string::npos,
             first);
}

BOOST_AUTO_TEST_CASE(raw_sql_from_another_connection_cannot_change_or_remove_an_entry) {
  std::vector<AuditEntry> batch = {entry("pat-1", "tensio", kT0, "kept")};
  append(batch);
  const std::string_view kStatements[] = {
      "UPDATE audit_log SET success = 0",
      "UPDATE audit_log SET patient_id = 'pat-2'",
      "DELETE FROM audit_log",
      "UPDATE audit_service_access SET client_id = 'gluco'",
      "DELETE FROM audit_service_access",
  };
  auto db = inspect(path);
  for (std::string_view sql : kStatements) {
    BOOST_TEST_CONTEXT(sql) {
      auto status = db->exec(sql);
      BOOST_TEST(!status.isOk());
      if (!status.isOk()) {
        BOOST_TEST(status.error().detail.find("append-only") != std::string::npos,
                   status.error().detail);
      }
    }
  }
  auto rows = log->forPatient("pat-1", "", 10, 0);
  BOOST_REQUIRE(rows.isOk());
  BOOST_REQUIRE_EQUAL(rows->size(), 1u);
  BOOST_TEST(((*rows)[0] == batch[0]));
  BOOST_TEST(*log->hasSucceeded("pat-1", "tensio"));
}

BOOST_AUTO_TEST_SUITE_END()
