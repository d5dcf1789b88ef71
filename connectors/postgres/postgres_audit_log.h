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
// append() is one write transaction. With several instances each one's journal slots carry
// random ids (connectors/audit/file_audit_journal.h), so their marks never collide. Errors: the
// database's (postgres_database.h).
#pragma once

#include "connectors/postgres/postgres_database.h"
#include "connectors/sql/audit_log_sql.h"
#include "connectors/sql/dialect.h"

namespace mes::store {

using PostgresAuditLog = sql::AuditLogOver<PostgresDatabase, sql::PostgresDialect>;

}  // namespace mes::store

namespace mes::store::sql {
extern template class AuditLogOver<PostgresDatabase, PostgresDialect>;
}  // namespace mes::store::sql
