#include "connectors/sqlite/sqlite_oauth_stores.h"

#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "connectors/sqlite/sqlite_database.h"
#include "connectors/sqlite/sqlite_db.h"
#include "connectors/sqlite/sqlite_repository.h"
#include "connectors/sqlite_inspect.h"
#include "connectors/temp_dir.h"
#include "core/clock.h"

namespace {

using mes::store::SqliteDatabase;
using mes::store::SqliteOAuthStores;
using mes::store::SqliteOptions;

constexpr int64_t kStartMs = 1'690'000'000'000;

using mes::test::TempDir;

std::shared_ptr<SqliteDatabase> openDatabase(const std::string& path, const mes::Clock& clock) {
  SqliteOptions options;
  options.path = path;
  auto opened = SqliteDatabase::open(options, clock);
  if (!opened) throw std::runtime_error("cannot open the database: " + opened.error().detail);
  return std::move(opened).value();
}

std::shared_ptr<SqliteOAuthStores> openStores(std::shared_ptr<SqliteDatabase> database,
                                              const mes::Clock& clock) {
  auto opened = SqliteOAuthStores::open(std::move(database), clock);
  if (!opened) throw std::runtime_error("cannot open the OAuth stores: " + opened.error().detail);
  return std::move(opened).value();
}

// The SQLite stores for the shared suite: a new database file per test.
class SqliteOAuthFixture {
 public:
  SqliteOAuthFixture()
      : clock_(kStartMs),
        stores_(openStores(openDatabase(dir_.file("oauth.db"), clock_), clock_)) {}
  mes::ManualClock& clock() { return clock_; }
  mes::store::ServiceStore& services() { return *stores_; }
  mes::store::AuthorizationCodeStore& codes() { return *stores_; }
  mes::store::RefreshTokenStore& refreshTokens() { return *stores_; }
  mes::store::ReplayCache& replayCache() { return *stores_; }

 private:
  TempDir dir_;  // destroyed last
  mes::ManualClock clock_;
  std::shared_ptr<SqliteOAuthStores> stores_;
};

}  // namespace

#define MES_OAUTH_STORES_SUITE_NAME sqlite_oauth_stores_suite
#define MES_OAUTH_STORES_SUITE_STORES std::tuple<SqliteOAuthFixture>
#include "connectors/oauth_stores_suite.h"

// --- SQLite-specific behaviour --------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(sqlite_oauth_stores)

using mes::ErrorKind;
using mes::Status;
using mes::store::AuthorizationCode;
using mes::store::RefreshOutcome;
using mes::store::RefreshToken;
using mes::store::ServiceRecord;
using mes::store::SqliteRepository;
using mes::store::Transaction;
using mes::store::WriteRequest;
using mes::store::sqlite::Connection;

using mes::test::inspect;
using mes::test::queryInt;

template <typename R>
void mustSucceed(const R& r) {
  BOOST_REQUIRE_MESSAGE(r.isOk(),
                        (r.isOk() ? std::string() : r.error().code() + ": " + r.error().detail));
}

ServiceRecord service(const std::string& clientId) {
  ServiceRecord s;
  s.clientId = clientId;
  s.name = "Carnet";
  s.editorName = "Editeur";
  s.editorOid = "urn:oid:1.2.3";
  s.clientType = "public";
  s.redirectUris = {"https://app.example/cb"};
  s.allowedScopes = "patient/Observation.rs";
  s.status = "referenced";
  return s;
}

AuthorizationCode code(const std::string& handle, int64_t expiresMs) {
  AuthorizationCode c;
  c.handle = handle;
  c.clientId = "carnet";
  c.redirectUri = "https://app.example/cb";
  c.codeChallenge = "challenge";
  c.patientId = "patient-1";
  c.scope = "patient/Observation.rs";
  c.expiresMs = expiresMs;
  return c;
}

RefreshToken token(const std::string& handle, const std::string& familyId, int64_t issuedMs) {
  RefreshToken t;
  t.handle = handle;
  t.familyId = familyId;
  t.clientId = "carnet";
  t.patientId = "patient-1";
  t.scope = "patient/Observation.rs";
  t.issuedMs = issuedMs;
  t.expiresMs = issuedMs + 86'400'000;
  return t;
}

WriteRequest observation(const std::string& id) {
  WriteRequest request;
  request.type = "Observation";
  request.id = id;
  request.index.patient = "patient-1";
  request.render = [id](int64_t, int64_t) -> mes::Result<std::string> {
    return "{\"id\":\"" + id + "\"}";
  };
  return request;
}

BOOST_AUTO_TEST_CASE(migration_2_upgrades_a_schema_1_database_and_is_applied_once) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  const std::string path = dir.file("upgrade.db");
  {
    auto repository = SqliteRepository::open({path}, clock);
    mustSucceed(repository);
    mustSucceed((*repository)->create(observation("kept")));
    mustSucceed((*repository)->close());
  }
  // Bring the file back to what a schema-1 release left: migration 1 is never edited, so
  // removing what every later migration created (its tables, triggers and rows) gives exactly
  // that database.
  {
    auto db = inspect(path);
    std::string drops = "BEGIN; ";
    {
      auto stmt = db->prepare(
          "SELECT type, name FROM sqlite_schema WHERE type IN ('table', 'trigger') AND name NOT IN "
          "('resource', 'resource_version', 'token_index', 'reference_index', "
          "'schema_migrations') AND name NOT LIKE 'sqlite_%' ORDER BY type DESC, name DESC");
      mustSucceed(stmt);
      std::vector<std::pair<std::string, std::string>> objects;
      while (*stmt->step()) objects.emplace_back(stmt->stringAt(0), stmt->stringAt(1));
      // Tables referenced by others go last: drop dependants first (redirect URIs, tokens).
      std::stable_sort(objects.begin(), objects.end(), [](const auto& a, const auto& b) {
        auto rank = [](const auto& o) {
          if (o.first == "trigger") return 0;
          return o.second == "services" || o.second == "refresh_families" ? 2 : 1;
        };
        return rank(a) < rank(b);
      });
      for (const auto& [type, name] : objects) {
        drops += (type == "trigger" ? "DROP TRIGGER " : "DROP TABLE ") + name + "; ";
      }
    }
    mustSucceed(db->exec(drops + "DELETE FROM schema_migrations WHERE version >= 2; COMMIT"));
    BOOST_TEST(queryInt(*db, "SELECT MAX(version) FROM schema_migrations") == 1);
  }

  clock.advance(60'000);
  auto database = openDatabase(path, clock);
  BOOST_TEST(database->schemaVersion() == SqliteDatabase::latestSchemaVersion());
  BOOST_TEST(SqliteDatabase::latestSchemaVersion() >= SqliteOAuthStores::kSchemaVersion);
  SqliteRepository repository(database, clock);
  mustSucceed(repository.read("Observation", "kept"));  // schema-1 data kept
  auto stores = openStores(database, clock);
  mustSucceed(stores->createService(service("carnet")));
  mustSucceed(database->close());

  auto check = [&] {
    auto db = inspect(path);
    BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM schema_migrations") ==
               SqliteDatabase::migrationCount());
    BOOST_TEST(queryInt(*db, "SELECT applied_at FROM schema_migrations WHERE version = 1") ==
               kStartMs);
    BOOST_TEST(queryInt(*db, "SELECT applied_at FROM schema_migrations WHERE version = 2") ==
               kStartMs + 60'000);
    for (std::string_view table : {"services", "service_redirect_uris", "authorization_codes",
                                   "refresh_families", "refresh_tokens", "replay_cache"}) {
      auto stmt =
          db->prepare("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?");
      mustSucceed(stmt);
      stmt->bindText(1, table);
      mustSucceed(stmt->step());
      BOOST_TEST(stmt->int64At(0) == 1, table);
    }
  };
  check();
  clock.advance(60'000);
  auto reopened = openDatabase(path, clock);  // applies nothing
  BOOST_TEST(reopened->schemaVersion() == SqliteDatabase::latestSchemaVersion());
  mustSucceed(reopened->close());
  check();
}

BOOST_AUTO_TEST_CASE(oauth_data_survives_close_and_reopen) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  const std::string path = dir.file("durable.db");
  {
    auto stores = openStores(openDatabase(path, clock), clock);
    mustSucceed(stores->createService(service("carnet")));
    mustSucceed(stores->putCode(code("h-code", kStartMs + 60'000)));
    mustSucceed(stores->createFamily(token("r1", "fam-1", kStartMs)));
    auto rotated = stores->rotate("r1", token("r2", "", kStartMs + 1), kStartMs + 1);
    mustSucceed(rotated);
    BOOST_TEST((rotated->first == RefreshOutcome::kRotated));
    mustSucceed(stores->createFamily(token("s1", "fam-2", kStartMs)));
    mustSucceed(stores->revokeFamily("fam-2", kStartMs + 2));
    BOOST_TEST(*stores->firstUse("carnet|jti", kStartMs + 300'000, kStartMs));
    mustSucceed(stores->database()->close());
  }
  auto stores = openStores(openDatabase(path, clock), clock);
  auto stored = stores->service("carnet");
  mustSucceed(stored);
  BOOST_TEST(stored->version == 1);
  BOOST_TEST(stored->redirectUris == std::vector<std::string>{"https://app.example/cb"});
  mustSucceed(stores->consumeCode("h-code", kStartMs + 10));
  BOOST_TEST((stores->rotate("r1", token("x", "", kStartMs + 3), kStartMs + 3)->first ==
              RefreshOutcome::kReused));
  BOOST_TEST((stores->rotate("s1", token("y", "", kStartMs + 3), kStartMs + 3)->first ==
              RefreshOutcome::kRevoked));
  BOOST_TEST(!*stores->firstUse("carnet|jti", kStartMs + 300'000, kStartMs + 10));
}

BOOST_AUTO_TEST_CASE(stored_rows_keep_one_live_token_per_family_and_purge_expired_rows) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  const std::string path = dir.file("rows.db");
  auto stores = openStores(openDatabase(path, clock), clock);
  mustSucceed(stores->createFamily(token("r1", "fam-1", kStartMs)));
  for (int i = 2; i <= 5; ++i) {
    const auto now = kStartMs + i;
    auto rotated =
        stores->rotate("r" + std::to_string(i - 1), token("r" + std::to_string(i), "", now), now);
    mustSucceed(rotated);
  }
  for (int i = 0; i < 40; ++i) {
    mustSucceed(stores->putCode(code("h-" + std::to_string(i), kStartMs + 10)));
    BOOST_TEST(*stores->firstUse("k-" + std::to_string(i), kStartMs + 10, kStartMs));
  }
  auto db = inspect(path);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM refresh_tokens") == 5);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM refresh_tokens WHERE state = 'live'") == 1);
  BOOST_TEST(queryInt(*db,
                      "SELECT COUNT(*) FROM refresh_tokens WHERE handle = 'r5' AND "
                      "state = 'live'") == 1);
  // The data itself refuses a second live token in a family.
  BOOST_TEST(!db->exec("INSERT INTO refresh_tokens (handle, family_id, state, scope, issued_ms, "
                       "expires_ms) VALUES ('rogue', 'fam-1', 'live', '', 0, 1)")
                  .isOk());

  // Later calls each remove some of the expired rows: the tables do not keep them forever.
  const int64_t later = kStartMs + 1'000;
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(*stores->firstUse("later-" + std::to_string(i), later + 10, later));
    (void)stores->consumeCode("h-absent", later);
  }
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM replay_cache") == 3);
  BOOST_TEST(queryInt(*db, "SELECT COUNT(*) FROM authorization_codes") == 0);
  auto violations = db->prepare("PRAGMA foreign_key_check");
  mustSucceed(violations);
  auto row = violations->step();
  mustSucceed(row);
  BOOST_TEST(!*row);
}

// Two gateway processes on one file are two databases: the atomic steps hold between them.
BOOST_AUTO_TEST_CASE(two_instances_on_one_file_consume_a_code_and_rotate_a_token_once) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  const std::string path = dir.file("shared.db");
  std::shared_ptr<SqliteOAuthStores> instances[2] = {openStores(openDatabase(path, clock), clock),
                                                     openStores(openDatabase(path, clock), clock)};
  mustSucceed(instances[0]->putCode(code("h-shared", kStartMs + 60'000)));
  mustSucceed(instances[1]->createFamily(token("r1", "fam-1", kStartMs)));
  constexpr int kThreads = 8;
  std::atomic<int> consumed{0};
  std::atomic<int> rotated{0};
  std::atomic<int> refused{0};
  std::atomic<int> failures{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SqliteOAuthStores& stores = *instances[t % 2];
      start.arrive_and_wait();
      auto got = stores.consumeCode("h-shared", kStartMs + 1);
      if (got) {
        ++consumed;
      } else if (got.error().code() != "code-invalid") {
        ++failures;
      }
      auto outcome =
          stores.rotate("r1", token("next-" + std::to_string(t), "", kStartMs + 1), kStartMs + 1);
      if (!outcome) {
        ++failures;
      } else if (outcome->first == RefreshOutcome::kRotated) {
        ++rotated;
      } else if (outcome->first == RefreshOutcome::kReused ||
                 outcome->first == RefreshOutcome::kRevoked) {
        ++refused;
      } else {
        ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(failures.load() == 0);
  BOOST_TEST(consumed.load() == 1);
  BOOST_TEST(rotated.load() == 1);
  BOOST_TEST(refused.load() == kThreads - 1);
}

BOOST_AUTO_TEST_CASE(the_repository_and_the_oauth_stores_share_one_database) {
  TempDir dir;
  mes::ManualClock clock(kStartMs);
  auto database = openDatabase(dir.file("shared.db"), clock);
  SqliteRepository repository(database, clock);
  auto stores = openStores(database, clock);
  // An OAuth write inside a repository transaction would wait for itself: refused instead.
  Status status = repository.transaction([&](Transaction& tx) -> Status {
    MES_RETURN_IF_ERROR(tx.create(observation("obs")));
    Status nested = stores->putCode(code("h-nested", kStartMs + 60'000));
    BOOST_TEST(!nested.isOk());
    if (!nested) {
      BOOST_TEST(static_cast<int>(nested.error().kind) == static_cast<int>(ErrorKind::kInternal));
    }
    return Status::ok();
  });
  mustSucceed(status);
  mustSucceed(repository.read("Observation", "obs"));
  BOOST_TEST(stores->consumeCode("h-nested", kStartMs).error().code() == "code-invalid");

  mustSucceed(repository.close());  // closes the shared database
  auto closed = stores->service("carnet");
  BOOST_REQUIRE(!closed.isOk());
  BOOST_TEST(closed.error().code() == "store-closed");
  BOOST_TEST(stores->putCode(code("h-late", kStartMs + 60'000)).error().code() == "store-closed");
}

BOOST_AUTO_TEST_CASE(open_refuses_a_missing_database) {
  mes::ManualClock clock(kStartMs);
  auto refused = SqliteOAuthStores::open(nullptr, clock);
  BOOST_REQUIRE(!refused.isOk());
  BOOST_TEST(static_cast<int>(refused.error().kind) == static_cast<int>(ErrorKind::kInternal));
}

BOOST_AUTO_TEST_SUITE_END()
