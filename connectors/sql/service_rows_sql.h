// The rows of a ServiceRecord (tables services and service_redirect_uris, migration 2) read and
// written on a connection the caller holds, by the OAuth ServiceStore (oauth_stores_sql_impl.h)
// and the registry store (registry_store_sql_impl.h), which writes a service's record in the same
// transaction as its registry rows; for SQLite and PostgreSQL alike (connectors/sql/dialect.h:
// with PostgreSQL, reading the version for a change locks the row until the transaction ends).
//
//   insertServiceRows     the record as given (version, times included) with its redirect URIs;
//                         kConflict ("already-exists") when the client id is taken
//   updateServiceRows     every field but clientId and createdMs when the stored version is
//                         expectedVersion (kPreconditionFailed "version-conflict" otherwise,
//                         kNotFound "not-found" when unknown), version + 1, updatedMs = nowMs;
//                         fills `service` with what is stored
//   serviceVersion        the stored version; nullopt when unknown
//   requireServiceVersion kPreconditionFailed / kNotFound unless at expectedVersion
//   selectService(s)      one service (nullopt when unknown), or all ordered by client id
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/store/oauth_stores.h"
#include "core/status.h"

namespace mes::store::sql {
namespace service_rows_detail {

inline constexpr std::string_view kInsertService =
    "INSERT INTO services (client_id, name, editor_name, editor_oid, client_type, jwks, "
    "jwks_uri, allowed_scopes, status, version, created_ms, updated_ms) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_id) DO NOTHING";
// Locks the service row (PostgreSQL) until the transaction ends: a version check holds until the
// commit against every other instance.
template <typename Dialect>
inline const std::string kSelectServiceVersion =
    "SELECT version, created_ms FROM services WHERE client_id = ?" +
    std::string(Dialect::kForUpdate);
inline constexpr std::string_view kUpdateService =
    "UPDATE services SET name = ?, editor_name = ?, editor_oid = ?, client_type = ?, jwks = ?, "
    "jwks_uri = ?, allowed_scopes = ?, status = ?, version = ?, updated_ms = ? "
    "WHERE client_id = ?";
inline constexpr std::string_view kDeleteRedirectUris =
    "DELETE FROM service_redirect_uris WHERE client_id = ?";
inline constexpr std::string_view kInsertRedirectUri =
    "INSERT INTO service_redirect_uris (client_id, position, uri) VALUES (?, ?, ?)";
inline constexpr std::string_view kSelectService =
    "SELECT s.client_id, s.name, s.editor_name, s.editor_oid, s.client_type, s.jwks, "
    "s.jwks_uri, s.allowed_scopes, s.status, s.version, s.created_ms, s.updated_ms, u.uri "
    "FROM services AS s LEFT JOIN service_redirect_uris AS u ON u.client_id = s.client_id "
    "WHERE s.client_id = ? ORDER BY u.position";
template <typename Dialect>
inline const std::string kSelectServices =
    "SELECT s.client_id, s.name, s.editor_name, s.editor_oid, s.client_type, s.jwks, "
    "s.jwks_uri, s.allowed_scopes, s.status, s.version, s.created_ms, s.updated_ms, u.uri "
    "FROM services AS s LEFT JOIN service_redirect_uris AS u ON u.client_id = s.client_id "
    "ORDER BY s.client_id" +
    std::string(Dialect::kTextOrder) + ", u.position";

template <typename Db>
Status insertRedirectUris(Db& db, const ServiceRecord& service) {
  auto stmt = db.prepare(kInsertRedirectUri);
  if (!stmt) return stmt.takeError();
  int64_t position = 0;
  for (const std::string& uri : service.redirectUris) {
    stmt->bindText(1, service.clientId);
    stmt->bindInt64(2, position++);
    stmt->bindText(3, uri);
    MES_RETURN_IF_ERROR(stmt->run());
  }
  return Status::ok();
}

// Reads the rows of kSelectService / kSelectServices (one per redirect URI, grouped by
// client id) into records.
template <typename Stmt>
Result<std::vector<ServiceRecord>> readServices(Stmt& stmt) {
  std::vector<ServiceRecord> services;
  for (;;) {
    Result<bool> row = stmt.step();
    if (!row) return row.takeError();
    if (!*row) return services;
    if (services.empty() || services.back().clientId != stmt.textAt(0)) {
      ServiceRecord& service = services.emplace_back();
      service.clientId = stmt.stringAt(0);
      service.name = stmt.stringAt(1);
      service.editorName = stmt.stringAt(2);
      service.editorOid = stmt.stringAt(3);
      service.clientType = stmt.stringAt(4);
      service.jwks = stmt.stringAt(5);
      service.jwksUri = stmt.stringAt(6);
      service.allowedScopes = stmt.stringAt(7);
      service.status = stmt.stringAt(8);
      service.version = stmt.int64At(9);
      service.createdMs = stmt.int64At(10);
      service.updatedMs = stmt.int64At(11);
    }
    if (!stmt.isNull(12)) services.back().redirectUris.push_back(stmt.stringAt(12));
  }
}

inline Error versionConflict(const std::string& clientId, int64_t expected, int64_t current) {
  return Error::make(ErrorKind::kPreconditionFailed, "version-conflict",
                     "Version conflict on service " + clientId + ": expected version " +
                         std::to_string(expected) + ", current version is " +
                         std::to_string(current) + ".");
}

}  // namespace service_rows_detail

using namespace service_rows_detail;

inline Error serviceNotFound(const std::string& clientId) {
  return Error::make(ErrorKind::kNotFound, "not-found", "Service " + clientId + " does not exist.");
}

template <typename Db>
Status insertServiceRows(Db& db, const ServiceRecord& service) {
  auto stmt = db.prepare(kInsertService);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, service.clientId);
  stmt->bindText(2, service.name);
  stmt->bindText(3, service.editorName);
  stmt->bindText(4, service.editorOid);
  stmt->bindText(5, service.clientType);
  stmt->bindText(6, service.jwks);
  stmt->bindText(7, service.jwksUri);
  stmt->bindText(8, service.allowedScopes);
  stmt->bindText(9, service.status);
  stmt->bindInt64(10, service.version);
  stmt->bindInt64(11, service.createdMs);
  stmt->bindInt64(12, service.updatedMs);
  Result<int64_t> inserted = runCounting(db, *stmt);
  if (!inserted) return inserted.takeError();
  if (*inserted == 0) {
    return Error::make(ErrorKind::kConflict, "already-exists",
                       "A service with client id " + service.clientId + " already exists.");
  }
  return insertRedirectUris(db, service);
}

template <typename Dialect, typename Db>
Result<std::optional<int64_t>> serviceVersion(Db& db, const std::string& clientId) {
  auto stmt = db.prepare(kSelectServiceVersion<Dialect>);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, clientId);
  Result<bool> row = stmt->step();
  if (!row) return row.takeError();
  if (!*row) return std::optional<int64_t>();
  return std::optional<int64_t>(stmt->int64At(0));
}

template <typename Dialect, typename Db>
Status requireServiceVersion(Db& db, const std::string& clientId, int64_t expectedVersion) {
  Result<std::optional<int64_t>> current = serviceVersion<Dialect>(db, clientId);
  if (!current) return current.takeError();
  if (!*current) return serviceNotFound(clientId);
  if (**current != expectedVersion) return versionConflict(clientId, expectedVersion, **current);
  return Status::ok();
}

template <typename Dialect, typename Db>
Status updateServiceRows(Db& db, ServiceRecord& service, int64_t expectedVersion, int64_t nowMs) {
  {
    auto stmt = db.prepare(kSelectServiceVersion<Dialect>);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, service.clientId);
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    if (!*row) return serviceNotFound(service.clientId);
    const int64_t current = stmt->int64At(0);
    service.createdMs = stmt->int64At(1);
    if (current != expectedVersion) {
      return versionConflict(service.clientId, expectedVersion, current);
    }
  }
  service.version = expectedVersion + 1;
  service.updatedMs = nowMs;
  auto stmt = db.prepare(kUpdateService);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, service.name);
  stmt->bindText(2, service.editorName);
  stmt->bindText(3, service.editorOid);
  stmt->bindText(4, service.clientType);
  stmt->bindText(5, service.jwks);
  stmt->bindText(6, service.jwksUri);
  stmt->bindText(7, service.allowedScopes);
  stmt->bindText(8, service.status);
  stmt->bindInt64(9, service.version);
  stmt->bindInt64(10, service.updatedMs);
  stmt->bindText(11, service.clientId);
  MES_RETURN_IF_ERROR(stmt->run());
  auto removeUris = db.prepare(kDeleteRedirectUris);
  if (!removeUris) return removeUris.takeError();
  removeUris->bindText(1, service.clientId);
  MES_RETURN_IF_ERROR(removeUris->run());
  return insertRedirectUris(db, service);
}

template <typename Db>
Result<std::optional<ServiceRecord>> selectService(Db& db, const std::string& clientId) {
  auto stmt = db.prepare(kSelectService);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, clientId);
  Result<std::vector<ServiceRecord>> found = readServices(*stmt);
  if (!found) return found.takeError();
  if (found->empty()) return std::optional<ServiceRecord>();
  return std::optional<ServiceRecord>(std::move(found->front()));
}

template <typename Dialect, typename Db>
Result<std::vector<ServiceRecord>> selectServices(Db& db) {
  auto stmt = db.prepare(kSelectServices<Dialect>);
  if (!stmt) return stmt.takeError();
  return readServices(*stmt);
}

}  // namespace mes::store::sql
