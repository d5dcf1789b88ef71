// The per-request access state (connectors/sqlite/sqlite_access_state.h): what it reads for a
// service, a Consent and a grant family as each changes, unknown ids, and that each part is a
// key lookup (the read runs on every authenticated request).
#include "connectors/sqlite/sqlite_access_state.h"

#include <boost/test/unit_test.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include "connectors/sqlite/sqlite_database.h"
#include "connectors/sqlite/sqlite_oauth_stores.h"
#include "connectors/sqlite/sqlite_repository.h"
#include "connectors/sqlite_inspect.h"
#include "connectors/temp_dir.h"
#include "core/clock.h"

namespace {

using mes::store::AccessState;
using mes::store::SqliteAccessState;

constexpr int64_t kT0 = 1'700'000'000'000;

struct World {
  World() : clock(kT0) {
    auto opened = mes::store::SqliteDatabase::open({dir.file("store.db")}, clock);
    if (!opened) throw std::runtime_error(opened.error().detail);
    database = std::move(*opened);
    repository = std::make_unique<mes::store::SqliteRepository>(database, clock);
    auto stores = mes::store::SqliteOAuthStores::open(database, clock);
    if (!stores) throw std::runtime_error(stores.error().detail);
    oauth = std::move(*stores);
    states = std::make_unique<SqliteAccessState>(database);
  }

  AccessState read(const std::string& client = "tensio", const std::string& consent = "c-1",
                   const std::string& family = "fam-1") {
    auto state = states->accessState(client, consent, family);
    BOOST_REQUIRE_MESSAGE(state.isOk(), (state ? "" : state.error().detail));
    return *state;
  }

  void addService(const std::string& status) {
    mes::store::ServiceRecord s;
    s.clientId = "tensio";
    s.name = "Tensio+";
    s.editorName = "Tensio SAS";
    s.editorOid = "urn:oid:1.2.250.1.999.1";
    s.clientType = "public";
    s.redirectUris = {"https://tensio.example/cb"};
    s.allowedScopes = "patient/Observation.rs";
    s.status = status;
    BOOST_REQUIRE(oauth->createService(s).isOk());
  }

  void writeConsent(bool create) {
    mes::store::WriteRequest w;
    w.type = "Consent";
    w.id = "c-1";
    w.render = [](int64_t, int64_t) -> mes::Result<std::string> {
      return std::string(R"({"resourceType":"Consent"})");
    };
    BOOST_REQUIRE(create ? repository->create(w).isOk() : repository->update(w).isOk());
  }

  void addFamily() {
    mes::store::RefreshToken first;
    first.familyId = "fam-1";
    first.clientId = "tensio";
    first.patientId = "pat-1";
    first.scope = "patient/Observation.rs";
    first.issuedMs = kT0;
    first.expiresMs = kT0 + 3'600'000;
    BOOST_REQUIRE(oauth->createFamily(first).isOk());
  }

  mes::test::TempDir dir{"mes-access-state"};
  mes::ManualClock clock;
  std::shared_ptr<mes::store::SqliteDatabase> database;
  std::unique_ptr<mes::store::SqliteRepository> repository;
  std::shared_ptr<mes::store::SqliteOAuthStores> oauth;
  std::unique_ptr<SqliteAccessState> states;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(sqlite_access_state)

BOOST_AUTO_TEST_CASE(nothing_known_reads_as_absent_not_as_an_error) {
  World w;
  const AccessState state = w.read("ghost", "no-consent", "no-family");
  BOOST_TEST(!state.serviceVersion.has_value());
  BOOST_TEST(state.serviceStatus.empty());
  BOOST_TEST(!state.pairingVersion.has_value());
  BOOST_TEST(!state.pairingDeleted);
  BOOST_TEST(!state.familyLive);
}

BOOST_AUTO_TEST_CASE(each_part_follows_its_store) {
  World w;
  w.addService("referenced");
  w.writeConsent(true);
  w.addFamily();
  AccessState state = w.read();
  BOOST_TEST(state.serviceVersion.value_or(0) == 1);
  BOOST_TEST(state.serviceStatus == "referenced");
  BOOST_TEST(state.pairingVersion.value_or(0) == 1);
  BOOST_TEST(!state.pairingDeleted);
  BOOST_TEST(state.familyLive);

  auto service = w.oauth->service("tensio");
  BOOST_REQUIRE(service.isOk());
  mes::store::ServiceRecord suspended = *service;
  suspended.status = "suspended";
  BOOST_REQUIRE(w.oauth->updateService(suspended, service->version).isOk());
  w.writeConsent(false);
  BOOST_REQUIRE(w.oauth->revokeFamily("fam-1", kT0 + 1).isOk());
  state = w.read();
  BOOST_TEST(state.serviceVersion.value_or(0) == 2);
  BOOST_TEST(state.serviceStatus == "suspended");
  BOOST_TEST(state.pairingVersion.value_or(0) == 2);
  BOOST_TEST(!state.familyLive);

  BOOST_REQUIRE(w.repository->remove("Consent", "c-1", std::nullopt).isOk());
  state = w.read();
  BOOST_TEST(state.pairingVersion.value_or(0) == 3);
  BOOST_TEST(state.pairingDeleted);
}

BOOST_AUTO_TEST_CASE(a_consent_id_of_another_type_is_not_a_pairing) {
  World w;
  mes::store::WriteRequest observation;
  observation.type = "Observation";
  observation.id = "c-1";
  observation.render = [](int64_t, int64_t) -> mes::Result<std::string> {
    return std::string(R"({"resourceType":"Observation"})");
  };
  BOOST_REQUIRE(w.repository->create(observation).isOk());
  BOOST_TEST(!w.read().pairingVersion.has_value());
}

BOOST_AUTO_TEST_CASE(every_part_is_a_key_lookup) {
  World w;
  auto db = mes::test::inspect(w.dir.file("store.db"));
  const std::string plan = mes::test::queryPlan(*db, SqliteAccessState::kQuery);
  BOOST_TEST(plan.find("SCAN s") == std::string::npos, plan);
  BOOST_TEST(plan.find("SCAN r") == std::string::npos, plan);
  BOOST_TEST(plan.find("SCAN refresh_families") == std::string::npos, plan);
  BOOST_TEST(plan.find("SEARCH s USING INDEX") != std::string::npos, plan);
  BOOST_TEST(plan.find("SEARCH r USING INDEX resource_by_id") != std::string::npos, plan);
  BOOST_TEST(plan.find("SEARCH refresh_families USING INDEX") != std::string::npos, plan);
}

BOOST_AUTO_TEST_SUITE_END()
