// PostgreSQL implementation of the OAuth stores: the tables of migration 2 (described in
// connectors/sqlite/sqlite_oauth_stores.cpp); what makes each step atomic across instances is
// said in postgres_oauth_stores.h.
#include "connectors/postgres/postgres_oauth_stores.h"

#include <optional>
#include <string_view>

#include "connectors/postgres/pg_db.h"
#include "connectors/postgres/postgres_service_rows.h"

namespace mes::store {
namespace {

using pg::Connection;
using pg::Statement;

// --- SQL ------------------------------------------------------------------------------------

constexpr std::string_view kInsertCode =
    "INSERT INTO authorization_codes (handle, client_id, redirect_uri, code_challenge, "
    "patient_id, scope, nonce, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (handle) DO NOTHING";
// One statement: of concurrent consumers (on any instance) exactly one gets the row back.
constexpr std::string_view kConsumeCode =
    "DELETE FROM authorization_codes WHERE handle = ? "
    "RETURNING client_id, redirect_uri, code_challenge, patient_id, scope, nonce, expires_ms";
constexpr std::string_view kPurgeCodes = "DELETE FROM authorization_codes WHERE expires_ms <= ?";
constexpr std::string_view kPurgeSomeCodes =
    "DELETE FROM authorization_codes WHERE handle IN "
    "(SELECT handle FROM authorization_codes WHERE expires_ms <= ? LIMIT 16 FOR UPDATE SKIP "
    "LOCKED)";

constexpr std::string_view kInsertFamily =
    "INSERT INTO refresh_families (family_id, client_id, patient_id, created_ms, revoked_at) "
    "VALUES (?, ?, ?, ?, NULL) ON CONFLICT (family_id) DO NOTHING";
constexpr std::string_view kInsertRefreshToken =
    "INSERT INTO refresh_tokens (handle, family_id, state, scope, issued_ms, expires_ms, "
    "rotated_ms) VALUES (?, ?, 'live', ?, ?, ?, NULL) ON CONFLICT (handle) DO NOTHING";
constexpr std::string_view kSelectRefreshToken =
    "SELECT t.state, t.scope, t.issued_ms, t.expires_ms, f.family_id, f.client_id, "
    "f.patient_id, f.revoked_at FROM refresh_tokens AS t "
    "JOIN refresh_families AS f ON f.family_id = t.family_id WHERE t.handle = ?";
// The same, locking the token and its family until the transaction ends: concurrent rotations
// of one token (on any instance) take turns, and the second sees the first's outcome (reuse).
constexpr std::string_view kSelectRefreshTokenForUpdate =
    "SELECT t.state, t.scope, t.issued_ms, t.expires_ms, f.family_id, f.client_id, "
    "f.patient_id, f.revoked_at FROM refresh_tokens AS t "
    "JOIN refresh_families AS f ON f.family_id = t.family_id WHERE t.handle = ? FOR UPDATE";
constexpr std::string_view kMarkRotated =
    "UPDATE refresh_tokens SET state = 'rotated', rotated_ms = ? "
    "WHERE handle = ? AND state = 'live'";
constexpr std::string_view kRevokeFamily =
    "UPDATE refresh_families SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL";
constexpr std::string_view kSelectFamily = "SELECT 1 FROM refresh_families WHERE family_id = ?";
constexpr std::string_view kFamilyLive =
    "SELECT revoked_at IS NULL FROM refresh_families WHERE family_id = ?";
constexpr std::string_view kRevokePairing =
    "UPDATE refresh_families SET revoked_at = ? "
    "WHERE client_id = ? AND patient_id = ? AND revoked_at IS NULL";
constexpr std::string_view kRevokeClient =
    "UPDATE refresh_families SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL";

constexpr std::string_view kPurgeSomeReplays =
    "DELETE FROM replay_cache WHERE key IN "
    "(SELECT key FROM replay_cache WHERE expires_ms <= ? LIMIT 16 FOR UPDATE SKIP LOCKED)";
// Inserts, or overwrites a row that has expired; a live row is left alone (0 changes).
constexpr std::string_view kRecordReplay =
    "INSERT INTO replay_cache (key, expires_ms) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET expires_ms = excluded.expires_ms "
    "WHERE replay_cache.expires_ms <= ?";

constexpr std::string_view kLive = "live";

// --- errors ---------------------------------------------------------------------------------

Error alreadyExists(std::string message) {
  return Error::make(ErrorKind::kConflict, "already-exists", std::move(message));
}

Error codeInvalid() {
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

Result<std::optional<StoredRefreshToken>> selectRefreshToken(Connection& db,
                                                             const std::string& handle,
                                                             bool forUpdate = false) {
  Result<Statement> stmt =
      db.prepare(forUpdate ? kSelectRefreshTokenForUpdate : kSelectRefreshToken);
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
Status insertLiveToken(Connection& db, const RefreshToken& token, const std::string& familyId) {
  Result<Statement> stmt = db.prepare(kInsertRefreshToken);
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

Status revokeFamilyRow(Connection& db, const std::string& familyId, int64_t nowMs,
                       int64_t* revoked) {
  Result<Statement> stmt = db.prepare(kRevokeFamily);
  if (!stmt) return stmt.takeError();
  stmt->bindInt64(1, nowMs);
  stmt->bindText(2, familyId);
  Result<int64_t> changed = runCounting(db, *stmt);
  if (!changed) return changed.takeError();
  *revoked = *changed;
  return Status::ok();
}

}  // namespace

Result<std::shared_ptr<PostgresOAuthStores>> PostgresOAuthStores::open(
    std::shared_ptr<PostgresDatabase> database, const Clock& clock) {
  if (database == nullptr) return Error::internal("store: PostgresOAuthStores needs a database");
  if (database->schemaVersion() < kSchemaVersion) {
    return Error::internal("postgres: the database is at schema version " +
                           std::to_string(database->schemaVersion()) + ", the OAuth stores need " +
                           std::to_string(kSchemaVersion));
  }
  return std::shared_ptr<PostgresOAuthStores>(new PostgresOAuthStores(std::move(database), clock));
}

// --- services -------------------------------------------------------------------------------

Result<ServiceRecord> PostgresOAuthStores::createService(const ServiceRecord& service) {
  MES_RETURN_IF_ERROR(checkServiceRecord(service));
  ServiceRecord created = service;
  created.version = 1;
  created.createdMs = clock_.nowMs();
  created.updatedMs = created.createdMs;
  Status written = database_->write(
      [&](Connection& db) -> Status { return pg::insertServiceRows(db, created); });
  if (!written) return written.takeError();
  return created;
}

Result<ServiceRecord> PostgresOAuthStores::service(const std::string& clientId) {
  Result<std::optional<ServiceRecord>> found =
      database_->read([&](Connection& db) { return pg::selectService(db, clientId); });
  if (!found) return found.takeError();
  if (!*found) return pg::serviceNotFound(clientId);
  return std::move(**found);
}

Result<std::vector<ServiceRecord>> PostgresOAuthStores::services() {
  return database_->read([](Connection& db) { return pg::selectServices(db); });
}

Result<ServiceRecord> PostgresOAuthStores::updateService(const ServiceRecord& service,
                                                         int64_t expectedVersion) {
  MES_RETURN_IF_ERROR(checkServiceRecord(service));
  ServiceRecord updated = service;
  const int64_t now = clock_.nowMs();
  Status written = database_->write([&](Connection& db) -> Status {
    return pg::updateServiceRows(db, updated, expectedVersion, now);
  });
  if (!written) return written.takeError();
  return updated;
}

// --- authorization codes --------------------------------------------------------------------

Status PostgresOAuthStores::putCode(const AuthorizationCode& code) {
  return database_->write([&](Connection& db) -> Status {
    Result<Statement> stmt = db.prepare(kInsertCode);
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

Result<AuthorizationCode> PostgresOAuthStores::consumeCode(const std::string& handle,
                                                           int64_t nowMs) {
  std::optional<AuthorizationCode> consumed;
  Status written = database_->write([&](Connection& db) -> Status {
    {
      Result<Statement> stmt = db.prepare(kConsumeCode);
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
    Result<Statement> purge = db.prepare(kPurgeSomeCodes);
    if (!purge) return purge.takeError();
    purge->bindInt64(1, nowMs);
    return purge->run();
  });
  if (!written) return written.takeError();
  // An expired code was removed above, and is as invalid as an unknown one.
  if (!consumed || nowMs >= consumed->expiresMs) return codeInvalid();
  return std::move(*consumed);
}

Result<int64_t> PostgresOAuthStores::purgeExpiredCodes(int64_t nowMs) {
  return database_->writeCounting(kPurgeCodes, nowMs);
}

// --- refresh tokens -------------------------------------------------------------------------

Status PostgresOAuthStores::createFamily(const RefreshToken& first) {
  return database_->write([&](Connection& db) -> Status {
    Result<Statement> stmt = db.prepare(kInsertFamily);
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

Result<bool> PostgresOAuthStores::familyLive(const std::string& familyId) {
  return database_->read([&](Connection& db) -> Result<bool> {
    Result<Statement> stmt = db.prepare(kFamilyLive);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, familyId);
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    return *row && stmt->int64At(0) == 1;
  });
}

Result<std::pair<RefreshOutcome, RefreshToken>> PostgresOAuthStores::rotate(
    const std::string& presentedHandle, const RefreshToken& next, int64_t nowMs) {
  std::pair<RefreshOutcome, RefreshToken> result{RefreshOutcome::kUnknown, RefreshToken{}};
  Status written = database_->write([&](Connection& db) -> Status {
    Result<std::optional<StoredRefreshToken>> found =
        selectRefreshToken(db, presentedHandle, /*forUpdate=*/true);
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
    Result<Statement> mark = db.prepare(kMarkRotated);
    if (!mark) return mark.takeError();
    mark->bindInt64(1, nowMs);
    mark->bindText(2, presentedHandle);
    Result<int64_t> marked = runCounting(db, *mark);
    if (!marked) return marked.takeError();
    if (*marked != 1) {
      return Error::internal("postgres: refresh token " + presentedHandle.substr(0, 8) +
                             "... was live when read but not when rotated");
    }
    MES_RETURN_IF_ERROR(insertLiveToken(db, next, presented.token.familyId));
    result.first = RefreshOutcome::kRotated;
    return Status::ok();
  });
  if (!written) return written.takeError();
  return result;
}

Status PostgresOAuthStores::revokeFamily(const std::string& familyId, int64_t nowMs) {
  return database_->write([&](Connection& db) -> Status {
    int64_t revoked = 0;
    MES_RETURN_IF_ERROR(revokeFamilyRow(db, familyId, nowMs, &revoked));
    if (revoked > 0) return Status::ok();
    Result<Statement> stmt = db.prepare(kSelectFamily);
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

Result<int64_t> PostgresOAuthStores::revokeFamiliesOf(const std::string& clientId,
                                                      const std::string& patientId, int64_t nowMs) {
  int64_t revoked = 0;
  Status written = database_->write([&](Connection& db) -> Status {
    const bool wholeClient = patientId.empty();
    Result<Statement> stmt = db.prepare(wholeClient ? kRevokeClient : kRevokePairing);
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

Result<RefreshToken> PostgresOAuthStores::findRefreshToken(const std::string& handle) {
  Result<std::optional<StoredRefreshToken>> found =
      database_->read([&](Connection& db) { return selectRefreshToken(db, handle); });
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

Result<bool> PostgresOAuthStores::firstUse(const std::string& key, int64_t expiresMs,
                                           int64_t nowMs) {
  bool first = false;
  Status written = database_->write([&](Connection& db) -> Status {
    Result<Statement> purge = db.prepare(kPurgeSomeReplays);
    if (!purge) return purge.takeError();
    purge->bindInt64(1, nowMs);
    MES_RETURN_IF_ERROR(purge->run());
    Result<Statement> stmt = db.prepare(kRecordReplay);
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

}  // namespace mes::store
