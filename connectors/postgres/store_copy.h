// Copies a SQLite store (the default single-machine store) into an empty PostgreSQL store, for
// moving a deployment to PostgreSQL (`mes-gateway store copy --to <url>`): every table of the
// shared migrations 1-8, rows as they are (resources with their whole history and index rows,
// services and their registry facts, history, marks and evidence, accounts, portal sessions,
// authorization codes, refresh families and tokens, the replay cache, login-failure counters, the
// audit log with its first-access rows and journal marks), in one PostgreSQL transaction: the
// target has everything or nothing. Row ids (rid, seq) are kept and the sequences moved past
// them. The signing keys are files, copied by the caller (gateway/store_cli.cpp).
//
// The source must not change meanwhile: stop the gateway first (the command reads one snapshot
// of the SQLite file all the same). Refuses a target that already holds resources, services or
// accounts (kConflict "target-not-empty"), so that nothing is merged by mistake.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "connectors/postgres/postgres_database.h"
#include "connectors/sqlite/sqlite_database.h"
#include "core/status.h"

namespace mes::store {

struct CopyReport {
  std::vector<std::pair<std::string, int64_t>> rows;  // table, rows copied (in copy order)
};

Result<CopyReport> copySqliteToPostgres(SqliteDatabase& from, PostgresDatabase& to);

}  // namespace mes::store
