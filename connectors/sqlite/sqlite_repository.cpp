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

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "connectors/sqlite/sqlite_db.h"

namespace mes::store {
namespace {

using sqlite::Connection;
using sqlite::Statement;

constexpr std::string_view kSelectCurrentRow =
    "SELECT rid, version_id, last_updated, deleted FROM resource WHERE type = ? AND id = ?";
constexpr std::string_view kReadCurrent =
    "SELECT r.version_id, r.last_updated, r.deleted, v.source, v.content, r.patient "
    "FROM resource AS r JOIN resource_version AS v "
    "ON v.rid = r.rid AND v.version_id = r.version_id "
    "WHERE r.type = ? AND r.id = ?";
constexpr std::string_view kReadVersion =
    "SELECT v.version_id, v.last_updated, v.deleted, v.source, v.content, r.patient "
    "FROM resource AS r JOIN resource_version AS v ON v.rid = r.rid "
    "WHERE r.type = ? AND r.id = ? AND v.version_id = ?";
constexpr std::string_view kReadHistory =
    "SELECT v.version_id, v.last_updated, v.deleted, v.source, v.content, r.patient "
    "FROM resource AS r JOIN resource_version AS v ON v.rid = r.rid "
    "WHERE r.type = ? AND r.id = ? ORDER BY v.version_id DESC";

constexpr std::string_view kInsertResource =
    "INSERT INTO resource (type, id, version_id, last_updated, deleted, patient, date_low, "
    "date_high) VALUES (?, ?, ?, ?, 0, ?, ?, ?)";
constexpr std::string_view kUpdateResource =
    "UPDATE resource SET version_id = ?, last_updated = ?, deleted = ?, patient = ?, "
    "date_low = ?, date_high = ? WHERE rid = ?";
constexpr std::string_view kInsertVersion =
    "INSERT INTO resource_version (rid, version_id, last_updated, deleted, source, content) "
    "VALUES (?, ?, ?, ?, ?, ?)";
constexpr std::string_view kDeleteTokens = "DELETE FROM token_index WHERE rid = ?";
constexpr std::string_view kDeleteReferences = "DELETE FROM reference_index WHERE rid = ?";
constexpr std::string_view kDeleteDates = "DELETE FROM date_index WHERE rid = ?";
// OR IGNORE: a resource listing the same token twice gets one row.
constexpr std::string_view kInsertToken =
    "INSERT OR IGNORE INTO token_index (rid, param, system, code, type, patient, date_low) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr std::string_view kInsertReference =
    "INSERT OR IGNORE INTO reference_index (rid, param, target, type, patient, date_low) "
    "VALUES (?, ?, ?, ?, ?, ?)";
constexpr std::string_view kInsertDate =
    "INSERT OR IGNORE INTO date_index (rid, param, low_ms, high_ms) VALUES (?, ?, ?, ?)";

constexpr std::string_view kBeginRead = "BEGIN";
constexpr std::string_view kCommit = "COMMIT";
constexpr std::string_view kRollback = "ROLLBACK";
// --- errors -------------------------------------------------------------------------------

std::string resourceName(std::string_view type, std::string_view id) {
  std::string name;
  name.reserve(type.size() + id.size() + 1);
  name.append(type);
  name += '/';
  name.append(id);
  return name;
}

Error notFoundError(std::string_view type, std::string_view id) {
  return Error::make(ErrorKind::kNotFound, "not-found",
                     "Resource " + resourceName(type, id) + " does not exist.");
}

Error versionNotFoundError(std::string_view type, std::string_view id, int64_t versionId) {
  return Error::make(ErrorKind::kNotFound, "not-found",
                     "Version " + std::to_string(versionId) + " of resource " +
                         resourceName(type, id) + " does not exist.");
}

Error goneError(std::string_view type, std::string_view id) {
  return Error::make(ErrorKind::kGone, "deleted",
                     "Resource " + resourceName(type, id) + " has been deleted.");
}

Error goneVersionError(std::string_view type, std::string_view id, int64_t versionId) {
  return Error::make(ErrorKind::kGone, "deleted",
                     "Version " + std::to_string(versionId) + " of resource " +
                         resourceName(type, id) + " is a deletion.");
}

Error alreadyExistsError(std::string_view type, std::string_view id) {
  return Error::make(ErrorKind::kConflict, "already-exists",
                     "Resource " + resourceName(type, id) + " already exists.");
}

Error versionConflictError(std::string_view type, std::string_view id, int64_t expected,
                           int64_t current) {
  return Error::make(ErrorKind::kPreconditionFailed, "version-conflict",
                     "Version conflict on " + resourceName(type, id) + ": expected version " +
                         std::to_string(expected) + ", current version is " +
                         std::to_string(current) + ".");
}

Error invalidSearchError(std::string message) {
  return Error::make(ErrorKind::kInvalid, "invalid-search", std::move(message));
}

// --- small helpers ------------------------------------------------------------------------

Status runSql(Connection& db, std::string_view sql) {
  Result<Statement> stmt = db.prepare(sql);
  if (!stmt) return stmt.takeError();
  return stmt->run();
}

// Ends the open transaction, if any. A failure leaves the connection unusable for writes
// until the next attempt, which rolls back again before BEGIN.
void rollback(Connection& db) {
  if (db.inTransaction()) (void)runSql(db, kRollback);
}

// Reads the record columns (version_id, last_updated, deleted, source, content, patient) of a row.
ResourceRecord recordFromRow(const Statement& row, const std::string& type, const std::string& id) {
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
Result<std::optional<ResourceRecord>> readCurrent(Connection& db, const std::string& type,
                                                  const std::string& id) {
  Result<Statement> stmt = db.prepare(kReadCurrent);
  if (!stmt) return stmt.takeError();
  stmt->bindText(1, type);
  stmt->bindText(2, id);
  Result<bool> row = stmt->step();
  if (!row) return row.takeError();
  if (!*row) return std::optional<ResourceRecord>();
  return std::optional<ResourceRecord>(recordFromRow(*stmt, type, id));
}

// --- search SQL ---------------------------------------------------------------------------

using SqlArg = std::variant<int64_t, std::string_view>;

// The statements a search runs. Both share the filter arguments; the page then takes
// LIMIT and OFFSET.
struct SearchSql {
  bool matchesNothing = false;  // a filter with no alternatives: no statement to run
  std::string page;
  std::string total;
  std::vector<SqlArg> args;
};

int bindArgs(Statement& stmt, const std::vector<SqlArg>& args) {
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

class SearchSqlBuilder {
 public:
  explicit SearchSqlBuilder(const SearchQuery& query) : query_(query) {}

  SearchSql build() {
    SearchSql out;
    for (const TokenFilter& filter : query_.tokens) {
      if (filter.anyOf.empty()) out.matchesNothing = true;
    }
    for (const ReferenceFilter& filter : query_.references) {
      if (filter.anyOf.empty()) out.matchesNothing = true;
    }
    if (out.matchesNothing) return out;

    const size_t tokenDriver = chooseTokenDriver();
    const size_t referenceDriver = tokenDriver == kNone ? chooseReferenceDriver() : kNone;
    const bool indexDriven = tokenDriver != kNone || referenceDriver != kNone;
    key_ = indexDriven ? "d.rid" : "r.rid";
    lowColumn_ = indexDriven ? "d.date_low" : "r.date_low";

    if (tokenDriver != kNone) {
      tokenDriverConditions(query_.tokens[tokenDriver]);
    } else if (referenceDriver != kNone) {
      referenceDriverConditions(query_.references[referenceDriver]);
    } else {
      where_ += "r.type = ?";
      args_.emplace_back(query_.type);
      if (query_.patient) {
        // Deleted rows have a NULL patient, so the patient test also excludes them and the
        // (type, patient, ...) indexes answer alone.
        where_ += " AND r.patient = ?";
        args_.emplace_back(*query_.patient);
      } else {
        where_ += " AND r.deleted = 0";
      }
    }
    for (size_t i = 0; i < query_.tokens.size(); ++i) {
      if (i == tokenDriver) continue;
      tokenExists(query_.tokens[i]);
    }
    for (size_t i = 0; i < query_.references.size(); ++i) {
      if (i == referenceDriver) continue;
      referenceExists(query_.references[i]);
    }
    for (const DateFilter& filter : query_.dates) dateConditions(filter);

    const std::string_view select =
        "SELECT r.id, r.version_id, r.last_updated, v.source, v.content ";
    const std::string_view versionJoin =
        "CROSS JOIN resource_version AS v WHERE v.rid = r.rid AND v.version_id = r.version_id";
    if (indexDriven) {
      const std::string_view table = tokenDriver != kNone ? "token_index" : "reference_index";
      out.page.append(select).append("FROM ").append(table).append(" AS d ");
      out.page.append("CROSS JOIN resource AS r ").append(versionJoin);
      out.page.append(" AND r.rid = d.rid AND ").append(where_);
      out.total.append("SELECT COUNT(*) FROM ").append(table).append(" AS d");
      if (totalNeedsResource_) {
        out.total.append(" CROSS JOIN resource AS r WHERE r.rid = d.rid AND ");
      } else {
        out.total.append(" WHERE ");
      }
      out.total.append(where_);
    } else {
      out.page.append(select).append("FROM resource AS r ").append(versionJoin);
      out.page.append(" AND ").append(where_);
      out.total.append("SELECT COUNT(*) FROM resource AS r WHERE ").append(where_);
    }
    out.page.append(" ORDER BY ").append(orderBy()).append(" LIMIT ? OFFSET ?");
    out.args = std::move(args_);
    return out;
  }

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  // The token filter whose index rows drive the query: fewest alternatives, then one whose
  // alternatives all name a system (an exact index match, no duplicates to remove). kNone
  // when there is no token filter.
  size_t chooseTokenDriver() const {
    size_t best = kNone;
    size_t bestCost = 0;
    for (size_t i = 0; i < query_.tokens.size(); ++i) {
      const TokenFilter& filter = query_.tokens[i];
      const size_t cost = filter.anyOf.size() * 2 + (allHaveSystem(filter) ? 0 : 1);
      if (best == kNone || cost < bestCost) {
        best = i;
        bestCost = cost;
      }
    }
    return best;
  }

  // The reference filter with the fewest alternatives; kNone when there is none.
  size_t chooseReferenceDriver() const {
    size_t best = kNone;
    for (size_t i = 0; i < query_.references.size(); ++i) {
      if (best == kNone ||
          query_.references[i].anyOf.size() < query_.references[best].anyOf.size()) {
        best = i;
      }
    }
    return best;
  }

  static bool allHaveSystem(const TokenFilter& filter) {
    return std::all_of(filter.anyOf.begin(), filter.anyOf.end(),
                       [](const TokenFilter::Alternative& a) { return a.system.has_value(); });
  }

  static bool anyHasSystem(const TokenFilter& filter) {
    return std::any_of(filter.anyOf.begin(), filter.anyOf.end(),
                       [](const TokenFilter::Alternative& a) { return a.system.has_value(); });
  }

  // "(A.code = ? AND A.system = ?) OR A.code = ? ..." in parentheses.
  void tokenMatch(std::string_view alias, const TokenFilter& filter) {
    where_ += '(';
    bool first = true;
    for (const TokenFilter::Alternative& alternative : filter.anyOf) {
      if (!first) where_ += " OR ";
      first = false;
      if (alternative.system) {
        where_.append("(")
            .append(alias)
            .append(".code = ? AND ")
            .append(alias)
            .append(".system = ?)");
        args_.emplace_back(alternative.code);
        args_.emplace_back(*alternative.system);
      } else {
        where_.append(alias).append(".code = ?");
        args_.emplace_back(alternative.code);
      }
    }
    where_ += ')';
  }

  void placeholders(size_t count) {
    where_ += '(';
    for (size_t i = 0; i < count; ++i) where_ += i == 0 ? "?" : ", ?";
    where_ += ')';
  }

  void targetList(std::string_view column, const ReferenceFilter& filter) {
    where_.append(column);
    if (filter.anyOf.size() == 1) {
      where_ += " = ?";
    } else {
      where_ += " IN ";
      placeholders(filter.anyOf.size());
    }
    for (const std::string& target : filter.anyOf) args_.emplace_back(target);
  }

  void tokenDriverConditions(const TokenFilter& filter) {
    where_ += "d.type = ? AND d.param = ?";
    args_.emplace_back(query_.type);
    args_.emplace_back(filter.param);
    // The code equality (or IN list) is what the index seeks on; the exact alternatives
    // (code with its system) are then checked on the same index entries.
    if (filter.anyOf.size() == 1) {
      where_ += " AND d.code = ?";
      args_.emplace_back(filter.anyOf.front().code);
      if (filter.anyOf.front().system) {
        where_ += " AND d.system = ?";
        args_.emplace_back(*filter.anyOf.front().system);
      }
    } else {
      where_ += " AND d.code IN ";
      placeholders(filter.anyOf.size());
      for (const auto& alternative : filter.anyOf) args_.emplace_back(alternative.code);
      if (anyHasSystem(filter)) {
        where_ += " AND ";
        tokenMatch("d", filter);
      }
    }
    if (query_.patient) {
      where_ += " AND d.patient = ?";
      args_.emplace_back(*query_.patient);
    }
    // Several index rows of one resource may match (two alternatives, or one code under
    // two systems): keep only the first matching row in primary-key order.
    if (filter.anyOf.size() > 1 || !allHaveSystem(filter)) {
      where_ +=
          " AND NOT EXISTS (SELECT 1 FROM token_index AS dd WHERE dd.rid = d.rid AND "
          "dd.param = d.param AND (dd.system, dd.code) < (d.system, d.code) AND ";
      tokenMatch("dd", filter);
      where_ += ')';
    }
  }

  void referenceDriverConditions(const ReferenceFilter& filter) {
    where_ += "d.type = ? AND d.param = ? AND ";
    args_.emplace_back(query_.type);
    args_.emplace_back(filter.param);
    targetList("d.target", filter);
    if (query_.patient) {
      where_ += " AND d.patient = ?";
      args_.emplace_back(*query_.patient);
    }
    if (filter.anyOf.size() > 1) {
      where_ +=
          " AND NOT EXISTS (SELECT 1 FROM reference_index AS dd WHERE dd.rid = d.rid AND "
          "dd.param = d.param AND dd.target < d.target AND ";
      targetList("dd.target", filter);
      where_ += ')';
    }
  }

  void tokenExists(const TokenFilter& filter) {
    const std::string alias = "t" + std::to_string(++aliasCount_);
    where_.append(" AND EXISTS (SELECT 1 FROM token_index AS ").append(alias);
    where_.append(" WHERE ").append(alias).append(".rid = ").append(key_);
    where_.append(" AND ").append(alias).append(".param = ? AND ");
    args_.emplace_back(filter.param);
    tokenMatch(alias, filter);
    where_ += ')';
  }

  void referenceExists(const ReferenceFilter& filter) {
    const std::string alias = "f" + std::to_string(++aliasCount_);
    where_.append(" AND EXISTS (SELECT 1 FROM reference_index AS ").append(alias);
    where_.append(" WHERE ").append(alias).append(".rid = ").append(key_);
    where_.append(" AND ").append(alias).append(".param = ? AND ");
    args_.emplace_back(filter.param);
    targetList(alias + ".target", filter);
    where_ += ')';
  }

  std::string_view columnOf(DateFilter::Target target, DateBound::Column column) {
    if (target == DateFilter::Target::kLastUpdated) {
      totalNeedsResource_ = true;
      return "r.last_updated";
    }
    if (column == DateBound::Column::kLow) return lowColumn_;
    totalNeedsResource_ = true;
    return "r.date_high";
  }

  static std::string_view operatorOf(DateBound::Op op) {
    switch (op) {
      case DateBound::Op::kLt:
        return " < ?";
      case DateBound::Op::kLe:
        return " <= ?";
      case DateBound::Op::kGt:
        return " > ?";
      case DateBound::Op::kGe:
        return " >= ?";
    }
    return " = ?";
  }

  // A named range: one of the resource's date_index rows of that name satisfies every bound
  // (negated: one of them does not).
  void namedDateConditions(const DateFilter& filter) {
    const std::string alias = "n" + std::to_string(++aliasCount_);
    where_.append(" AND EXISTS (SELECT 1 FROM date_index AS ").append(alias);
    where_.append(" WHERE ").append(alias).append(".rid = ").append(key_);
    where_.append(" AND ").append(alias).append(".param = ?");
    args_.emplace_back(filter.param);
    if (!filter.allOf.empty()) {
      where_ += filter.negate ? " AND NOT (" : " AND (";
      bool first = true;
      for (const DateBound& bound : filter.allOf) {
        if (!first) where_ += " AND ";
        first = false;
        where_.append(alias).append(bound.column == DateBound::Column::kLow ? ".low_ms" : ".high_ms");
        where_.append(operatorOf(bound.op));
        args_.emplace_back(bound.valueMs);
      }
      where_ += ')';
    } else if (filter.negate) {
      where_ += " AND 0";
    }
    where_ += ')';
  }

  void dateConditions(const DateFilter& filter) {
    if (filter.target == DateFilter::Target::kNamed) {
      namedDateConditions(filter);
      return;
    }
    if (filter.allOf.empty()) {
      // The AND of no bounds holds for every resource; its negation for none.
      if (filter.negate) where_ += " AND 0";
      return;
    }
    if (!filter.negate) {
      // Plain comparisons, so that bounds on the low column become an index range.
      for (const DateBound& bound : filter.allOf) {
        where_.append(" AND ").append(columnOf(filter.target, bound.column));
        where_.append(operatorOf(bound.op));
        args_.emplace_back(bound.valueMs);
      }
      return;
    }
    // A resource without the date matches neither a filter nor its negation.
    where_ += " AND ";
    bool first = true;
    for (const DateBound& bound : filter.allOf) {
      if (!first) where_ += " AND ";
      first = false;
      where_.append(columnOf(filter.target, bound.column)).append(" IS NOT NULL");
    }
    where_ += " AND NOT (";
    first = true;
    for (const DateBound& bound : filter.allOf) {
      if (!first) where_ += " AND ";
      first = false;
      where_.append(columnOf(filter.target, bound.column)).append(operatorOf(bound.op));
      args_.emplace_back(bound.valueMs);
    }
    where_ += ')';
  }

  std::string orderBy() const {
    std::string order;
    switch (query_.sort) {
      case SortOrder::kDateDesc:
        order.append(lowColumn_).append(" DESC, ").append(key_).append(" DESC");
        break;
      case SortOrder::kDateAsc:
        order.append(lowColumn_).append(" ASC, ").append(key_).append(" ASC");
        break;
      case SortOrder::kLastUpdatedDesc:
        order.append("r.last_updated DESC, ").append(key_).append(" DESC");
        break;
      case SortOrder::kLastUpdatedAsc:
        order.append("r.last_updated ASC, ").append(key_).append(" ASC");
        break;
    }
    return order;
  }

  const SearchQuery& query_;
  std::string where_;
  std::vector<SqlArg> args_;
  std::string_view key_;        // the expression naming the resource row (rid)
  std::string_view lowColumn_;  // date_low as seen from the driving table
  bool totalNeedsResource_ = false;
  int aliasCount_ = 0;
};

Status checkPaging(const SearchQuery& query) {
  if (query.count < 0) return invalidSearchError("The page size must not be negative.");
  if (query.offset < 0) return invalidSearchError("The page offset must not be negative.");
  return Status::ok();
}

// Runs a search on `db`. `snapshot`: wrap the page and total statements in one read
// transaction so they agree (for reader connections; a write transaction already is one).
Result<SearchPage> runSearch(Connection& db, const SearchQuery& query, bool snapshot) {
  MES_RETURN_IF_ERROR(checkPaging(query));
  const SearchSql sql = SearchSqlBuilder(query).build();
  SearchPage page;
  if (sql.matchesNothing) {
    if (query.withTotal) page.total = 0;
    return page;
  }

  const bool wantPage = query.count > 0;
  const bool transactional = snapshot && wantPage && query.withTotal;
  if (transactional) MES_RETURN_IF_ERROR(runSql(db, kBeginRead));

  auto body = [&]() -> Status {
    if (wantPage) {
      Result<Statement> stmt = db.prepare(sql.page);
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
    Result<Statement> stmt = db.prepare(sql.total);
    if (!stmt) return stmt.takeError();
    bindArgs(*stmt, sql.args);
    Result<bool> row = stmt->step();
    if (!row) return row.takeError();
    page.total = *row ? stmt->int64At(0) : 0;
    return Status::ok();
  };

  Status status = body();
  if (transactional) {
    if (status) {
      status = runSql(db, kCommit);
    }
    rollback(db);
  }
  if (!status) return status.takeError();
  return page;
}

// --- the write transaction ----------------------------------------------------------------

struct CurrentRow {
  int64_t rid = 0;
  int64_t versionId = 0;
  int64_t lastUpdatedMs = 0;
  bool deleted = false;
};

class WriteTransaction final : public Transaction {
 public:
  WriteTransaction(Connection& db, const Clock& clock) : db_(db), clock_(clock) {}

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
    return runSearch(db_, query, /*snapshot=*/false);
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
    Result<Statement> stmt = db_.prepare(kSelectCurrentRow);
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
    {
      Result<Statement> stmt = db_.prepare(kInsertResource);
      if (!stmt) return stmt.takeError();
      stmt->bindText(1, record.type);
      stmt->bindText(2, record.id);
      stmt->bindInt64(3, record.versionId);
      stmt->bindInt64(4, record.lastUpdatedMs);
      stmt->bindTextOrNull(5, index.patient);
      stmt->bindOptionalInt64(6, index.dateLowMs);
      stmt->bindOptionalInt64(7, index.dateHighMs);
      MES_RETURN_IF_ERROR(stmt->run());
    }
    const int64_t rid = db_.lastInsertRowId();
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
    Result<Statement> stmt = db_.prepare(kInsertVersion);
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
    Result<Statement> stmt = db_.prepare(kUpdateResource);
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
      Result<Statement> stmt = db_.prepare(sql);
      if (!stmt) return stmt.takeError();
      stmt->bindInt64(1, rid);
      MES_RETURN_IF_ERROR(stmt->run());
    }
    return Status::ok();
  }

  Status insertIndex(int64_t rid, const std::string& type, const IndexRows& index) {
    if (!index.tokens.empty()) {
      Result<Statement> stmt = db_.prepare(kInsertToken);
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
      Result<Statement> stmt = db_.prepare(kInsertReference);
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
      Result<Statement> stmt = db_.prepare(kInsertDate);
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

  Connection& db_;
  const Clock& clock_;
  std::optional<Error> failure_;
};

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
  Result<std::optional<ResourceRecord>> current = readCurrent(lease->connection(), type, id);
  if (!current) return current.takeError();
  if (!*current) return notFoundError(type, id);
  if ((*current)->deleted) return goneError(type, id);
  return std::move(**current);
}

Result<ResourceRecord> SqliteRepository::vread(const std::string& type, const std::string& id,
                                               int64_t versionId) {
  Result<SqliteDatabase::ReaderLease> lease = database_->leaseReader();
  if (!lease) return lease.takeError();
  Result<Statement> stmt = lease->connection().prepare(kReadVersion);
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

Result<std::vector<ResourceRecord>> SqliteRepository::history(const std::string& type,
                                                              const std::string& id) {
  Result<SqliteDatabase::ReaderLease> lease = database_->leaseReader();
  if (!lease) return lease.takeError();
  Result<Statement> stmt = lease->connection().prepare(kReadHistory);
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

Result<SearchPage> SqliteRepository::search(const SearchQuery& query) {
  Result<SqliteDatabase::ReaderLease> lease = database_->leaseReader();
  if (!lease) return lease.takeError();
  return runSearch(lease->connection(), query, /*snapshot=*/true);
}

Result<std::vector<std::string>> SqliteRepository::explainSearch(const SearchQuery& query) {
  MES_RETURN_IF_ERROR(checkPaging(query));
  Result<SqliteDatabase::ReaderLease> lease = database_->leaseReader();
  if (!lease) return lease.takeError();
  const SearchSql sql = SearchSqlBuilder(query).build();
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
    WriteTransaction tx(db, clock_);
    Status outcome = work(tx);
    // A SQLite failure the callback ignored still aborts the transaction.
    if (outcome && tx.failure()) outcome = *tx.failure();
    return outcome;
  });
}

}  // namespace mes::store
