// Migration 3: AuditEvent resources are append-only in the SQLite store, whatever the code
// above it does. Neither the repository API nor raw SQL on another connection can change or
// remove one; other resource types are unaffected.
#include <boost/test/unit_test.hpp>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "connectors/sqlite/sqlite_repository.h"
#include "connectors/sqlite_inspect.h"
#include "connectors/temp_dir.h"
#include "core/clock.h"

namespace {

using mes::Result;
using mes::store::ResourceRecord;
using mes::store::SqliteRepository;
using mes::store::WriteRequest;
using mes::test::inspect;
using mes::test::queryInt;
using mes::test::TempDir;

constexpr int64_t kStartMs = 1'700'000'000'000;

WriteRequest resource(const std::string& type, const std::string& id, const std::string& body) {
  WriteRequest request;
  request.type = type;
  request.id = id;
  request.source = "urn:mes-gateway";
  request.index.patient = "pat-1";
  request.index.dateLowMs = kStartMs;
  request.index.dateHighMs = kStartMs;
  request.index.tokens.push_back({"outcome", "http://hl7.org/fhir/audit-event-outcome", "0"});
  request.render = [type, id, body](int64_t version, int64_t) -> Result<std::string> {
    return R"({"resourceType":")" + type + R"(","id":")" + id + R"(","meta":{"versionId":")" +
           std::to_string(version) + R"("},"outcome":")" + body + R"("})";
  };
  return request;
}

struct Fixture {
  Fixture() : clock(kStartMs) {
    auto opened = SqliteRepository::open({path}, clock);
    if (!opened) throw std::runtime_error("cannot open the store: " + opened.error().detail);
    repo = std::move(opened).value();
    auto created = repo->create(resource("AuditEvent", "ae-1", "0"));
    BOOST_REQUIRE(created.isOk());
    original = *created;
  }
  // The AuditEvent as stored, checked against what create() returned.
  void requireUnchanged() {
    auto now = repo->read("AuditEvent", "ae-1");
    BOOST_REQUIRE(now.isOk());
    BOOST_TEST(now->versionId == 1);
    BOOST_TEST(!now->deleted);
    BOOST_TEST(now->content == original.content);
    BOOST_TEST(now->lastUpdatedMs == original.lastUpdatedMs);
    auto history = repo->history("AuditEvent", "ae-1");
    BOOST_REQUIRE(history.isOk());
    BOOST_TEST(history->size() == 1u);
    auto db = inspect(path);
    BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM resource WHERE type = 'AuditEvent'") == 1);
    BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM resource_version v JOIN resource r "
                             "ON r.rid = v.rid WHERE r.type = 'AuditEvent'") == 1);
    BOOST_TEST(queryInt(*db, "SELECT deleted FROM resource WHERE type = 'AuditEvent'") == 0);
  }

  TempDir dir;
  std::string path = dir.file("store.db");
  mes::ManualClock clock;
  std::unique_ptr<SqliteRepository> repo;
  ResourceRecord original;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(sqlite_audit_append_only, Fixture)

BOOST_AUTO_TEST_CASE(the_repository_refuses_a_new_version) {
  clock.advance(1000);
  auto updated = repo->update(resource("AuditEvent", "ae-1", "4"));
  BOOST_TEST(!updated.isOk());
  requireUnchanged();
}

BOOST_AUTO_TEST_CASE(the_repository_refuses_a_delete) {
  clock.advance(1000);
  auto removed = repo->remove("AuditEvent", "ae-1", std::nullopt);
  BOOST_TEST(!removed.isOk());
  requireUnchanged();
}

BOOST_AUTO_TEST_CASE(a_refused_change_rolls_back_the_whole_transaction) {
  // An Observation written in the same transaction as the refused change does not stay.
  auto status = repo->transaction([](mes::store::Transaction& tx) -> mes::Status {
    MES_RETURN_IF_ERROR(tx.create(resource("Observation", "obs-1", "x")).status());
    MES_RETURN_IF_ERROR(tx.update(resource("AuditEvent", "ae-1", "4")).status());
    return mes::Status::ok();
  });
  BOOST_TEST(!status.isOk());
  BOOST_TEST(static_cast<int>(repo->read("Observation", "obs-1").error().kind) ==
             static_cast<int>(mes::ErrorKind::kNotFound));
  requireUnchanged();
}

BOOST_AUTO_TEST_CASE(raw_sql_from_another_connection_is_refused) {
  const std::string_view kStatements[] = {
      "UPDATE resource SET deleted = 1 WHERE type = 'AuditEvent'",
      "UPDATE resource SET patient = 'pat-2' WHERE type = 'AuditEvent'",
      "UPDATE resource SET type = 'Observation' WHERE type = 'AuditEvent'",
      "DELETE FROM resource WHERE type = 'AuditEvent'",
      "UPDATE resource_version SET content = '{}' "
      "WHERE rid = (SELECT rid FROM resource WHERE type = 'AuditEvent')",
      "DELETE FROM resource_version "
      "WHERE rid = (SELECT rid FROM resource WHERE type = 'AuditEvent')",
      "INSERT INTO resource_version (rid, version_id, last_updated, deleted, source, content) "
      "SELECT rid, 2, last_updated + 1, 1, 'urn:x', NULL FROM resource WHERE type = 'AuditEvent'",
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
  db.reset();
  requireUnchanged();
}

BOOST_AUTO_TEST_CASE(other_types_stay_writable) {
  BOOST_REQUIRE(repo->create(resource("Observation", "obs-1", "x")).isOk());
  clock.advance(1000);
  auto updated = repo->update(resource("Observation", "obs-1", "y"));
  BOOST_REQUIRE(updated.isOk());
  BOOST_TEST(updated->versionId == 2);
  auto db = inspect(path);
  BOOST_TEST(db->exec("UPDATE resource SET patient = 'pat-2' WHERE type = 'Observation'").isOk());
  // A second AuditEvent is an insert, which is what the trail does.
  BOOST_TEST(repo->create(resource("AuditEvent", "ae-2", "0")).isOk());
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM resource WHERE type = 'AuditEvent'") == 2);
}

BOOST_AUTO_TEST_SUITE_END()
