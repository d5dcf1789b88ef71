// The PostgreSQL audit log (entries, journal marks of several instances' journals, the activity
// query, first access) and the access-state reader, which have no shared suite.
#include <boost/test/unit_test.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "connectors/postgres/postgres_access_state.h"
#include "connectors/postgres/postgres_audit_log.h"
#include "connectors/postgres/postgres_oauth_stores.h"
#include "connectors/postgres/postgres_repository.h"
#include "core/clock.h"
#include "postgres/pg_test_store.h"

namespace {

using namespace mes::store;

constexpr int64_t kT0 = 1'700'000'000'000;

template <typename T>
std::shared_ptr<T> orThrow(mes::Result<std::shared_ptr<T>> opened) {
  if (!opened) throw std::runtime_error("cannot open a PostgreSQL store: " + opened.error().detail);
  return std::move(opened).value();
}

AuditEntry entry(const std::string& patient, const std::string& client, int64_t at,
                 const std::string& category = "rest", bool success = true) {
  return AuditEntry{.recordedMs = at,
                    .category = category,
                    .action = "R",
                    .subtype = "read",
                    .success = success,
                    .httpStatus = success ? 200 : 403,
                    .patientId = patient,
                    .clientId = client,
                    .resource = "Observation/1",
                    .requestId = "req"};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(postgres_audit_and_access)

BOOST_AUTO_TEST_CASE(entries_are_numbered_listed_newest_first_and_first_access_is_kept) {
  mes::ManualClock clock(kT0);
  auto log = orThrow(PostgresAuditLog::open(mes::test::openTestDatabase(clock)));
  AuditEntry a = entry("p1", "app", kT0, "rest", false);
  AuditEntry b = entry("p1", "app", kT0 + 10);
  AuditEntry c = entry("p2", "app", kT0 + 20);
  AuditEntry d = entry("p1", "other", kT0 + 30, "oauth");
  a.actor = "evaluatrice@ans.example";  // every field comes back, the actor too
  BOOST_REQUIRE(log->append({&a, &b, &c, &d}).isOk());
  BOOST_TEST(a.seq > 0);
  BOOST_TEST(b.seq > a.seq);
  BOOST_TEST(d.seq > c.seq);

  auto p1 = log->forPatient("p1", "", 10, 0);
  BOOST_REQUIRE(p1.isOk());
  BOOST_REQUIRE_EQUAL(p1->size(), 3U);
  BOOST_TEST((*p1)[0].seq == d.seq);
  BOOST_TEST(((*p1)[2] == a));
  auto oneApp = log->forPatient("p1", "app", 1, 1);
  BOOST_REQUIRE(oneApp.isOk());
  BOOST_REQUIRE_EQUAL(oneApp->size(), 1U);
  BOOST_TEST((*oneApp)[0].seq == a.seq);

  BOOST_TEST(*log->hasSucceeded("p1", "app"));     // b
  BOOST_TEST(!*log->hasSucceeded("p1", "other"));  // an oauth entry is not a data access
  BOOST_TEST(*log->hasSucceeded("p2", "app"));
}

BOOST_AUTO_TEST_CASE(each_journal_has_its_own_mark_written_with_its_entries) {
  mes::ManualClock clock(kT0);
  auto log = orThrow(PostgresAuditLog::open(mes::test::openTestDatabase(clock)));
  BOOST_TEST(!log->journalMark("gw-a/journal-0")->has_value());
  AuditEntry a = entry("p1", "app", kT0);
  AuditEntry b = entry("p1", "app", kT0 + 1);
  BOOST_REQUIRE(log->appendImported({&a}, "gw-a/journal-0", JournalMark{1, 100}).isOk());
  BOOST_REQUIRE(log->appendImported({&b}, "gw-b/journal-0", JournalMark{3, 40}).isOk());
  BOOST_REQUIRE(log->appendImported({}, "gw-a/journal-0", JournalMark{2, 0}).isOk());
  BOOST_TEST((**log->journalMark("gw-a/journal-0") == JournalMark{2, 0}));
  BOOST_TEST((**log->journalMark("gw-b/journal-0") == JournalMark{3, 40}));
  BOOST_TEST(log->forPatient("p1", "", 10, 0)->size() == 2U);
}

BOOST_AUTO_TEST_CASE(access_state_reads_service_pairing_and_family_at_once) {
  mes::ManualClock clock(kT0);
  auto database = mes::test::openTestDatabase(clock);
  auto oauth = orThrow(PostgresOAuthStores::open(database, clock));
  PostgresRepository repository(database, clock);
  PostgresAccessState reader(database);

  auto none = reader.accessState("app", "consent-1", "family-1");
  BOOST_REQUIRE(none.isOk());
  BOOST_TEST(!none->serviceVersion.has_value());
  BOOST_TEST(!none->pairingVersion.has_value());
  BOOST_TEST(!none->familyLive);

  ServiceRecord service;
  service.clientId = "app";
  service.name = "App";
  service.clientType = "public";
  service.redirectUris = {"https://app.example/cb"};
  service.status = "referenced";
  BOOST_REQUIRE(oauth->createService(service).isOk());
  WriteRequest consent;
  consent.type = "Consent";
  consent.id = "consent-1";
  consent.render = [](int64_t, int64_t) -> mes::Result<std::string> { return std::string("{}"); };
  BOOST_REQUIRE(repository.create(consent).isOk());
  RefreshToken first;
  first.familyId = "family-1";
  first.clientId = "app";
  first.patientId = "p1";
  first.issuedMs = kT0;
  BOOST_REQUIRE(oauth->createFamily(first).isOk());

  auto live = reader.accessState("app", "consent-1", "family-1");
  BOOST_REQUIRE(live.isOk());
  BOOST_TEST(*live->serviceVersion == 1);
  BOOST_TEST(live->serviceStatus == "referenced");
  BOOST_TEST(*live->pairingVersion == 1);
  BOOST_TEST(!live->pairingDeleted);
  BOOST_TEST(live->familyLive);

  BOOST_REQUIRE(oauth->revokeFamily("family-1", kT0 + 1).isOk());
  BOOST_REQUIRE(repository.remove("Consent", "consent-1", std::nullopt).isOk());
  auto ended = reader.accessState("app", "consent-1", "family-1");
  BOOST_REQUIRE(ended.isOk());
  BOOST_TEST(*ended->pairingVersion == 2);
  BOOST_TEST(ended->pairingDeleted);
  BOOST_TEST(!ended->familyLive);
}

BOOST_AUTO_TEST_CASE(connection_strings_are_redacted_and_bad_servers_are_unavailable) {
  BOOST_TEST(redactConnectionString("postgresql://gw:s3cret@db.example:5432/mes?sslmode=require") ==
             "postgresql://gw:***@db.example:5432/mes?sslmode=require");
  BOOST_TEST(redactConnectionString("postgresql://gw@db/mes?password=s3cret&x=1") ==
             "postgresql://gw@db/mes?password=***&x=1");
  BOOST_TEST(redactConnectionString("host=db user=gw password='a b' dbname=mes") ==
             "host=db user=gw password=*** dbname=mes");
  mes::ManualClock clock(kT0);
  PostgresOptions options;
  options.url = "postgresql://gw:s3cret@127.0.0.1:1/mes";  // nothing listens on port 1
  options.connectTimeoutSeconds = 2;
  auto opened = PostgresDatabase::open(options, clock);
  BOOST_REQUIRE(!opened.isOk());
  BOOST_TEST(opened.error().code() == "store-unavailable");
  BOOST_TEST(opened.error().detail.find("s3cret") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
