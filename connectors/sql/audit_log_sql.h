// The audit log (connectors/store/audit_log.h) over a SQL database, written once for SQLite
// (connectors/sqlite/sqlite_audit_log.h) and PostgreSQL (connectors/postgres/postgres_audit_log.h):
// the tables of migrations 5 and 6, the same statements, the differences in
// connectors/sql/dialect.h. `Database` is SqliteDatabase or PostgresDatabase: write(work) runs
// `work` in one transaction, read(work) outside one, snapshot(work) in one read-only snapshot. The
// member definitions are in audit_log_sql_impl.h, instantiated once per database by its connector.
#pragma once

#include <memory>

#include "connectors/store/audit_log.h"

namespace mes::store::sql {

template <typename Database, typename Dialect>
class AuditLogOver final : public AuditLog {
 public:
  // kInternal when the database's schema predates the audit tables.
  static Result<std::shared_ptr<AuditLogOver>> open(std::shared_ptr<Database> database);

  static constexpr int64_t kSchemaVersion = 10;

  Status append(const std::vector<AuditEntry*>& entries) override;
  Status appendImported(const std::vector<AuditEntry*>& entries, const std::string& journal,
                        const JournalMark& mark) override;
  Result<std::optional<JournalMark>> journalMark(const std::string& journal) override;
  Result<std::vector<AuditEntry>> forPatient(const std::string& patientId,
                                             const std::string& clientId, int limit,
                                             int offset) override;
  Result<bool> hasSucceeded(const std::string& patientId, const std::string& clientId) override;

 private:
  explicit AuditLogOver(std::shared_ptr<Database> database) : database_(std::move(database)) {}
  const std::shared_ptr<Database> database_;
};

}  // namespace mes::store::sql
