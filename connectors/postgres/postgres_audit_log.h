// The audit log (connectors/store/audit_log.h) over a PostgresDatabase shared with the other
// stores, in the tables of migration 5:
//  - audit_log: one row per entry; seq a BIGSERIAL (append order); one index on
//    (patient_id, recorded_ms) serves the activity page, newest first;
//  - audit_service_access: one row per (patient, client) with a successful "rest" entry, kept
//    by an insert trigger, so hasSucceeded() is a key lookup.
// Triggers refuse any UPDATE or DELETE of either table, from any connection.
//  - audit_journal_marks (migration 6): one row per audit journal, its import position,
//    written in the transaction of the entries imported (appendImported).
//
// append() is one write transaction. With several instances each one's journal has its own name
// (gateway: "<instance id>/journal-<n>"), so their marks never collide. Errors: the
// database's (postgres_database.h).
#pragma once

#include <memory>

#include "connectors/postgres/postgres_database.h"
#include "connectors/store/audit_log.h"

namespace mes::store {

class PostgresAuditLog final : public AuditLog {
 public:
  // kInternal when the database's schema predates the audit tables.
  static Result<std::shared_ptr<PostgresAuditLog>> open(std::shared_ptr<PostgresDatabase> database);

  static constexpr int64_t kSchemaVersion = 6;

  Status append(const std::vector<AuditEntry*>& entries) override;
  Status appendImported(const std::vector<AuditEntry*>& entries, const std::string& journal,
                        const JournalMark& mark) override;
  Result<std::optional<JournalMark>> journalMark(const std::string& journal) override;
  Result<std::vector<AuditEntry>> forPatient(const std::string& patientId,
                                             const std::string& clientId, int limit,
                                             int offset) override;
  Result<bool> hasSucceeded(const std::string& patientId, const std::string& clientId) override;

 private:
  explicit PostgresAuditLog(std::shared_ptr<PostgresDatabase> database)
      : database_(std::move(database)) {}
  // The inserts of append() on the writer connection, inside its transaction.
  static Status insert(pg::Connection& db, const std::vector<AuditEntry*>& entries);
  std::shared_ptr<PostgresDatabase> database_;
};

}  // namespace mes::store
