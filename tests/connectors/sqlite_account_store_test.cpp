#include "connectors/sqlite/sqlite_account_store.h"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <latch>
#include <memory>
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

using mes::store::SqliteAccountStore;
using mes::store::SqliteDatabase;
using mes::store::SqliteOptions;
using mes::test::TempDir;

constexpr int64_t kStartMs = 1'690'000'000'000;

std::shared_ptr<SqliteDatabase> openAccountDatabase(const std::string& path,
                                                    const mes::Clock& clock) {
  SqliteOptions options;
  options.path = path;
  auto opened = SqliteDatabase::open(options, clock);
  if (!opened) throw std::runtime_error("cannot open the database: " + opened.error().detail);
  return std::move(opened).value();
}

std::shared_ptr<SqliteAccountStore> openAccountStore(std::shared_ptr<SqliteDatabase> database) {
  auto opened = SqliteAccountStore::open(std::move(database));
  if (!opened) throw std::runtime_error("cannot open the account store: " + opened.error().detail);
  return std::move(opened).value();
}

// The SQLite stores for the shared suite: a new database file per test.
class SqliteAccountFixture {
 public:
  SqliteAccountFixture()
      : clock_(kStartMs), store_(openAccountStore(openAccountDatabase(dir_.file("a.db"), clock_))) {}
  mes::store::AccountStore& accounts() { return *store_; }
  mes::store::PortalSessionStore& sessions() { return *store_; }
  mes::store::LoginThrottle& throttle() { return *store_; }

 private:
  TempDir dir_;  // destroyed last
  mes::ManualClock clock_;
  std::shared_ptr<SqliteAccountStore> store_;
};

}  // namespace

#define MES_ACCOUNT_STORE_SUITE_NAME sqlite_account_store_suite
#define MES_ACCOUNT_STORE_SUITE_STORES std::tuple<SqliteAccountFixture>
#include "connectors/account_store_suite.h"

// --- SQLite-specific behaviour --------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(sqlite_account_store)

using mes::store::AccountRecord;
using mes::store::SessionRecord;
using mes::store::SessionState;
using mes::test::inspect;
using mes::test::queryInt;

template <typename R>
void mustSucceed(const R& r) {
  BOOST_REQUIRE_MESSAGE(r.isOk(),
                        (r.isOk() ? std::string() : r.error().code() + ": " + r.error().detail));
}

AccountRecord camille() {
  AccountRecord account;
  account.accountId = "acct-camille";
  account.login = "Camille@Example.fr";
  account.role = "patient";
  account.patientId = "demo";
  account.passwordHash = "$scrypt$ln=15,r=8,p=1$salt$hash";
  return account;
}

BOOST_AUTO_TEST_CASE(migration_4_upgrades_a_schema_3_database_and_keeps_its_data) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  const std::string path = dir.file("upgrade.db");
  {
    auto database = openAccountDatabase(path, clock);
    mustSucceed(database->close());
  }
  {
    auto db = inspect(path);
    mustSucceed(db->exec(
        "BEGIN; DROP TABLE registry_evidence; DROP TABLE registry_marks; "
        "DROP TABLE registry_history; DROP TABLE registry_reservations; "
        "DROP TABLE registry_services; DROP TABLE registry_members; "
        "DROP TABLE registry_organisations; "
        "DROP TABLE date_index; DROP TABLE audit_journal_marks; DROP TABLE audit_service_access; "
        "DROP TABLE audit_log; "
        "DROP TABLE portal_sessions; DROP TABLE login_address_failures; "
        "DROP TABLE accounts; DELETE FROM schema_migrations WHERE version >= 4; "
        "INSERT INTO services (client_id, name, editor_name, editor_oid, client_type, jwks, "
        "jwks_uri, allowed_scopes, status, version, created_ms, updated_ms) VALUES ('carnet', "
        "'Carnet', 'Editeur', 'urn:oid:1.2.3', 'public', '', '', '', 'referenced', 1, 0, 0); "
        "COMMIT"));
    BOOST_TEST(queryInt(*db, "SELECT MAX(version) FROM schema_migrations") == 3);
  }
  clock.advance(60'000);
  auto database = openAccountDatabase(path, clock);
  BOOST_TEST(database->schemaVersion() == SqliteDatabase::latestSchemaVersion());
  BOOST_TEST(SqliteDatabase::latestSchemaVersion() >= SqliteAccountStore::kSchemaVersion);
  auto store = openAccountStore(database);
  mustSucceed(store->createAccount(camille(), kStartMs));
  mustSucceed(database->close());

  auto db = inspect(path);
  BOOST_TEST(queryInt(*db, "SELECT applied_at FROM schema_migrations WHERE version = 4") ==
             kStartMs + 60'000);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM services") == 1);  // schema-3 data kept
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM accounts") == 1);
}

BOOST_AUTO_TEST_CASE(rows_hold_the_lower_cased_login_and_refuse_what_the_code_refuses) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  const std::string path = dir.file("rows.db");
  auto store = openAccountStore(openAccountDatabase(path, clock));
  mustSucceed(store->createAccount(camille(), kStartMs));
  auto db = inspect(path);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM accounts WHERE login = 'camille@example.fr'") ==
             1);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM accounts WHERE patient_id = 'demo'") == 1);
  // The data itself refuses a mixed-case login, an unknown role, a patient without patient id,
  // an anonymous session with an account and a session of an unknown account.
  BOOST_TEST(!db->exec("INSERT INTO accounts VALUES ('acct-x1234', 'Upper', 'patient', 'p', 'h', "
                       "0, 0, 0, 0)")
                  .isOk());
  BOOST_TEST(!db->exec("INSERT INTO accounts VALUES ('acct-x1234', 'doc', 'doctor', NULL, 'h', "
                       "0, 0, 0, 0)")
                  .isOk());
  BOOST_TEST(!db->exec("INSERT INTO accounts VALUES ('acct-x1234', 'pat', 'patient', NULL, 'h', "
                       "0, 0, 0, 0)")
                  .isOk());
  BOOST_TEST(!db->exec("INSERT INTO portal_sessions VALUES ('h', 'anonymous', 'acct-camille', "
                       "'c', '', 0, 0, 0, 0, 1)")
                  .isOk());
  SessionRecord orphan;
  orphan.handle = "h-orphan";
  orphan.state = SessionState::kAuthenticated;
  orphan.accountId = "acct-unknown";
  orphan.csrfToken = "csrf";
  orphan.expiresMs = kStartMs + 1'000;
  BOOST_TEST(!store->createSession(orphan).isOk());
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM portal_sessions") == 0);
}

BOOST_AUTO_TEST_CASE(creating_sessions_removes_some_expired_ones) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  const std::string path = dir.file("purge.db");
  auto store = openAccountStore(openAccountDatabase(path, clock));
  for (int i = 0; i < 40; ++i) {
    SessionRecord session;
    session.handle = "h-" + std::to_string(i);
    session.csrfToken = "c";
    session.createdMs = kStartMs;
    session.expiresMs = kStartMs + 10;
    mustSucceed(store->createSession(session));
  }
  for (int i = 0; i < 3; ++i) {
    SessionRecord later;
    later.handle = "later-" + std::to_string(i);
    later.csrfToken = "c";
    later.createdMs = kStartMs + 1'000;
    later.expiresMs = kStartMs + 100'000;
    mustSucceed(store->createSession(later));
  }
  auto db = inspect(path);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM portal_sessions") == 3);
}

// Two gateway processes on one file are two databases: failures counted on both add up, and
// the lock is set once.
BOOST_AUTO_TEST_CASE(two_instances_on_one_file_share_the_failure_count) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  const std::string path = dir.file("shared.db");
  std::shared_ptr<SqliteAccountStore> instances[2] = {
      openAccountStore(openAccountDatabase(path, clock)),
      openAccountStore(openAccountDatabase(path, clock))};
  mustSucceed(instances[0]->createAccount(camille(), kStartMs));
  constexpr int kThreads = 8;
  constexpr int kPerThread = 10;
  std::atomic<int> failures{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SqliteAccountStore& store = *instances[t % 2];
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        if (!store.recordLoginFailure("acct-camille", 1'000, 900'000, kStartMs)) ++failures;
        if (!store.recordAddressFailure("192.0.2.1", kStartMs)) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(failures.load() == 0);
  BOOST_TEST(instances[1]->account("acct-camille")->failedLogins == kThreads * kPerThread);
  BOOST_TEST(*instances[0]->addressFailures("192.0.2.1", kStartMs) == kThreads * kPerThread);
}

BOOST_AUTO_TEST_CASE(open_refuses_a_missing_database) {
  auto refused = SqliteAccountStore::open(nullptr);
  BOOST_REQUIRE(!refused.isOk());
  BOOST_TEST(static_cast<int>(refused.error().kind) == static_cast<int>(mes::ErrorKind::kInternal));
}

BOOST_AUTO_TEST_SUITE_END()
