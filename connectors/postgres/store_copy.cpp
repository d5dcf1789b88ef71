#include "connectors/postgres/store_copy.h"

#include <string_view>

#include "connectors/postgres/pg_db.h"
#include "connectors/sqlite/sqlite_db.h"

namespace mes::store {
namespace {

struct TableCopy {
  std::string_view table;
  std::string_view columns;  // the same names on both sides
  std::string_view order;    // SQLite ORDER BY: parents before children, append order kept
};

// Parents before children (foreign keys). audit_service_access is not copied: PostgreSQL's
// trigger on audit_log rebuilds it, row for row, as the entries arrive in seq order.
constexpr TableCopy kTables[] = {
    {"resource", "rid, type, id, version_id, last_updated, deleted, patient, date_low, date_high",
     "rid"},
    {"resource_version", "rid, version_id, last_updated, deleted, source, content",
     "rid, version_id"},
    {"token_index", "rid, param, system, code, type, patient, date_low", "rid"},
    {"reference_index", "rid, param, target, type, patient, date_low", "rid"},
    {"date_index", "rid, param, low_ms, high_ms", "rid"},
    {"services",
     "client_id, name, editor_name, editor_oid, client_type, jwks, jwks_uri, allowed_scopes, "
     "status, version, created_ms, updated_ms",
     "client_id"},
    {"service_redirect_uris", "client_id, position, uri", "client_id, position"},
    {"authorization_codes",
     "handle, client_id, redirect_uri, code_challenge, patient_id, scope, nonce, expires_ms",
     "handle"},
    {"refresh_families", "family_id, client_id, patient_id, created_ms, revoked_at", "family_id"},
    {"refresh_tokens", "handle, family_id, state, scope, issued_ms, expires_ms, rotated_ms",
     "handle"},
    {"replay_cache", "key, expires_ms", "key"},
    {"accounts",
     "account_id, login, role, patient_id, password_hash, failed_logins, locked_until_ms, "
     "created_ms, updated_ms",
     "account_id"},
    {"portal_sessions",
     "handle, state, account_id, csrf_token, otp_hash, otp_expires_ms, otp_attempts, created_ms, "
     "last_seen_ms, expires_ms",
     "handle"},
    {"login_address_failures", "address, window_start_ms, failures", "address, window_start_ms"},
    {"audit_log",
     "seq, recorded_ms, category, action, subtype, success, http_status, outcome_code, "
     "outcome_text, patient_id, client_id, service_name, service_oid, resource, query, "
     "source_address, request_id, actor",
     "seq"},
    {"audit_journal_marks", "journal, generation, \"offset\"", "journal"},
    {"registry_organisations",
     "organisation_id, legal_name, siret, editor_oid, contact, created_ms", "organisation_id"},
    {"registry_members", "account_id, organisation_id, created_ms", "account_id"},
    {"registry_services",
     "client_id, organisation_id, editor_siret, contact, description, category, website, "
     "requested_accesses, granted_accesses, decision, evaluation_round",
     "client_id"},
    {"registry_reservations", "client_id, position, text", "client_id, position"},
    {"registry_history",
     "seq, client_id, recorded_ms, action, from_status, to_status, actor_account_id, "
     "actor_login, actor_role, reason, detail",
     "seq"},
    {"registry_marks",
     "client_id, round, criterion_id, verdict, note, actor_account_id, actor_login, marked_ms",
     "client_id, round, criterion_id"},
    // rowid order is upload order: the BIGSERIAL position keeps it.
    {"registry_evidence",
     "evidence_id, client_id, kind, content, sha256, uploaded_by_account_id, uploaded_by_login, "
     "uploaded_ms",
     "rowid"},
};

// Sequences moved past the copied ids, so that new rows continue after them.
constexpr std::string_view kSequences[][2] = {
    {"resource", "rid"}, {"audit_log", "seq"}, {"registry_history", "seq"}};

int columnCount(std::string_view columns) {
  int count = 1;
  for (char c : columns) count += c == ',' ? 1 : 0;
  return count;
}

Status refuseNonEmpty(pg::Connection& db) {
  for (std::string_view table : {"resource", "services", "accounts", "audit_log"}) {
    Result<pg::Statement> stmt =
        db.prepare("SELECT EXISTS (SELECT 1 FROM " + std::string(table) + ")");
    if (!stmt) return stmt.takeError();
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    if (*row && stmt->int64At(0) == 1) {
      return Error::make(ErrorKind::kConflict, "target-not-empty",
                         "The PostgreSQL store already holds data (table " + std::string(table) +
                             "); copy into an empty database or schema.");
    }
  }
  return Status::ok();
}

}  // namespace

Result<CopyReport> copySqliteToPostgres(SqliteDatabase& from, PostgresDatabase& to) {
  if (from.schemaVersion() != SqliteDatabase::latestSchemaVersion()) {
    return Error::internal("store copy: the SQLite store is not at the latest schema version");
  }
  CopyReport report;
  Result<SqliteDatabase::ReaderLease> lease = from.leaseReader();
  if (!lease) return lease.takeError();
  sqlite::Connection& source = lease->connection();
  // One snapshot of the SQLite file for the whole copy.
  MES_RETURN_IF_ERROR(source.exec("BEGIN"));
  Status copied = to.write([&](pg::Connection& target) -> Status {
    MES_RETURN_IF_ERROR(refuseNonEmpty(target));
    for (const TableCopy& table : kTables) {
      const int columns = columnCount(table.columns);
      std::string insert = "INSERT INTO " + std::string(table.table) + " (" +
                           std::string(table.columns) + ") VALUES (";
      for (int i = 0; i < columns; ++i) insert += i == 0 ? "?" : ", ?";
      insert += ")";
      Result<pg::Statement> put = target.prepare(insert);
      if (!put) return put.takeError();
      Result<sqlite::Statement> get = source.prepareUncached(
          "SELECT " + std::string(table.columns) + " FROM " + std::string(table.table) +
          " ORDER BY " + std::string(table.order));
      if (!get) return get.takeError();
      int64_t count = 0;
      for (;;) {
        Result<bool> row = get->step();
        if (!row) return row.takeError();
        if (!*row) break;
        for (int i = 0; i < columns; ++i) {
          if (get->isNull(i)) {
            put->bindNull(i + 1);
          } else {
            put->bindText(i + 1, get->textAt(i));
          }
        }
        MES_RETURN_IF_ERROR(put->run());
        ++count;
      }
      report.rows.emplace_back(std::string(table.table), count);
    }
    for (const auto& [table, column] : kSequences) {
      const std::string t(table);
      const std::string c(column);
      Result<pg::Statement> stmt = target.prepare(
          "SELECT setval(pg_get_serial_sequence('" + t + "', '" + c + "'), GREATEST(COALESCE(MAX(" +
          c + "), 0), 1), MAX(" + c + ") IS NOT NULL) FROM " + t);
      if (!stmt) return stmt.takeError();
      MES_RETURN_IF_ERROR(stmt->run());
    }
    return Status::ok();
  });
  (void)source.exec("COMMIT");
  if (!copied) return copied.takeError();
  return report;
}

}  // namespace mes::store
