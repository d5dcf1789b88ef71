// The member definitions of AuditLogOver (audit_log_sql.h), included only by the two connectors'
// sources, which instantiate it (connectors/sqlite/sqlite_audit_log.cpp,
// connectors/postgres/postgres_audit_log.cpp) with their connection header included first.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/sql/audit_log_sql.h"
#include "connectors/sql/dialect.h"

namespace mes::store::sql {
namespace audit_log_detail {

inline constexpr std::string_view kInsert =
    "INSERT INTO audit_log (recorded_ms, category, action, subtype, success, http_status, "
    "outcome_code, outcome_text, patient_id, client_id, service_name, service_oid, resource, "
    "query, source_address, request_id, actor) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq";

inline constexpr std::string_view kColumns =
    "SELECT seq, recorded_ms, category, action, subtype, success, http_status, outcome_code, "
    "outcome_text, patient_id, client_id, service_name, service_oid, resource, query, "
    "source_address, request_id, actor FROM audit_log ";
inline constexpr std::string_view kOrder = " ORDER BY recorded_ms DESC, seq DESC LIMIT ? OFFSET ?";

inline constexpr std::string_view kUpsertMark =
    "INSERT INTO audit_journal_marks (journal, generation, \"offset\") VALUES (?, ?, ?) "
    "ON CONFLICT (journal) DO UPDATE SET generation = excluded.generation, "
    "\"offset\" = excluded.\"offset\"";
inline constexpr std::string_view kSelectMark =
    "SELECT generation, \"offset\" FROM audit_journal_marks WHERE journal = ?";

inline constexpr std::string_view kHasSucceeded =
    "SELECT 1 FROM audit_service_access WHERE patient_id = ? AND client_id = ?";

template <typename Row>
AuditEntry entryAt(const Row& row) {
  AuditEntry e;
  e.seq = row.int64At(0);
  e.recordedMs = row.int64At(1);
  e.category = row.stringAt(2);
  e.action = row.stringAt(3);
  e.subtype = row.stringAt(4);
  e.success = row.int64At(5) != 0;
  e.httpStatus = static_cast<int>(row.int64At(6));
  e.outcomeCode = row.stringAt(7);
  e.outcomeText = row.stringAt(8);
  e.patientId = row.stringAt(9);
  e.clientId = row.stringAt(10);
  e.serviceName = row.stringAt(11);
  e.serviceOid = row.stringAt(12);
  e.resource = row.stringAt(13);
  e.query = row.stringAt(14);
  e.sourceAddress = row.stringAt(15);
  e.requestId = row.stringAt(16);
  e.actor = row.stringAt(17);
  return e;
}

}  // namespace audit_log_detail

using namespace audit_log_detail;

template <typename Database, typename Dialect>
Result<std::shared_ptr<AuditLogOver<Database, Dialect>>> AuditLogOver<Database, Dialect>::open(
    std::shared_ptr<Database> database) {
  if (database == nullptr) return Error::internal("store: the audit log needs a database");
  if (database->schemaVersion() < kSchemaVersion) {
    return Error::internal("store: the database is at schema version " +
                           std::to_string(database->schemaVersion()) + ", the audit log needs " +
                           std::to_string(kSchemaVersion));
  }
  return std::shared_ptr<AuditLogOver<Database, Dialect>>(new AuditLogOver(std::move(database)));
}

namespace audit_log_detail {

// The inserts of append() on the connection of a write, inside its transaction.
template <typename Db>
Status insertEntries(Db& db, const std::vector<AuditEntry*>& entries) {
  if (entries.empty()) return Status::ok();
  auto stmt = db.prepare(kInsert);
  if (!stmt) return stmt.takeError();
  for (AuditEntry* e : entries) {
    stmt->bindInt64(1, e->recordedMs);
    stmt->bindText(2, e->category);
    stmt->bindText(3, e->action);
    stmt->bindText(4, e->subtype);
    stmt->bindInt64(5, e->success ? 1 : 0);
    stmt->bindInt64(6, e->httpStatus);
    stmt->bindText(7, e->outcomeCode);
    stmt->bindText(8, e->outcomeText);
    stmt->bindText(9, e->patientId);
    stmt->bindText(10, e->clientId);
    stmt->bindText(11, e->serviceName);
    stmt->bindText(12, e->serviceOid);
    stmt->bindText(13, e->resource);
    stmt->bindText(14, e->query);
    stmt->bindText(15, e->sourceAddress);
    stmt->bindText(16, e->requestId);
    stmt->bindText(17, e->actor);
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    if (!*row) return Error::internal("store: INSERT INTO audit_log returned no seq");
    e->seq = stmt->int64At(0);
    stmt->reset();  // the RETURNING row read: ready to be bound again
  }
  return Status::ok();
}

}  // namespace audit_log_detail

template <typename Database, typename Dialect>
Status AuditLogOver<Database, Dialect>::append(const std::vector<AuditEntry*>& entries) {
  if (entries.empty()) return Status::ok();
  return this->database_->write([&entries](auto& db) { return insertEntries(db, entries); });
}

template <typename Database, typename Dialect>
Status AuditLogOver<Database, Dialect>::appendImported(const std::vector<AuditEntry*>& entries,
                                                       const std::string& journal,
                                                       const JournalMark& mark) {
  return this->database_->write([&](auto& db) -> Status {
    MES_RETURN_IF_ERROR(insertEntries(db, entries));
    auto stmt = db.prepare(kUpsertMark);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, journal);
    stmt->bindInt64(2, mark.generation);
    stmt->bindInt64(3, mark.offset);
    return stmt->run();
  });
}

template <typename Database, typename Dialect>
Result<std::optional<JournalMark>> AuditLogOver<Database, Dialect>::journalMark(
    const std::string& journal) {
  return this->database_->read([&](auto& db) -> Result<std::optional<JournalMark>> {
    auto stmt = db.prepare(kSelectMark);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, journal);
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    if (!*row) return std::optional<JournalMark>();
    return std::optional<JournalMark>(JournalMark{stmt->int64At(0), stmt->int64At(1)});
  });
}

template <typename Database, typename Dialect>
Result<std::vector<AuditEntry>> AuditLogOver<Database, Dialect>::forPatient(
    const std::string& patientId, const std::string& clientId, int limit, int offset) {
  std::string sql(kColumns);
  sql += clientId.empty() ? "WHERE patient_id = ?" : "WHERE patient_id = ? AND client_id = ?";
  sql += kOrder;
  return this->database_->read([&](auto& db) -> Result<std::vector<AuditEntry>> {
    auto stmt = db.prepare(sql);
    if (!stmt) return stmt.takeError();
    int at = 1;
    stmt->bindText(at++, patientId);
    if (!clientId.empty()) stmt->bindText(at++, clientId);
    stmt->bindInt64(at++, limit);
    stmt->bindInt64(at, offset);
    std::vector<AuditEntry> out;
    while (true) {
      Result<bool> row = stmt->step();
      if (!row) return row.takeError();
      if (!*row) break;
      out.push_back(entryAt(*stmt));
    }
    return out;
  });
}

template <typename Database, typename Dialect>
Result<bool> AuditLogOver<Database, Dialect>::hasSucceeded(const std::string& patientId,
                                                           const std::string& clientId) {
  return this->database_->read([&](auto& db) -> Result<bool> {
    auto stmt = db.prepare(kHasSucceeded);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, patientId);
    stmt->bindText(2, clientId);
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    const bool found = *row;
    stmt->reset();
    return found;
  });
}

}  // namespace mes::store::sql
