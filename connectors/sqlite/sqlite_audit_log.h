// The audit log (connectors/store/audit_log.h) over a SqliteDatabase shared with the other
// stores, in the tables of migration 5:
//  - audit_log: one row per entry; seq is the rowid (append order); one index on
//    (patient_id, recorded_ms) serves the activity page, newest first;
//  - audit_service_access: one row per (patient, client) with a successful "rest" entry, kept
//    by an insert trigger, so hasSucceeded() is a key lookup.
// Triggers refuse any UPDATE or DELETE of either table, from any connection.
//  - audit_journal_marks (migration 6): one row per audit journal, its import position,
//    written in the transaction of the entries imported (appendImported).
//
// append() is one write transaction (BEGIN IMMEDIATE ... COMMIT) on the database's writer
// connection; reads run on the reader pool. Errors: the database's kUnavailable
// "store-closed" / "store-busy", kInternal for any other SQLite failure (message in detail).
#pragma once

#include "connectors/sql/audit_log_sql.h"
#include "connectors/sql/dialect.h"
#include "connectors/sqlite/sqlite_database.h"

namespace mes::store {

using SqliteAuditLog = sql::AuditLogOver<SqliteDatabase, sql::SqliteDialect>;

}  // namespace mes::store

namespace mes::store::sql {
extern template class AuditLogOver<SqliteDatabase, SqliteDialect>;
}  // namespace mes::store::sql
