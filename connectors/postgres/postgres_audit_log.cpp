// PostgreSQL implementation of the audit log: the tables of migrations 5 and 6 (described in
// connectors/sqlite/sqlite_audit_log.cpp); seq is a BIGSERIAL, returned by the INSERT.
#include "connectors/postgres/postgres_audit_log.h"

#include "connectors/postgres/pg_db.h"
#include "connectors/sql/audit_log_sql_impl.h"

namespace mes::store::sql {
template class AuditLogOver<PostgresDatabase, PostgresDialect>;
}  // namespace mes::store::sql
