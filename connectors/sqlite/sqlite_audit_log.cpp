
#include "connectors/sqlite/sqlite_audit_log.h"

#include "connectors/sql/audit_log_sql_impl.h"
#include "connectors/sqlite/sqlite_db.h"

namespace mes::store::sql {
template class AuditLogOver<SqliteDatabase, SqliteDialect>;
}  // namespace mes::store::sql
