#include "connectors/postgres/postgres_service_rows.h"

#include <string_view>

namespace mes::store::pg {
namespace {

constexpr std::string_view kInsertService =
    "INSERT INTO services (client_id, name, editor_name, editor_oid, client_type, jwks, "
    "jwks_uri, allowed_scopes, status, version, created_ms, updated_ms) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_id) DO NOTHING";
constexpr std::string_view kSelectServiceVersion =
    "SELECT version, created_ms FROM services WHERE client_id = ? FOR UPDATE";
constexpr std::string_view kUpdateService =
    "UPDATE services SET name = ?, editor_name = ?, editor_oid = ?, client_type = ?, jwks = ?, "
    "jwks_uri = ?, allowed_scopes = ?, status = ?, version = ?, updated_ms = ? "
    "WHERE client_id = ?";
constexpr std::string_view kDeleteRedirectUris =
    "DELETE FROM service_redirect_uris WHERE client_id = ?";
constexpr std::string_view kInsertRedirectUri =
    "INSERT INTO service_redirect_uris (client_id, position, uri) VALUES (?, ?, ?)";
constexpr std::string_view kSelectService =
    "SELECT s.client_id, s.name, s.editor_name, s.editor_oid, s.client_type, s.jwks, "
    "s.jwks_uri, s.allowed_scopes, s.status, s.version, s.created_ms, s.updated_ms, u.uri "
    "FROM services AS s LEFT JOIN service_redirect_uris AS u ON u.client_id = s.client_id "
    "WHERE s.client_id = ? ORDER BY u.position";
constexpr std::string_view kSelectServices =
    "SELECT s.client_id, s.name, s.editor_name, s.editor_oid, s.client_type, s.jwks, "
    "s.jwks_uri, s.allowed_scopes, s.status, s.version, s.created_ms, s.updated_ms, u.uri "
    "FROM services AS s LEFT JOIN service_redirect_uris AS u ON u.client_id = s.client_id "
    "ORDER BY s.client_id COLLATE \"C\", u.position";

Status insertRedirectUris(Connection& db, const ServiceRecord& service) {
  Result<Statement> stmt = db.prepare(kInsertRedirectUri);
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
Result<std::vector<ServiceRecord>> readServices(Statement& stmt) {
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

Error versionConflict(const std::string& clientId, int64_t expected, int64_t current) {
  return Error::make(ErrorKind::kPreconditionFailed, "version-conflict",
                     "Version conflict on service " + clientId + ": expected version " +
                         std::to_string(expected) + ", current version is " +
                         std::to_string(current) + ".");
}

}  // namespace

Error serviceNotFound(const std::string& clientId) {
  return Error::make(ErrorKind::kNotFound, "not-found", "Service " + clientId + " does not exist.");
}

Status insertServiceRows(Connection& db, const ServiceRecord& service) {
  Result<Statement> stmt = db.prepare(kInsertService);
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

Result<std::optional<int64_t>> serviceVersion(Connection& db, const std::string& clientId) {
  Result<Statement> stmt = db.prepare(kSelectServiceVersion);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, clientId);
  Result<bool> row = stmt->step();
  if (!row) return row.takeError();
  if (!*row) return std::optional<int64_t>();
  return std::optional<int64_t>(stmt->int64At(0));
}

Status requireServiceVersion(Connection& db, const std::string& clientId, int64_t expectedVersion) {
  Result<std::optional<int64_t>> current = serviceVersion(db, clientId);
  if (!current) return current.takeError();
  if (!*current) return serviceNotFound(clientId);
  if (**current != expectedVersion) return versionConflict(clientId, expectedVersion, **current);
  return Status::ok();
}

Status updateServiceRows(Connection& db, ServiceRecord& service, int64_t expectedVersion,
                         int64_t nowMs) {
  {
    Result<Statement> stmt = db.prepare(kSelectServiceVersion);
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
  Result<Statement> stmt = db.prepare(kUpdateService);
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
  Result<Statement> removeUris = db.prepare(kDeleteRedirectUris);
  if (!removeUris) return removeUris.takeError();
  removeUris->bindText(1, service.clientId);
  MES_RETURN_IF_ERROR(removeUris->run());
  return insertRedirectUris(db, service);
}

Result<std::optional<ServiceRecord>> selectService(Connection& db, const std::string& clientId) {
  Result<Statement> stmt = db.prepare(kSelectService);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, clientId);
  Result<std::vector<ServiceRecord>> found = readServices(*stmt);
  if (!found) return found.takeError();
  if (found->empty()) return std::optional<ServiceRecord>();
  return std::optional<ServiceRecord>(std::move(found->front()));
}

Result<std::vector<ServiceRecord>> selectServices(Connection& db) {
  Result<Statement> stmt = db.prepare(kSelectServices);
  if (!stmt) return stmt.takeError();
  return readServices(*stmt);
}

}  // namespace mes::store::pg
