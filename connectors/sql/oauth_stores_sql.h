// The OAuth stores (connectors/store/oauth_stores.h) over a SQL database, written once for SQLite
// (connectors/sqlite/sqlite_oauth_stores.h) and PostgreSQL
// (connectors/postgres/postgres_oauth_stores.h): the tables of migration 2, the same statements,
// the differences in connectors/sql/dialect.h. `Database` is SqliteDatabase or PostgresDatabase:
// write(work) runs `work` in one transaction, read(work) outside one, snapshot(work) in one
// read-only snapshot. The member definitions are in oauth_stores_sql_impl.h, instantiated once per
// database by its connector.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "connectors/store/oauth_stores.h"
#include "core/clock.h"
#include "core/status.h"

namespace mes::store::sql {

template <typename Database, typename Dialect>
class OAuthStoresOver final : public ServiceStore,
                              public AuthorizationCodeStore,
                              public RefreshTokenStore,
                              public ReplayCache {
 public:
  // The stores over an open database. kInternal when the database's schema lacks the OAuth
  // tables (a database opened by this code always has them).
  static Result<std::shared_ptr<OAuthStoresOver>> open(std::shared_ptr<Database> database,
                                                       const Clock& clock);

  OAuthStoresOver(const OAuthStoresOver&) = delete;
  OAuthStoresOver& operator=(const OAuthStoresOver&) = delete;
  ~OAuthStoresOver() override = default;

  // The migration that created the tables these stores use.
  static constexpr int64_t kSchemaVersion = 2;

  // ServiceStore
  Result<ServiceRecord> createService(const ServiceRecord& service) override;
  Result<ServiceRecord> service(const std::string& clientId) override;
  Result<std::vector<ServiceRecord>> services() override;
  Result<ServiceRecord> updateService(const ServiceRecord& service,
                                      int64_t expectedVersion) override;

  // AuthorizationCodeStore
  Status putCode(const AuthorizationCode& code) override;
  Result<AuthorizationCode> consumeCode(const std::string& handle, int64_t nowMs) override;
  Result<int64_t> purgeExpiredCodes(int64_t nowMs) override;

  // RefreshTokenStore
  Status createFamily(const RefreshToken& first) override;
  Result<bool> familyLive(const std::string& familyId) override;
  Result<std::pair<RefreshOutcome, RefreshToken>> rotate(const std::string& presentedHandle,
                                                         const RefreshToken& next,
                                                         int64_t nowMs) override;
  Status revokeFamily(const std::string& familyId, int64_t nowMs) override;
  Result<int64_t> revokeFamiliesOf(const std::string& clientId, const std::string& patientId,
                                   int64_t nowMs) override;
  Result<RefreshToken> findRefreshToken(const std::string& handle) override;

  // ReplayCache
  Result<bool> firstUse(const std::string& key, int64_t expiresMs, int64_t nowMs) override;

  const std::shared_ptr<Database>& database() const { return database_; }

 private:
  OAuthStoresOver(std::shared_ptr<Database> database, const Clock& clock)
      : database_(std::move(database)), clock_(clock) {}

  const std::shared_ptr<Database> database_;
  const Clock& clock_;
};

}  // namespace mes::store::sql
