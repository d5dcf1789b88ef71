// What differs between the SQL of the SQLite and PostgreSQL stores, for the statements they share
// (connectors/sql/*_sql.h). SQLite serialises writers on one connection, so it needs no row
// locks; PostgreSQL serves many connections and instances at once, so a read that decides a
// write locks its rows (FOR UPDATE) and bounded purges skip rows another transaction is purging.
// Text ordering is byte order on both (SQLite's BINARY, PostgreSQL's "C" collation).
#pragma once

#include <string_view>

namespace mes::store::sql {

struct SqliteDialect {
  static constexpr std::string_view kForUpdate = "";
  static constexpr std::string_view kSkipLocked = "";
  static constexpr std::string_view kTextOrder = "";
  static constexpr std::string_view kInsertionOrder = "rowid";  // of registry_evidence
};

struct PostgresDialect {
  static constexpr std::string_view kForUpdate = " FOR UPDATE";
  static constexpr std::string_view kSkipLocked = " FOR UPDATE SKIP LOCKED";
  static constexpr std::string_view kTextOrder = " COLLATE \"C\"";
  static constexpr std::string_view kInsertionOrder = "position";  // a BIGSERIAL column
};

}  // namespace mes::store::sql
