// SQLite implementation of store::Repository.
//
// Schema (migration 1 in sqlite_database.cpp) and why:
//
//   resource(rid PK, type, id, version_id, last_updated, deleted, patient, date_low, date_high)
//     One row per logical resource: its current version and the index values of that version
//     (patient and date range are NULL once deleted). `rid` is a compact surrogate key the
//     other tables point at, so they never repeat (type, id). Indexes:
//       resource_by_id               (type, id) UNIQUE          read / write by id
//       resource_by_patient_date     (type, patient, date_low)  patient searches sorted by date
//       resource_by_patient_updated  (type, patient, last_updated)  patient "_lastUpdated"
//     An index entry ends with the rowid (= rid), so "ORDER BY date_low, rid" is index order.
//
//   resource_version(vid PK, rid, version_id, last_updated, deleted, source, content)
//     Every version, the current one included: the JSON is stored exactly once per version
//     and read through (rid, version_id) (UNIQUE index resource_version_by_rid), which serves
//     read, vread and history. A delete is a version with deleted=1 and content NULL.
//
//   token_index(rid, param, system, code, type, patient, date_low)      WITHOUT ROWID,
//   reference_index(rid, param, target, type, patient, date_low)         WITHOUT ROWID
//     The search rows of the current version only; replaced on every write of the resource
//     and removed on delete. The primary key starts with rid (replace/delete by resource, and
//     "does this resource have token X" probes). The resource's type, patient and date_low
//     are denormalised into each row so that the lookup indexes
//       token_lookup     (type, param, code, patient, date_low)   [+ PK suffix rid, system]
//       reference_lookup (type, param, target, patient, date_low) [+ PK suffix rid]
//     answer "last measure of a code for a patient" (one descending index seek, LIMIT 1) and
//     "measures of a code for a patient in a date range" (one index range) without touching
//     other patients' or other codes' rows: the cost does not grow with the table. Both
//     tables are WITHOUT ROWID because their rows are small and the primary key is the
//     natural one; the lookup index then carries rid for free, which makes it covering and
//     lets "ORDER BY date_low, rid" come straight from it.
//
//   date_index(rid, param, low_ms, high_ms)   WITHOUT ROWID (migration 7)
//     Named date ranges besides the main one (store::DateIndex), e.g. a DocumentReference's
//     context.period ("period") while date_low/date_high hold DocumentReference.date. Like
//     the other index tables, rows of the current version only, replaced on every write and
//     removed on delete. A search filters on them with an EXISTS probe on the primary key
//     (rid, param, ...): they narrow a result the patient, token or main-date access path
//     already bounds, so no lookup index by value is kept (add one, (param, low_ms), if a
//     search is ever driven by a named date alone). A PostgreSQL store keeps the same table.
//
// The statements, the search builder and the write transaction are shared with the PostgreSQL
// store (connectors/sql/repository_sql.h).
//
// A write is: one SELECT of the current row, then INSERT resource_version, INSERT or UPDATE
// resource, DELETE of the old index rows and one INSERT per index row, all with cached
// prepared statements, inside BEGIN IMMEDIATE ... COMMIT on the single writer connection.
//
// A search is driven by one table: the index rows of its most selective token filter (else
// reference filter) through the *_lookup index, or else the resource rows through the
// (type, patient, ...) indexes. The other filters are EXISTS probes on the primary keys.
// CROSS JOIN fixes that join order for SQLite's planner.
//
// Connections, WAL checkpoints and migrations belong to SqliteDatabase, which other stores
// share.
#include "connectors/sqlite/sqlite_repository.h"

#include <optional>
#include <string_view>
#include <utility>

#include "connectors/sql/repository_sql.h"
#include "connectors/sqlite/sqlite_db.h"

namespace mes::store {
namespace {

using sqlite::Connection;
using sqlite::Statement;
using namespace sql;

Status runSql(Connection& db, std::string_view sql) {
  Result<Statement> stmt = db.prepare(sql);
  if (!stmt) return stmt.takeError();
  return stmt->run();
}

// A search on a reader connection: the page and the total in one read transaction when both
// run, so that they agree.
Result<SearchPage> searchOnReader(Connection& db, const SearchQuery& query) {
  if (!searchNeedsSnapshot(query)) return runSearch(db, query);
  MES_RETURN_IF_ERROR(runSql(db, "BEGIN"));
  Result<SearchPage> page = runSearch(db, query);
  if (page) {
    Status committed = runSql(db, "COMMIT");
    if (!committed) page = committed.takeError();
  }
  if (db.inTransaction()) (void)runSql(db, "ROLLBACK");
  return page;
}

}  // namespace

// --- lifecycle ------------------------------------------------------------------------------

SqliteRepository::SqliteRepository(std::shared_ptr<SqliteDatabase> database, const Clock& clock)
    : database_(std::move(database)), clock_(clock) {}

SqliteRepository::~SqliteRepository() = default;

int64_t SqliteRepository::latestSchemaVersion() {
  return SqliteDatabase::latestSchemaVersion();
}

Result<std::unique_ptr<SqliteRepository>> SqliteRepository::open(const SqliteOptions& options,
                                                                 const Clock& clock) {
  Result<std::shared_ptr<SqliteDatabase>> database = SqliteDatabase::open(options, clock);
  if (!database) return database.takeError();
  return std::make_unique<SqliteRepository>(std::move(database).value(), clock);
}

Status SqliteRepository::close() {
  return database_->close();
}

Status SqliteRepository::ping() {
  return database_->ping();
}

// --- Repository -----------------------------------------------------------------------------

Result<ResourceRecord> SqliteRepository::read(const std::string& type, const std::string& id) {
  Result<SqliteDatabase::ReaderLease> lease = database_->leaseReader();
  if (!lease) return lease.takeError();
  return readResource(lease->connection(), type, id);
}

Result<ResourceRecord> SqliteRepository::vread(const std::string& type, const std::string& id,
                                               int64_t versionId) {
  Result<SqliteDatabase::ReaderLease> lease = database_->leaseReader();
  if (!lease) return lease.takeError();
  return readVersion(lease->connection(), type, id, versionId);
}

Result<std::vector<ResourceRecord>> SqliteRepository::history(const std::string& type,
                                                              const std::string& id) {
  Result<SqliteDatabase::ReaderLease> lease = database_->leaseReader();
  if (!lease) return lease.takeError();
  return readHistory(lease->connection(), type, id);
}

Result<SearchPage> SqliteRepository::search(const SearchQuery& query) {
  Result<SqliteDatabase::ReaderLease> lease = database_->leaseReader();
  if (!lease) return lease.takeError();
  return searchOnReader(lease->connection(), query);
}

Result<std::vector<std::string>> SqliteRepository::explainSearch(const SearchQuery& query) {
  MES_RETURN_IF_ERROR(checkPaging(query));
  Result<SqliteDatabase::ReaderLease> lease = database_->leaseReader();
  if (!lease) return lease.takeError();
  const SearchSql sql = buildSearchSql(query);
  std::vector<std::string> lines;
  if (sql.matchesNothing) return lines;
  auto explain = [&](std::string_view label, const std::string& text, bool paged) -> Status {
    Result<Statement> stmt = lease->connection().prepareUncached("EXPLAIN QUERY PLAN " + text);
    if (!stmt) return stmt.takeError();
    const int next = bindArgs(*stmt, sql.args);
    if (paged) {
      stmt->bindInt64(next, query.count);
      stmt->bindInt64(next + 1, query.offset);
    }
    for (;;) {
      Result<bool> row = stmt->step();
      if (!row) return row.takeError();
      if (!*row) return Status::ok();
      std::string line(label);
      line.append(stmt->textAt(3));  // columns: id, parent, notused, detail
      lines.push_back(std::move(line));
    }
  };
  MES_RETURN_IF_ERROR(explain("page: ", sql.page, true));
  if (query.withTotal) MES_RETURN_IF_ERROR(explain("total: ", sql.total, false));
  return lines;
}

Status SqliteRepository::transaction(const std::function<Status(Transaction&)>& work) {
  return database_->write([&](Connection& db) -> Status {
    WriteTransaction<Connection> tx(db, clock_);
    Status outcome = work(tx);
    // A SQLite failure the callback ignored still aborts the transaction.
    if (outcome && tx.failure()) outcome = *tx.failure();
    return outcome;
  });
}

}  // namespace mes::store
