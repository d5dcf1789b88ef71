// The store suites (tests/connectors/*_suite.h) against PostgreSQL: the same cases the SQLite
// stores pass, each on fresh stores in a schema of its own.
#include <boost/test/unit_test.hpp>
#include <memory>
#include <stdexcept>
#include <tuple>

#include "connectors/postgres/postgres_account_store.h"
#include "connectors/postgres/postgres_oauth_stores.h"
#include "connectors/postgres/postgres_registry_store.h"
#include "connectors/postgres/postgres_repository.h"
#include "core/clock.h"
#include "postgres/pg_test_store.h"

namespace {

using namespace mes::store;

constexpr int64_t kStartMs = 1'690'000'000'000;
constexpr int64_t kRegistryStartMs = 1'700'000'000'000;  // the registry suite's kT0

template <typename T>
std::shared_ptr<T> orThrow(mes::Result<std::shared_ptr<T>> opened) {
  if (!opened) throw std::runtime_error("cannot open a PostgreSQL store: " + opened.error().detail);
  return std::move(opened).value();
}

class PostgresRepositoryFixture {
 public:
  PostgresRepositoryFixture()
      : clock_(kStartMs),
        repository_(mes::test::openTestDatabase(clock_, /*poolSize=*/8), clock_) {}
  mes::ManualClock& clock() { return clock_; }
  Repository& repository() { return repository_; }

 private:
  mes::ManualClock clock_;
  PostgresRepository repository_;
};

class PostgresOAuthFixture {
 public:
  PostgresOAuthFixture()
      : clock_(kStartMs),
        stores_(
            orThrow(PostgresOAuthStores::open(mes::test::openTestDatabase(clock_, 8), clock_))) {}
  mes::ManualClock& clock() { return clock_; }
  ServiceStore& services() { return *stores_; }
  AuthorizationCodeStore& codes() { return *stores_; }
  RefreshTokenStore& refreshTokens() { return *stores_; }
  ReplayCache& replayCache() { return *stores_; }

 private:
  mes::ManualClock clock_;
  std::shared_ptr<PostgresOAuthStores> stores_;
};

class PostgresAccountFixture {
 public:
  PostgresAccountFixture()
      : clock_(kStartMs),
        store_(orThrow(PostgresAccountStore::open(mes::test::openTestDatabase(clock_, 8)))) {}
  AccountStore& accounts() { return *store_; }
  PortalSessionStore& sessions() { return *store_; }
  LoginThrottle& throttle() { return *store_; }

 private:
  mes::ManualClock clock_;
  std::shared_ptr<PostgresAccountStore> store_;
};

class PostgresRegistryFixture {
 public:
  PostgresRegistryFixture()
      : clock_(kRegistryStartMs), database_(mes::test::openTestDatabase(clock_, 8)) {
    registry_ = orThrow(PostgresRegistryStore::open(database_, clock_));
    oauth_ = orThrow(PostgresOAuthStores::open(database_, clock_));
  }
  mes::ManualClock& clock() { return clock_; }
  RegistryStore& registry() { return *registry_; }
  ServiceStore& services() { return *oauth_; }

 private:
  mes::ManualClock clock_;
  std::shared_ptr<PostgresDatabase> database_;
  std::shared_ptr<PostgresRegistryStore> registry_;
  std::shared_ptr<PostgresOAuthStores> oauth_;
};

}  // namespace

#define MES_REPOSITORY_SUITE_NAME postgres_repository_suite
#define MES_REPOSITORY_SUITE_STORES std::tuple<PostgresRepositoryFixture>
#include "connectors/repository_suite.h"

#define MES_OAUTH_STORES_SUITE_NAME postgres_oauth_stores_suite
#define MES_OAUTH_STORES_SUITE_STORES std::tuple<PostgresOAuthFixture>
#include "connectors/oauth_stores_suite.h"

#define MES_ACCOUNT_STORE_SUITE_NAME postgres_account_store_suite
#define MES_ACCOUNT_STORE_SUITE_STORES std::tuple<PostgresAccountFixture>
#include "connectors/account_store_suite.h"

#define MES_REGISTRY_STORE_SUITE_NAME postgres_registry_store_suite
#define MES_REGISTRY_STORE_SUITE_STORES std::tuple<PostgresRegistryFixture>
#include "connectors/registry_store_suite.h"
