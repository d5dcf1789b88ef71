// The SQLite registry store: the shared suite (registry_store_suite.h), then what is SQLite's
// own: append-only history and evidence in the data itself, the rows a change writes, and the
// schema check at open.
#include "connectors/sqlite/sqlite_registry_store.h"

#include <boost/test/unit_test.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>

#include "connectors/sqlite/sqlite_database.h"
#include "connectors/sqlite/sqlite_oauth_stores.h"
#include "connectors/sqlite_inspect.h"
#include "connectors/temp_dir.h"
#include "core/clock.h"

namespace {

using mes::store::SqliteDatabase;
using mes::store::SqliteOAuthStores;
using mes::store::SqliteRegistryStore;

constexpr int64_t kStartMs = 1'700'000'000'000;

std::shared_ptr<SqliteDatabase> openRegistryDatabase(const std::string& path,
                                                     const mes::Clock& clock) {
  mes::store::SqliteOptions options;
  options.path = path;
  auto opened = SqliteDatabase::open(options, clock);
  if (!opened) throw std::runtime_error("cannot open the database: " + opened.error().detail);
  return std::move(opened).value();
}

class SqliteRegistryFixture {
 public:
  SqliteRegistryFixture()
      : clock_(kStartMs), database_(openRegistryDatabase(dir_.file("registry.db"), clock_)) {
    auto registry = SqliteRegistryStore::open(database_, clock_);
    auto oauth = SqliteOAuthStores::open(database_, clock_);
    if (!registry || !oauth) throw std::runtime_error("cannot open the stores");
    registry_ = std::move(registry).value();
    oauth_ = std::move(oauth).value();
  }
  mes::ManualClock& clock() { return clock_; }
  mes::store::RegistryStore& registry() { return *registry_; }
  mes::store::ServiceStore& services() { return *oauth_; }
  const std::string& path() const { return database_->path(); }

 private:
  mes::test::TempDir dir_;
  mes::ManualClock clock_;
  std::shared_ptr<SqliteDatabase> database_;
  std::shared_ptr<SqliteRegistryStore> registry_;
  std::shared_ptr<SqliteOAuthStores> oauth_;
};

}  // namespace

#define MES_REGISTRY_STORE_SUITE_NAME sqlite_registry_store_suite
#define MES_REGISTRY_STORE_SUITE_STORES std::tuple<SqliteRegistryFixture>
#include "connectors/registry_store_suite.h"

BOOST_AUTO_TEST_SUITE(sqlite_registry_store)

using mes::test::inspect;
using mes::test::queryInt;
namespace rs = sqlite_registry_store_suite::registry_suite;

BOOST_AUTO_TEST_CASE(history_and_evidence_are_append_only_in_the_data) {
  SqliteRegistryFixture f;
  auto& r = f.registry();
  BOOST_REQUIRE(
      r.createEntry(rs::draft("tensio", ""), rs::event("create", "", "draft", kStartMs)).isOk());
  BOOST_REQUIRE(r.addEvidence(rs::evidence("tensio", "evidence-1", "{}"), 1,
                              rs::event("add_evidence", "draft", "draft", kStartMs))
                    .isOk());
  auto db = inspect(f.path());
  BOOST_TEST(!db->exec("UPDATE registry_history SET reason = 'rewritten'").isOk());
  BOOST_TEST(!db->exec("DELETE FROM registry_history").isOk());
  BOOST_TEST(!db->exec("UPDATE registry_evidence SET content = '{}'").isOk());
  BOOST_TEST(!db->exec("DELETE FROM registry_evidence").isOk());
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM registry_history") == 2);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM registry_evidence") == 1);
}

BOOST_AUTO_TEST_CASE(a_change_writes_the_service_its_details_and_its_event_together) {
  SqliteRegistryFixture f;
  auto& r = f.registry();
  auto entry = rs::draft("tensio", "");
  entry.details.reservations = {"a", "b"};
  BOOST_REQUIRE(r.createEntry(entry, rs::event("create", "", "draft", kStartMs)).isOk());
  auto db = inspect(f.path());
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM services WHERE client_id = 'tensio'") == 1);
  BOOST_TEST(queryInt(*db,
                      "SELECT COUNT(*) FROM registry_services WHERE client_id = 'tensio' "
                      "AND requested_accesses = 'mesures.read mesures.write' "
                      "AND organisation_id IS NULL") == 1);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM registry_reservations") == 2);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM registry_history") == 1);
  // The data refuses what the code refuses.
  BOOST_TEST(!db->exec("UPDATE registry_services SET decision = 'maybe'").isOk());
  BOOST_TEST(!db->exec("INSERT INTO registry_organisations VALUES ('org-x1234', 'X', "
                       "'1234', 'urn:oid:1', '', 0)")
                  .isOk());
}

BOOST_AUTO_TEST_CASE(the_store_needs_the_registry_schema) {
  BOOST_TEST(SqliteDatabase::latestSchemaVersion() >= SqliteRegistryStore::kSchemaVersion);
  mes::ManualClock clock(kStartMs);
  auto refused = SqliteRegistryStore::open(nullptr, clock);
  BOOST_TEST(!refused.isOk());
}

BOOST_AUTO_TEST_SUITE_END()
