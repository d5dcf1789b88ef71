// The repository's SQL and logic, shared by the SQLite (connectors/sqlite/sqlite_repository.h)
// and PostgreSQL (connectors/postgres/postgres_repository.h) stores: both keep the same tables
// (migrations 1 and 7 of each), so the statements, the search builder and the write transaction
// are written once, as templates over the connection type. A connection type `Db` offers
// `Result<Stmt> prepare(std::string_view sql)` with `?` placeholders, and `Stmt` offers
// bindInt64 / bindOptionalInt64 / bindText / bindTextOrNull / bindNull (1-based), `Result<bool>
// step()`, `Status run()`, and the column readers isNull / int64At / textAt / stringAt.
//
// The SQL is the common dialect of SQLite >= 3.35 and PostgreSQL: ON CONFLICT DO NOTHING,
// RETURNING, row values, CROSS JOIN (which fixes SQLite's join order and is a plain join to
// PostgreSQL), integer 0/1 flags. The schema and the reasons for its shape are described in
// connectors/sqlite/sqlite_repository.cpp.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "connectors/store/repository.h"
#include "core/clock.h"
#include "core/status.h"

namespace mes::store::sql {

inline constexpr std::string_view kSelectCurrentRow =
    "SELECT rid, version_id, last_updated, deleted FROM resource WHERE type = ? AND id = ?";
inline constexpr std::string_view kReadCurrent =
    "SELECT r.version_id, r.last_updated, r.deleted, v.source, v.content, r.patient "
    "FROM resource AS r JOIN resource_version AS v "
    "ON v.rid = r.rid AND v.version_id = r.version_id "
    "WHERE r.type = ? AND r.id = ?";
inline constexpr std::string_view kReadVersion =
    "SELECT v.version_id, v.last_updated, v.deleted, v.source, v.content, r.patient "
    "FROM resource AS r JOIN resource_version AS v ON v.rid = r.rid "
    "WHERE r.type = ? AND r.id = ? AND v.version_id = ?";
inline constexpr std::string_view kReadHistory =
    "SELECT v.version_id, v.last_updated, v.deleted, v.source, v.content, r.patient "
    "FROM resource AS r JOIN resource_version AS v ON v.rid = r.rid "
    "WHERE r.type = ? AND r.id = ? ORDER BY v.version_id DESC";

inline constexpr std::string_view kInsertResource =
    "INSERT INTO resource (type, id, version_id, last_updated, deleted, patient, date_low, "
    "date_high) VALUES (?, ?, ?, ?, 0, ?, ?, ?) RETURNING rid";
inline constexpr std::string_view kUpdateResource =
    "UPDATE resource SET version_id = ?, last_updated = ?, deleted = ?, patient = ?, "
    "date_low = ?, date_high = ? WHERE rid = ?";
inline constexpr std::string_view kInsertVersion =
    "INSERT INTO resource_version (rid, version_id, last_updated, deleted, source, content) "
    "VALUES (?, ?, ?, ?, ?, ?)";
inline constexpr std::string_view kDeleteTokens = "DELETE FROM token_index WHERE rid = ?";
inline constexpr std::string_view kDeleteReferences = "DELETE FROM reference_index WHERE rid = ?";
inline constexpr std::string_view kDeleteDates = "DELETE FROM date_index WHERE rid = ?";
// DO NOTHING: a resource listing the same token twice gets one row.
inline constexpr std::string_view kInsertToken =
    "INSERT INTO token_index (rid, param, system, code, type, patient, date_low) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
inline constexpr std::string_view kInsertReference =
    "INSERT INTO reference_index (rid, param, target, type, patient, date_low) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
inline constexpr std::string_view kInsertDate =
    "INSERT INTO date_index (rid, param, low_ms, high_ms) VALUES (?, ?, ?, ?) "
    "ON CONFLICT DO NOTHING";

// --- errors (the codes every Repository implementation uses) ---------------------------------

std::string resourceName(std::string_view type, std::string_view id);
Error notFoundError(std::string_view type, std::string_view id);
Error versionNotFoundError(std::string_view type, std::string_view id, int64_t versionId);
Error goneError(std::string_view type, std::string_view id);
Error goneVersionError(std::string_view type, std::string_view id, int64_t versionId);
Error alreadyExistsError(std::string_view type, std::string_view id);
Error versionConflictError(std::string_view type, std::string_view id, int64_t expected,
                           int64_t current);
Error invalidSearchError(std::string message);

// --- search SQL ------------------------------------------------------------------------------

using SqlArg = std::variant<int64_t, std::string_view>;

// The statements a search runs. Both share the filter arguments; the page then takes
// LIMIT and OFFSET.
struct SearchSql {
  bool matchesNothing = false;  // a filter with no alternatives: no statement to run
  std::string page;
  std::string total;
  std::vector<SqlArg> args;
};

// The statements of a search (its filters as `?` arguments). kInvalid "invalid-search" for a
// negative count or offset comes from checkPaging, which callers run first.
SearchSql buildSearchSql(const SearchQuery& query);
Status checkPaging(const SearchQuery& query);

template <typename Stmt>
int bindArgs(Stmt& stmt, const std::vector<SqlArg>& args) {
  int index = 1;
  for (const SqlArg& arg : args) {
    if (const auto* number = std::get_if<int64_t>(&arg)) {
      stmt.bindInt64(index, *number);
    } else {
      stmt.bindText(index, std::get<std::string_view>(arg));
    }
    ++index;
  }
  return index;
}

// --- reads -----------------------------------------------------------------------------------

// Reads the record columns (version_id, last_updated, deleted, source, content, patient) of a row.
template <typename Row>
ResourceRecord recordFromRow(const Row& row, const std::string& type, const std::string& id) {
  ResourceRecord record;
  record.type = type;
  record.id = id;
  record.versionId = row.int64At(0);
  record.lastUpdatedMs = row.int64At(1);
  record.deleted = row.int64At(2) != 0;
  record.source = row.stringAt(3);
  if (!record.deleted) record.content = row.stringAt(4);
  if (!row.isNull(5)) record.patient = row.stringAt(5);
  return record;
}

// The current version, deleted or not; nullopt when never written.
template <typename Db>
Result<std::optional<ResourceRecord>> readCurrent(Db& db, const std::string& type,
                                                  const std::string& id) {
  auto stmt = db.prepare(kReadCurrent);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, type);
  stmt->bindText(2, id);
  Result<bool> row = stmt->step();
  if (!row) return row.takeError();
  if (!*row) return std::optional<ResourceRecord>();
  return std::optional<ResourceRecord>(recordFromRow(*stmt, type, id));
}

// Repository::read on `db`: kNotFound when never written, kGone when deleted.
template <typename Db>
Result<ResourceRecord> readResource(Db& db, const std::string& type, const std::string& id) {
  Result<std::optional<ResourceRecord>> current = readCurrent(db, type, id);
  if (!current) return current.takeError();
  if (!*current) return notFoundError(type, id);
  if ((*current)->deleted) return goneError(type, id);
  return std::move(**current);
}

// Repository::vread on `db`.
template <typename Db>
Result<ResourceRecord> readVersion(Db& db, const std::string& type, const std::string& id,
                                   int64_t versionId) {
  auto stmt = db.prepare(kReadVersion);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, type);
  stmt->bindText(2, id);
  stmt->bindInt64(3, versionId);
  Result<bool> row = stmt->step();
  if (!row) return row.takeError();
  if (!*row) return versionNotFoundError(type, id, versionId);
  ResourceRecord record = recordFromRow(*stmt, type, id);
  if (record.deleted) return goneVersionError(type, id, versionId);
  return record;
}

// Repository::history on `db`.
template <typename Db>
Result<std::vector<ResourceRecord>> readHistory(Db& db, const std::string& type,
                                                const std::string& id) {
  auto stmt = db.prepare(kReadHistory);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, type);
  stmt->bindText(2, id);
  std::vector<ResourceRecord> versions;
  for (;;) {
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    if (!*row) break;
    versions.push_back(recordFromRow(*stmt, type, id));
  }
  if (versions.empty()) return notFoundError(type, id);
  return versions;
}

// True when a search runs two statements (the page, then the total) that must see one state:
// outside a write transaction the caller then runs runSearch in one read transaction.
bool searchNeedsSnapshot(const SearchQuery& query);

// Runs a search on `db` (inside a transaction when searchNeedsSnapshot says so).
template <typename Db>
Result<SearchPage> runSearch(Db& db, const SearchQuery& query) {
  MES_RETURN_IF_ERROR(checkPaging(query));
  const SearchSql sql = buildSearchSql(query);
  SearchPage page;
  if (sql.matchesNothing) {
    if (query.withTotal) page.total = 0;
    return page;
  }

  const bool wantPage = query.count > 0;
  auto body = [&]() -> Status {
    if (wantPage) {
      auto stmt = db.prepare(sql.page);
      if (!stmt) return stmt.takeError();
      const int next = bindArgs(*stmt, sql.args);
      stmt->bindInt64(next, query.count);
      stmt->bindInt64(next + 1, query.offset);
      page.records.reserve(static_cast<size_t>(std::min(query.count, 64)));
      for (;;) {
        Result<bool> row = stmt->step();
        if (!row) return row.takeError();
        if (!*row) break;
        ResourceRecord record;
        record.type = query.type;
        record.id = stmt->stringAt(0);
        record.versionId = stmt->int64At(1);
        record.lastUpdatedMs = stmt->int64At(2);
        record.source = stmt->stringAt(3);
        record.content = stmt->stringAt(4);
        page.records.push_back(std::move(record));
      }
    }
    if (!query.withTotal) return Status::ok();
    const auto returned = static_cast<int64_t>(page.records.size());
    if (wantPage && returned < query.count && (returned > 0 || query.offset == 0)) {
      // A short page that is not past the end: it holds the last matches.
      page.total = query.offset + returned;
      return Status::ok();
    }
    auto stmt = db.prepare(sql.total);
    if (!stmt) return stmt.takeError();
    bindArgs(*stmt, sql.args);
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    page.total = *row ? stmt->int64At(0) : 0;
    return Status::ok();
  };

  Status status = body();
  if (!status) return status.takeError();
  return page;
}

// --- the write transaction -------------------------------------------------------------------

struct CurrentRow {
  int64_t rid = 0;
  int64_t versionId = 0;
  int64_t lastUpdatedMs = 0;
  bool deleted = false;
};

// One write transaction of a Repository over connection `Db` (the store opened it; the caller
// commits unless failure() is set or the work failed).
template <typename Db>
class WriteTransaction final : public Transaction {
 public:
  WriteTransaction(Db& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Set when a SQLite failure interrupted a write: the transaction must not commit.
  const std::optional<Error>& failure() const { return failure_; }

  Result<ResourceRecord> read(const std::string& type, const std::string& id) override {
    if (failure_) return *failure_;
    Result<std::optional<ResourceRecord>> current = readCurrent(db_, type, id);
    if (!current) return current.takeError();
    if (!*current) return notFoundError(type, id);
    return std::move(**current);
  }

  Result<SearchPage> search(const SearchQuery& query) override {
    if (failure_) return *failure_;
    return runSearch(db_, query);
  }

  Result<ResourceRecord> create(const WriteRequest& request) override {
    if (failure_) return *failure_;
    MES_RETURN_IF_ERROR(checkRequest(request));
    Result<std::optional<CurrentRow>> current = currentRow(request.type, request.id);
    if (!current) return current.takeError();
    if (*current) return alreadyExistsError(request.type, request.id);
    return write(request, std::nullopt);
  }

  Result<ResourceRecord> update(const WriteRequest& request) override {
    if (failure_) return *failure_;
    MES_RETURN_IF_ERROR(checkRequest(request));
    Result<std::optional<CurrentRow>> current = currentRow(request.type, request.id);
    if (!current) return current.takeError();
    if (!*current) {
      if (request.ifMatch) return notFoundError(request.type, request.id);
      return write(request, std::nullopt);
    }
    if (request.ifMatch && *request.ifMatch != (*current)->versionId) {
      return versionConflictError(request.type, request.id, *request.ifMatch,
                                  (*current)->versionId);
    }
    return write(request, *current);
  }

  Result<ResourceRecord> remove(const std::string& type, const std::string& id,
                                std::optional<int64_t> ifMatch) override {
    if (failure_) return *failure_;
    Result<std::optional<CurrentRow>> found = currentRow(type, id);
    if (!found) return found.takeError();
    if (!*found) return notFoundError(type, id);
    const CurrentRow& current = **found;
    if (ifMatch && *ifMatch != current.versionId) {
      return versionConflictError(type, id, *ifMatch, current.versionId);
    }
    ResourceRecord record;
    record.type = type;
    record.id = id;
    record.deleted = true;
    if (current.deleted) {
      record.versionId = current.versionId;
      record.lastUpdatedMs = current.lastUpdatedMs;
      return record;
    }
    record.versionId = current.versionId + 1;
    record.lastUpdatedMs = nextTimestamp(&current);
    Status applied = applyDelete(current.rid, record);
    if (!applied) return fail(applied.takeError());
    return record;
  }

 private:
  static Status checkRequest(const WriteRequest& request) {
    if (request.type.empty() || request.id.empty()) {
      return Error::internal("store: write request without a resource type or id");
    }
    if (!request.render) return Error::internal("store: write request without a render callback");
    return Status::ok();
  }

  Error fail(Error error) {
    failure_ = error;
    return error;
  }

  int64_t nextTimestamp(const CurrentRow* current) const {
    const int64_t now = clock_.nowMs();
    if (current != nullptr && now <= current->lastUpdatedMs) return current->lastUpdatedMs + 1;
    return now;
  }

  Result<std::optional<CurrentRow>> currentRow(const std::string& type, const std::string& id) {
    auto stmt = db_.prepare(kSelectCurrentRow);
    if (!stmt) return stmt.takeError();
    stmt->bindText(1, type);
    stmt->bindText(2, id);
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    if (!*row) return std::optional<CurrentRow>();
    CurrentRow current;
    current.rid = stmt->int64At(0);
    current.versionId = stmt->int64At(1);
    current.lastUpdatedMs = stmt->int64At(2);
    current.deleted = stmt->int64At(3) != 0;
    return std::optional<CurrentRow>(current);
  }

  // Renders the new version, then writes it. Nothing is written when rendering fails.
  Result<ResourceRecord> write(const WriteRequest& request,
                               const std::optional<CurrentRow>& current) {
    ResourceRecord record;
    record.versionId = current ? current->versionId + 1 : 1;
    record.lastUpdatedMs = nextTimestamp(current ? &*current : nullptr);
    Result<std::string> content = request.render(record.versionId, record.lastUpdatedMs);
    if (!content) return content.takeError();
    record.type = request.type;
    record.id = request.id;
    record.source = request.source;
    record.content = std::move(content).value();

    Status applied =
        current ? applyUpdate(*current, request.index, record) : applyCreate(request.index, record);
    if (!applied) return fail(applied.takeError());
    return record;
  }

  Status applyCreate(const IndexRows& index, const ResourceRecord& record) {
    int64_t rid = 0;
    {
      auto stmt = db_.prepare(kInsertResource);
      if (!stmt) return stmt.takeError();
      stmt->bindText(1, record.type);
      stmt->bindText(2, record.id);
      stmt->bindInt64(3, record.versionId);
      stmt->bindInt64(4, record.lastUpdatedMs);
      stmt->bindTextOrNull(5, index.patient);
      stmt->bindOptionalInt64(6, index.dateLowMs);
      stmt->bindOptionalInt64(7, index.dateHighMs);
      Result<bool> row = stmt->step();
      if (!row) return row.takeError();
      if (!*row) return Error::internal("store: INSERT ... RETURNING rid returned no row");
      rid = stmt->int64At(0);
    }
    MES_RETURN_IF_ERROR(insertVersion(rid, record));
    return insertIndex(rid, record.type, index);
  }

  Status applyUpdate(const CurrentRow& current, const IndexRows& index,
                     const ResourceRecord& record) {
    MES_RETURN_IF_ERROR(insertVersion(current.rid, record));
    MES_RETURN_IF_ERROR(updateResource(current.rid, record, &index));
    // A deleted resource has no index rows left to remove.
    if (!current.deleted) MES_RETURN_IF_ERROR(deleteIndex(current.rid));
    return insertIndex(current.rid, record.type, index);
  }

  Status applyDelete(int64_t rid, const ResourceRecord& record) {
    MES_RETURN_IF_ERROR(insertVersion(rid, record));
    MES_RETURN_IF_ERROR(updateResource(rid, record, nullptr));
    return deleteIndex(rid);
  }

  Status insertVersion(int64_t rid, const ResourceRecord& record) {
    auto stmt = db_.prepare(kInsertVersion);
    if (!stmt) return stmt.takeError();
    stmt->bindInt64(1, rid);
    stmt->bindInt64(2, record.versionId);
    stmt->bindInt64(3, record.lastUpdatedMs);
    stmt->bindInt64(4, record.deleted ? 1 : 0);
    stmt->bindText(5, record.source);
    if (record.deleted) {
      stmt->bindNull(6);
    } else {
      stmt->bindText(6, record.content);
    }
    return stmt->run();
  }

  // `index` null: the version is a delete and carries no index values.
  Status updateResource(int64_t rid, const ResourceRecord& record, const IndexRows* index) {
    auto stmt = db_.prepare(kUpdateResource);
    if (!stmt) return stmt.takeError();
    stmt->bindInt64(1, record.versionId);
    stmt->bindInt64(2, record.lastUpdatedMs);
    stmt->bindInt64(3, record.deleted ? 1 : 0);
    if (index != nullptr) {
      stmt->bindTextOrNull(4, index->patient);
      stmt->bindOptionalInt64(5, index->dateLowMs);
      stmt->bindOptionalInt64(6, index->dateHighMs);
    } else {
      stmt->bindNull(4);
      stmt->bindNull(5);
      stmt->bindNull(6);
    }
    stmt->bindInt64(7, rid);
    return stmt->run();
  }

  Status deleteIndex(int64_t rid) {
    for (std::string_view sql : {kDeleteTokens, kDeleteReferences, kDeleteDates}) {
      auto stmt = db_.prepare(sql);
      if (!stmt) return stmt.takeError();
      stmt->bindInt64(1, rid);
      MES_RETURN_IF_ERROR(stmt->run());
    }
    return Status::ok();
  }

  Status insertIndex(int64_t rid, const std::string& type, const IndexRows& index) {
    if (!index.tokens.empty()) {
      auto stmt = db_.prepare(kInsertToken);
      if (!stmt) return stmt.takeError();
      stmt->bindInt64(1, rid);
      stmt->bindText(5, type);
      stmt->bindTextOrNull(6, index.patient);
      stmt->bindOptionalInt64(7, index.dateLowMs);
      for (const TokenIndex& token : index.tokens) {
        stmt->bindText(2, token.param);
        stmt->bindText(3, token.system);
        stmt->bindText(4, token.code);
        MES_RETURN_IF_ERROR(stmt->run());
      }
    }
    if (!index.references.empty()) {
      auto stmt = db_.prepare(kInsertReference);
      if (!stmt) return stmt.takeError();
      stmt->bindInt64(1, rid);
      stmt->bindText(4, type);
      stmt->bindTextOrNull(5, index.patient);
      stmt->bindOptionalInt64(6, index.dateLowMs);
      for (const ReferenceIndex& reference : index.references) {
        stmt->bindText(2, reference.param);
        stmt->bindText(3, reference.target);
        MES_RETURN_IF_ERROR(stmt->run());
      }
    }
    if (!index.dates.empty()) {
      auto stmt = db_.prepare(kInsertDate);
      if (!stmt) return stmt.takeError();
      stmt->bindInt64(1, rid);
      for (const DateIndex& date : index.dates) {
        stmt->bindText(2, date.param);
        stmt->bindInt64(3, date.lowMs);
        stmt->bindInt64(4, date.highMs);
        MES_RETURN_IF_ERROR(stmt->run());
      }
    }
    return Status::ok();
  }

  Db& db_;
  const Clock& clock_;
  std::optional<Error> failure_;
};

}  // namespace mes::store::sql
