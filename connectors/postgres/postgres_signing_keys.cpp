#include "connectors/postgres/postgres_signing_keys.h"

#include <string_view>

#include "connectors/postgres/pg_db.h"

namespace mes::store {
namespace {

using pg::Connection;
using pg::Statement;

constexpr std::string_view kSelectKeys =
    "SELECT kid, private_pem, created_ms, retired_ms FROM signing_keys "
    "ORDER BY retired_ms IS NOT NULL, retired_ms DESC, created_ms DESC";
constexpr std::string_view kLock = "SELECT pg_advisory_xact_lock(?)";
constexpr std::string_view kHasCurrent = "SELECT 1 FROM signing_keys WHERE retired_ms IS NULL";
constexpr std::string_view kInsert =
    "INSERT INTO signing_keys (kid, private_pem, created_ms, retired_ms) VALUES (?, ?, ?, ?)";
constexpr std::string_view kAny = "SELECT 1 FROM signing_keys LIMIT 1";
constexpr std::string_view kRetire =
    "UPDATE signing_keys SET retired_ms = ? WHERE retired_ms IS NULL";
constexpr std::string_view kPrune = "DELETE FROM signing_keys WHERE retired_ms < ?";

Status lock(Connection& db) {
  Result<Statement> stmt = db.prepare(kLock);
  if (!stmt) return stmt.takeError();
  stmt->bindInt64(1, kSigningKeyLock);
  return stmt->run();
}

Status insert(Connection& db, const StoredSigningKey& key) {
  Result<Statement> stmt = db.prepare(kInsert);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, key.kid);
  stmt->bindText(2, key.privatePem);
  stmt->bindInt64(3, key.createdMs);
  stmt->bindOptionalInt64(4, key.retiredMs);
  return stmt->run();
}

}  // namespace

Result<std::vector<StoredSigningKey>> PostgresSigningKeys::signingKeys() {
  return database_->read([](Connection& db) -> Result<std::vector<StoredSigningKey>> {
    Result<Statement> stmt = db.prepare(kSelectKeys);
    if (!stmt) return stmt.takeError();
    std::vector<StoredSigningKey> keys;
    for (;;) {
      Result<bool> row = stmt->step();
      if (!row) return row.takeError();
      if (!*row) return keys;
      StoredSigningKey& key = keys.emplace_back();
      key.kid = stmt->stringAt(0);
      key.privatePem = stmt->stringAt(1);
      key.createdMs = stmt->int64At(2);
      if (!stmt->isNull(3)) key.retiredMs = stmt->int64At(3);
    }
  });
}

Result<bool> PostgresSigningKeys::insertFirstSigningKey(const StoredSigningKey& first) {
  bool inserted = false;
  Status written = database_->write([&](Connection& db) -> Status {
    MES_RETURN_IF_ERROR(lock(db));
    Result<Statement> current = db.prepare(kHasCurrent);
    if (!current) return current.takeError();
    Result<bool> row = current->step();
    if (!row) return row.takeError();
    if (*row) return Status::ok();
    MES_RETURN_IF_ERROR(insert(db, first));
    inserted = true;
    return Status::ok();
  });
  if (!written) return written.takeError();
  return inserted;
}

Status PostgresSigningKeys::rotateSigningKey(const StoredSigningKey& next,
                                             int64_t pruneRetiredBeforeMs) {
  return database_->write([&](Connection& db) -> Status {
    MES_RETURN_IF_ERROR(lock(db));
    Result<Statement> retire = db.prepare(kRetire);
    if (!retire) return retire.takeError();
    retire->bindInt64(1, next.createdMs);
    MES_RETURN_IF_ERROR(retire->run());
    MES_RETURN_IF_ERROR(insert(db, next));
    Result<Statement> prune = db.prepare(kPrune);
    if (!prune) return prune.takeError();
    prune->bindInt64(1, pruneRetiredBeforeMs);
    return prune->run();
  });
}

Status PostgresSigningKeys::importSigningKeys(const std::vector<StoredSigningKey>& keys) {
  return database_->write([&](Connection& db) -> Status {
    MES_RETURN_IF_ERROR(lock(db));
    Result<Statement> any = db.prepare(kAny);
    if (!any) return any.takeError();
    Result<bool> row = any->step();
    if (!row) return row.takeError();
    if (*row) {
      return Error::make(ErrorKind::kConflict, "target-not-empty",
                         "The PostgreSQL store already holds signing keys.");
    }
    for (const StoredSigningKey& key : keys) MES_RETURN_IF_ERROR(insert(db, key));
    return Status::ok();
  });
}

}  // namespace mes::store
