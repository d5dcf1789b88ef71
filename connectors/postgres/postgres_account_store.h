// The patient portal's stores (connectors/store/account_store.h) over a PostgresDatabase shared
// with the FHIR repository and the OAuth stores: accounts, portal sessions and failed logins per
// address, in the tables of migration 4.
//
// Contract beyond the interfaces:
//  - Thread-safe, and shared by every gateway instance on the database: each operation that
//    writes is one transaction whose read-then-write steps hold the row's lock (FOR UPDATE), or
//    one statement (the failure counter is one upsert ... RETURNING, a session replacement one
//    conditional DELETE), so the atomic steps the interfaces promise hold across instances.
//  - Errors besides the interfaces' own: the database's (postgres_database.h). A failed call
//    writes nothing.
//  - A session's accountId must name a stored account (a foreign key): otherwise kInternal.
//  - createSession and recordAddressFailure each also delete a bounded number of expired rows of
//    their table, so that neither grows without purges.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/postgres/postgres_database.h"
#include "connectors/store/account_store.h"
#include "core/status.h"

namespace mes::store {

class PostgresAccountStore final : public AccountStore,
                                   public PortalSessionStore,
                                   public LoginThrottle {
 public:
  // The stores over an open database. kInternal when the database's schema lacks the tables (a
  // database opened by this code always has them).
  static Result<std::shared_ptr<PostgresAccountStore>> open(
      std::shared_ptr<PostgresDatabase> database);

  PostgresAccountStore(const PostgresAccountStore&) = delete;
  PostgresAccountStore& operator=(const PostgresAccountStore&) = delete;
  ~PostgresAccountStore() override = default;

  // The migration that created the tables these stores use.
  static constexpr int64_t kSchemaVersion = 4;

  // AccountStore
  Result<AccountRecord> createAccount(const AccountRecord& account, int64_t nowMs) override;
  Result<AccountRecord> accountByLogin(std::string_view login) override;
  Result<AccountRecord> account(const std::string& accountId) override;
  Result<std::vector<AccountRecord>> accounts() override;
  Result<AccountRecord> recordLoginFailure(const std::string& accountId, int64_t maxFailures,
                                           int64_t lockoutMs, int64_t nowMs) override;
  Result<AccountRecord> recordLoginSuccess(const std::string& accountId, int64_t nowMs) override;
  Status setPasswordHash(const std::string& accountId, const std::string& passwordHash,
                         int64_t nowMs) override;
  Result<AccountRecord> unlock(const std::string& accountId, int64_t nowMs) override;

  // PortalSessionStore
  Status createSession(const SessionRecord& session) override;
  Result<SessionRecord> session(const std::string& handle, int64_t nowMs) override;
  Status updateSession(const SessionRecord& session, int64_t nowMs) override;
  Status replaceSession(const std::string& oldHandle, const SessionRecord& next,
                        int64_t nowMs) override;
  Result<SessionRecord> countOtpAttempt(const std::string& handle, int64_t nowMs) override;
  Status deleteSession(const std::string& handle) override;
  Result<int64_t> purgeExpiredSessions(int64_t nowMs) override;

  // LoginThrottle
  Result<int64_t> recordAddressFailure(const std::string& address, int64_t windowStartMs) override;
  Result<int64_t> addressFailures(const std::string& address, int64_t windowStartMs) override;
  Result<int64_t> purgeAddressWindowsBefore(int64_t windowStartMs) override;

  const std::shared_ptr<PostgresDatabase>& database() const { return database_; }

 private:
  explicit PostgresAccountStore(std::shared_ptr<PostgresDatabase> database)
      : database_(std::move(database)) {}

  const std::shared_ptr<PostgresDatabase> database_;
};

}  // namespace mes::store
