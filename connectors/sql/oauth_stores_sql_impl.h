// The member definitions of OAuthStoresOver (oauth_stores_sql.h), included only by the two
// connectors' sources, which instantiate it (connectors/sqlite/sqlite_oauth_stores.cpp,
// connectors/postgres/postgres_oauth_stores.cpp) with their connection header included first.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/sql/dialect.h"
#include "connectors/sql/oauth_stores_sql.h"
#include "connectors/sql/service_rows_sql.h"

namespace mes::store::sql {
namespace oauth_stores_detail {

// --- SQL ------------------------------------------------------------------------------------

inline constexpr std::string_view kInsertCode =
    "INSERT INTO authorization_codes (handle, client_id, redirect_uri, code_challenge, "
    "patient_id, scope, nonce, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (handle) DO NOTHING";
// One statement: of concurrent consumers (on any instance) exactly one gets the row back.
inline constexpr std::string_view kConsumeCode =
    "DELETE FROM authorization_codes WHERE handle = ? "
    "RETURNING client_id, redirect_uri, code_challenge, patient_id, scope, nonce, expires_ms";
inline constexpr std::string_view kPurgeCodes =
    "DELETE FROM authorization_codes WHERE expires_ms <= ?";
template <typename Dialect>
inline const std::string kPurgeSomeCodes =
    "DELETE FROM authorization_codes WHERE handle IN "
    "(SELECT handle FROM authorization_codes WHERE expires_ms <= ? LIMIT 16" +
    std::string(Dialect::kSkipLocked) + ")";

inline constexpr std::string_view kInsertFamily =
    "INSERT INTO refresh_families (family_id, client_id, patient_id, created_ms, revoked_at) "
    "VALUES (?, ?, ?, ?, NULL) ON CONFLICT (family_id) DO NOTHING";
inline constexpr std::string_view kInsertRefreshToken =
    "INSERT INTO refresh_tokens (handle, family_id, state, scope, issued_ms, expires_ms, "
    "rotated_ms) VALUES (?, ?, 'live', ?, ?, ?, NULL) ON CONFLICT (handle) DO NOTHING";
inline constexpr std::string_view kSelectRefreshToken =
    "SELECT t.state, t.scope, t.issued_ms, t.expires_ms, f.family_id, f.client_id, "
    "f.patient_id, f.revoked_at FROM refresh_tokens AS t "
    "JOIN refresh_families AS f ON f.family_id = t.family_id WHERE t.handle = ?";
// The same, locking the token and its family until the transaction ends: concurrent rotations
// of one token (on any instance) take turns, and the second sees the first's outcome (reuse).
template <typename Dialect>
inline const std::string kSelectRefreshTokenForUpdate =
    std::string(kSelectRefreshToken) + std::string(Dialect::kForUpdate);
inline constexpr std::string_view kMarkRotated =
    "UPDATE refresh_tokens SET state = 'rotated', rotated_ms = ? "
    "WHERE handle = ? AND state = 'live'";
inline constexpr std::string_view kRevokeFamily =
    "UPDATE refresh_families SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL";
inline constexpr std::string_view kSelectFamily =
    "SELECT 1 FROM refresh_families WHERE family_id = ?";
inline constexpr std::string_view kFamilyLive =
    "SELECT revoked_at IS NULL FROM refresh_families WHERE family_id = ?";
inline constexpr std::string_view kRevokePairing =
    "UPDATE refresh_families SET revoked_at = ? "
    "WHERE client_id = ? AND patient_id = ? AND revoked_at IS NULL";
inline constexpr std::string_view kRevokeClient =
    "UPDATE refresh_families SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL";

template <typename Dialect>
inline const std::string kPurgeSomeReplays =
    "DELETE FROM replay_cache WHERE key IN "
    "(SELECT key FROM replay_cache WHERE expires_ms <= ? LIMIT 16" +
    std::string(Dialect::kSkipLocked) + ")";
// Inserts, or overwrites a row that has expired; a live row is left alone (0 changes).
inline constexpr std::string_view kRecordReplay =
    "INSERT INTO replay_cache (key, expires_ms) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET expires_ms = excluded.expires_ms "
    "WHERE replay_cache.expires_ms <= ?";

inline constexpr std::string_view kLive = "live";

// --- errors ---------------------------------------------------------------------------------

inline Error alreadyExists(std::string message) {
  return Error::make(ErrorKind::kConflict, "already-exists", std::move(message));
}

inline Error codeInvalid() {
  return Error::make(ErrorKind::kNotFound, "code-invalid",
                     "The authorization code is invalid, expired or already used.");
}

// --- helpers --------------------------------------------------------------------------------

// A refresh token as kSelectRefreshToken reads it, with its family's state.
struct StoredRefreshToken {
  RefreshToken token;
  bool live = false;     // state = 'live'
  bool revoked = false;  // the family is revoked
};

template <typename Dialect, typename Db>
Result<std::optional<StoredRefreshToken>> selectRefreshToken(Db& db, const std::string& handle,
                                                             bool forUpdate = false) {
  auto stmt = db.prepare(forUpdate ? std::string_view(kSelectRefreshTokenForUpdate<Dialect>)
                                   : kSelectRefreshToken);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, handle);
  Result<bool> row = stmt->step();
  if (!row) return row.takeError();
  if (!*row) return std::optional<StoredRefreshToken>();
  StoredRefreshToken stored;
  stored.live = stmt->textAt(0) == kLive;
  stored.token.handle = handle;
  stored.token.scope = stmt->stringAt(1);
  stored.token.issuedMs = stmt->int64At(2);
  stored.token.expiresMs = stmt->int64At(3);
  stored.token.familyId = stmt->stringAt(4);
  stored.token.clientId = stmt->stringAt(5);
  stored.token.patientId = stmt->stringAt(6);
  stored.revoked = !stmt->isNull(7);
  return std::optional<StoredRefreshToken>(std::move(stored));
}

// Inserts `token` as the live token of `familyId`; kConflict when the handle is taken.
template <typename Db>
Status insertLiveToken(Db& db, const RefreshToken& token, const std::string& familyId) {
  auto stmt = db.prepare(kInsertRefreshToken);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, token.handle);
  stmt->bindText(2, familyId);
  stmt->bindText(3, token.scope);
  stmt->bindInt64(4, token.issuedMs);
  stmt->bindInt64(5, token.expiresMs);
  Result<int64_t> inserted = runCounting(db, *stmt);
  if (!inserted) return inserted.takeError();
  if (*inserted == 0) return alreadyExists("The refresh token handle is already stored.");
  return Status::ok();
}

template <typename Db>
Status revokeFamilyRow(Db& db, const std::string& familyId, int64_t nowMs, int64_t* revoked) {
  auto stmt = db.prepare(kRevokeFamily);
  if (!stmt) return stmt.takeError();
  stmt->bindInt64(1, nowMs);
  stmt->bindText(2, familyId);
  Result<int64_t> changed = runCounting(db, *stmt);
  if (!changed) return changed.takeError();
  *revoked = *changed;
  return Status::ok();
}

}  // namespace oauth_stores_detail

using namespace oauth_stores_detail;

template <typename Database, typename Dialect>
Result<std::shared_ptr<OAuthStoresOver<Database, Dialect>>>
OAuthStoresOver<Database, Dialect>::open(std::shared_ptr<Database> database, const Clock& clock) {
  if (database == nullptr) return Error::internal("store: the OAuth store needs a database");
  if (database->schemaVersion() < kSchemaVersion) {
    return Error::internal("store: the database is at schema version " +
                           std::to_string(database->schemaVersion()) + ", the OAuth stores need " +
                           std::to_string(kSchemaVersion));
  }
  return std::shared_ptr<OAuthStoresOver<Database, Dialect>>(
      new OAuthStoresOver(std::move(database), clock));
}

// --- services -------------------------------------------------------------------------------

template <typename Database, typename Dialect>
Result<ServiceRecord> OAuthStoresOver<Database, Dialect>::createService(
    const ServiceRecord& service) {
  MES_RETURN_IF_ERROR(checkServiceRecord(service));
  ServiceRecord created = service;
  created.version = 1;
  created.createdMs = this->clock_.nowMs();
  created.updatedMs = created.createdMs;
  Status written =
      this->database_->write([&](auto& db) -> Status { return insertServiceRows(db, created); });
  if (!written) return written.takeError();
  return created;
}

template <typename Database, typename Dialect>
Result<ServiceRecord> OAuthStoresOver<Database, Dialect>::service(const std::string& clientId) {
  Result<std::optional<ServiceRecord>> found =
      this->database_->read([&](auto& db) { return selectService(db, clientId); });
  if (!found) return found.takeError();
  if (!*found) return serviceNotFound(clientId);
  return std::move(**found);
}

template <typename Database, typename Dialect>
Result<std::vector<ServiceRecord>> OAuthStoresOver<Database, Dialect>::services() {
  return this->database_->read([](auto& db) { return selectServices<Dialect>(db); });
}

template <typename Database, typename Dialect>
Result<ServiceRecord> OAuthStoresOver<Database, Dialect>::updateService(
    const ServiceRecord& service, int64_t expectedVersion) {
  MES_RETURN_IF_ERROR(checkServiceRecord(service));
  ServiceRecord updated = service;
  const int64_t now = this->clock_.nowMs();
  Status written = this->database_->write([&](auto& db) -> Status {
    return updateServiceRows<Dialect>(db, updated, expectedVersion, now);
  });
  if (!written) return written.takeError();
  return updated;
}

// --- authorization codes --------------------------------------------------------------------

template <typename Database, typename Dialect>
Status OAuthStoresOver<Database, Dialect>::putCode(const AuthorizationCode& code) {
  return this->database_->write([&](auto& db) -> Status {
    auto stmt = db.prepare(kInsertCode);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, code.handle);
    stmt->bindText(2, code.clientId);
    stmt->bindText(3, code.redirectUri);
    stmt->bindText(4, code.codeChallenge);
    stmt->bindText(5, code.patientId);
    stmt->bindText(6, code.scope);
    stmt->bindText(7, code.nonce);
    stmt->bindInt64(8, code.expiresMs);
    Result<int64_t> inserted = runCounting(db, *stmt);
    if (!inserted) return inserted.takeError();
    if (*inserted == 0) return alreadyExists("The authorization code handle is already stored.");
    return Status::ok();
  });
}

template <typename Database, typename Dialect>
Result<AuthorizationCode> OAuthStoresOver<Database, Dialect>::consumeCode(const std::string& handle,
                                                                          int64_t nowMs) {
  std::optional<AuthorizationCode> consumed;
  Status written = this->database_->write([&](auto& db) -> Status {
    {
      auto stmt = db.prepare(kConsumeCode);
      if (!stmt) return stmt.takeError();
      stmt->bindText(1, handle);
      Result<bool> row = stmt->step();
      if (!row) return row.takeError();
      if (*row) {
        AuthorizationCode code;
        code.handle = handle;
        code.clientId = stmt->stringAt(0);
        code.redirectUri = stmt->stringAt(1);
        code.codeChallenge = stmt->stringAt(2);
        code.patientId = stmt->stringAt(3);
        code.scope = stmt->stringAt(4);
        code.nonce = stmt->stringAt(5);
        code.expiresMs = stmt->int64At(6);
        consumed = std::move(code);
      }
    }
    auto purge = db.prepare(kPurgeSomeCodes<Dialect>);
    if (!purge) return purge.takeError();
    purge->bindInt64(1, nowMs);
    return purge->run();
  });
  if (!written) return written.takeError();
  // An expired code was removed above, and is as invalid as an unknown one.
  if (!consumed || nowMs >= consumed->expiresMs) return codeInvalid();
  return std::move(*consumed);
}

template <typename Database, typename Dialect>
Result<int64_t> OAuthStoresOver<Database, Dialect>::purgeExpiredCodes(int64_t nowMs) {
  return this->database_->writeCounting(kPurgeCodes, nowMs);
}

// --- refresh tokens -------------------------------------------------------------------------

template <typename Database, typename Dialect>
Status OAuthStoresOver<Database, Dialect>::createFamily(const RefreshToken& first) {
  return this->database_->write([&](auto& db) -> Status {
    auto stmt = db.prepare(kInsertFamily);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, first.familyId);
    stmt->bindText(2, first.clientId);
    stmt->bindText(3, first.patientId);
    stmt->bindInt64(4, first.issuedMs);
    Result<int64_t> inserted = runCounting(db, *stmt);
    if (!inserted) return inserted.takeError();
    if (*inserted == 0) return alreadyExists("The refresh token family is already stored.");
    if (first.handle.empty()) return Status::ok();  // a grant without a refresh token
    return insertLiveToken(db, first, first.familyId);
  });
}

template <typename Database, typename Dialect>
Result<bool> OAuthStoresOver<Database, Dialect>::familyLive(const std::string& familyId) {
  return this->database_->read([&](auto& db) -> Result<bool> {
    auto stmt = db.prepare(kFamilyLive);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, familyId);
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    return *row && stmt->int64At(0) == 1;
  });
}

template <typename Database, typename Dialect>
Result<std::pair<RefreshOutcome, RefreshToken>> OAuthStoresOver<Database, Dialect>::rotate(
    const std::string& presentedHandle, const RefreshToken& next, int64_t nowMs) {
  std::pair<RefreshOutcome, RefreshToken> result{RefreshOutcome::kUnknown, RefreshToken{}};
  Status written = this->database_->write([&](auto& db) -> Status {
    Result<std::optional<StoredRefreshToken>> found =
        selectRefreshToken<Dialect>(db, presentedHandle, /*forUpdate=*/true);
    if (!found) return found.takeError();
    // Another client's token is unknown to the presenting client; nothing is written.
    if (!*found || (*found)->token.clientId != next.clientId) return Status::ok();
    StoredRefreshToken& presented = **found;
    result.second = presented.token;
    if (presented.revoked) {
      result.first = RefreshOutcome::kRevoked;
      return Status::ok();
    }
    if (!presented.live) {
      int64_t revoked = 0;
      MES_RETURN_IF_ERROR(revokeFamilyRow(db, presented.token.familyId, nowMs, &revoked));
      result.first = RefreshOutcome::kReused;
      return Status::ok();
    }
    if (nowMs >= presented.token.expiresMs) {
      result.first = RefreshOutcome::kExpired;
      return Status::ok();
    }
    auto mark = db.prepare(kMarkRotated);
    if (!mark) return mark.takeError();
    mark->bindInt64(1, nowMs);
    mark->bindText(2, presentedHandle);
    Result<int64_t> marked = runCounting(db, *mark);
    if (!marked) return marked.takeError();
    if (*marked != 1) {
      return Error::internal("store: refresh token " + presentedHandle.substr(0, 8) +
                             "... was live when read but not when rotated");
    }
    MES_RETURN_IF_ERROR(insertLiveToken(db, next, presented.token.familyId));
    result.first = RefreshOutcome::kRotated;
    return Status::ok();
  });
  if (!written) return written.takeError();
  return result;
}

template <typename Database, typename Dialect>
Status OAuthStoresOver<Database, Dialect>::revokeFamily(const std::string& familyId,
                                                        int64_t nowMs) {
  return this->database_->write([&](auto& db) -> Status {
    int64_t revoked = 0;
    MES_RETURN_IF_ERROR(revokeFamilyRow(db, familyId, nowMs, &revoked));
    if (revoked > 0) return Status::ok();
    auto stmt = db.prepare(kSelectFamily);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, familyId);
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    if (!*row) {
      return Error::make(ErrorKind::kNotFound, "not-found",
                         "The refresh token family does not exist.");
    }
    return Status::ok();  // revoked before: kept as it was
  });
}

template <typename Database, typename Dialect>
Result<int64_t> OAuthStoresOver<Database, Dialect>::revokeFamiliesOf(const std::string& clientId,
                                                                     const std::string& patientId,
                                                                     int64_t nowMs) {
  int64_t revoked = 0;
  Status written = this->database_->write([&](auto& db) -> Status {
    const bool wholeClient = patientId.empty();
    auto stmt = db.prepare(wholeClient ? kRevokeClient : kRevokePairing);
    if (!stmt) return stmt.takeError();
    stmt->bindInt64(1, nowMs);
    stmt->bindText(2, clientId);
    if (!wholeClient) stmt->bindText(3, patientId);
    Result<int64_t> changed = runCounting(db, *stmt);
    if (!changed) return changed.takeError();
    revoked = *changed;
    return Status::ok();
  });
  if (!written) return written.takeError();
  return revoked;
}

template <typename Database, typename Dialect>
Result<RefreshToken> OAuthStoresOver<Database, Dialect>::findRefreshToken(
    const std::string& handle) {
  Result<std::optional<StoredRefreshToken>> found =
      this->database_->read([&](auto& db) { return selectRefreshToken<Dialect>(db, handle); });
  if (!found) return found.takeError();
  if (!*found) {
    return Error::make(ErrorKind::kNotFound, "not-found", "The refresh token does not exist.");
  }
  RefreshToken token = std::move((*found)->token);
  token.live = (*found)->live;
  token.familyRevoked = (*found)->revoked;
  return token;
}

// --- replay cache ---------------------------------------------------------------------------

template <typename Database, typename Dialect>
Result<bool> OAuthStoresOver<Database, Dialect>::firstUse(const std::string& key, int64_t expiresMs,
                                                          int64_t nowMs) {
  bool first = false;
  Status written = this->database_->write([&](auto& db) -> Status {
    auto purge = db.prepare(kPurgeSomeReplays<Dialect>);
    if (!purge) return purge.takeError();
    purge->bindInt64(1, nowMs);
    MES_RETURN_IF_ERROR(purge->run());
    auto stmt = db.prepare(kRecordReplay);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, key);
    stmt->bindInt64(2, expiresMs);
    stmt->bindInt64(3, nowMs);
    Result<int64_t> changed = runCounting(db, *stmt);
    if (!changed) return changed.takeError();
    first = *changed == 1;
    return Status::ok();
  });
  if (!written) return written.takeError();
  return first;
}

}  // namespace mes::store::sql
