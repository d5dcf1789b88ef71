// The resource repository: versioned FHIR resources with history and search-index rows.
//
// The store knows nothing of FHIR JSON. Callers hand it opaque content plus the index rows
// they extracted (fhir/search/index.h does that), and a `render` callback that produces the
// content once the store has chosen the version id and the timestamp, so the stored JSON
// carries the same meta.versionId / meta.lastUpdated the store records.
//
// Every implementation (SQLite now, PostgreSQL later) passes tests/connectors/repository_suite.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace mes::store {

// One token value of a search parameter, e.g. code = http://loinc.org|29463-7.
struct TokenIndex {
  std::string param;
  std::string system;
  std::string code;
};

// One reference value of a search parameter, e.g. device = Device/abc.
struct ReferenceIndex {
  std::string param;
  std::string target;  // "Type/id"
};

// A named date range of a resource besides its main one (IndexRows.dateLowMs/HighMs), e.g.
// DocumentReference "period" = context.period while "date" is DocumentReference.date. A
// resource may have several rows per name (a repeating element); each row is one range.
struct DateIndex {
  std::string param;
  int64_t lowMs = 0;   // inclusive, UTC milliseconds
  int64_t highMs = 0;  // inclusive, >= lowMs
};

// What search needs to know of a resource.
struct IndexRows {
  std::string patient;               // id of the patient whose compartment holds it; may be empty
  std::optional<int64_t> dateLowMs;  // the resource's clinical date range ("date" parameter,
  std::optional<int64_t> dateHighMs; // sort key); inclusive, UTC milliseconds
  std::vector<TokenIndex> tokens;
  std::vector<ReferenceIndex> references;
  std::vector<DateIndex> dates;      // named ranges, searchable with DateFilter::Target::kNamed
};

// One stored version of a resource.
struct ResourceRecord {
  std::string type;
  std::string id;
  int64_t versionId = 0;      // 1, 2, 3...
  int64_t lastUpdatedMs = 0;  // UTC milliseconds
  bool deleted = false;       // a delete is recorded as a version with no content
  std::string source;         // meta.source of the version (writer), may be empty
  std::string content;        // JSON text; empty when deleted
  // The patient whose compartment the store indexes the resource under (IndexRows.patient of
  // its current version), filled by read, vread and history so that access checks need not
  // parse the content. Empty when there is none, and once the resource is deleted (a delete
  // keeps no index rows): then only an older version's content says whose it was.
  std::string patient;
};

// Produces the JSON text of a new version once its version id and timestamp are known.
using Render = std::function<Result<std::string>(int64_t versionId, int64_t lastUpdatedMs)>;

struct WriteRequest {
  std::string type;
  std::string id;
  std::string source;
  IndexRows index;
  Render render;
  // When set, the write happens only if the current version is this one (If-Match); otherwise
  // kPreconditionFailed (code "version-conflict"). For create it is ignored.
  std::optional<int64_t> ifMatch;
};

// --- search ---------------------------------------------------------------------------------

// Matches resources with at least one token row for `param` among `values` (OR).
struct TokenFilter {
  std::string param;
  struct Alternative {
    std::optional<std::string> system;  // nullopt: any system; "" : no system
    std::string code;
  };
  std::vector<Alternative> anyOf;
};

struct ReferenceFilter {
  std::string param;
  std::vector<std::string> anyOf;  // "Type/id"
};

// A bound on a stored range column; a DateFilter is the AND of its bounds, optionally negated.
struct DateBound {
  enum class Column { kLow, kHigh };
  enum class Op { kLt, kLe, kGt, kGe };
  Column column;
  Op op;
  int64_t valueMs;
};

// kDate: the main range (IndexRows.dateLowMs/HighMs); kLastUpdated: meta.lastUpdated (both
// columns are the same instant); kNamed: the DateIndex rows called `param` — a resource
// matches when ONE of its rows of that name satisfies every bound (negated: when one of its
// rows of that name does not). A resource without the date matches neither a filter nor its
// negation.
struct DateFilter {
  enum class Target { kDate, kLastUpdated, kNamed };
  Target target = Target::kDate;
  std::vector<DateBound> allOf;
  bool negate = false;  // FHIR "ne"
  std::string param;    // kNamed only
};

enum class SortOrder { kDateDesc, kDateAsc, kLastUpdatedDesc, kLastUpdatedAsc };

struct SearchQuery {
  std::string type;
  std::optional<std::string> patient;  // compartment
  std::vector<TokenFilter> tokens;     // AND between filters
  std::vector<ReferenceFilter> references;
  std::vector<DateFilter> dates;
  SortOrder sort = SortOrder::kDateDesc;
  int count = 50;   // page size, >= 0
  int offset = 0;   // >= 0
  bool withTotal = true;
};

struct SearchPage {
  std::vector<ResourceRecord> records;  // current, non-deleted versions, in `sort` order
  std::optional<int64_t> total;         // when requested: all matches, ignoring count/offset
};

// --- transaction ----------------------------------------------------------------------------

// A unit of work; everything done through it commits together or not at all. Only valid
// inside Repository::transaction's callback.
class Transaction {
 public:
  virtual ~Transaction() = default;
  // Current version, including a deleted one (deleted=true); kNotFound when never written.
  virtual Result<ResourceRecord> read(const std::string& type, const std::string& id) = 0;
  virtual Result<SearchPage> search(const SearchQuery& query) = 0;
  // Version 1. kConflict ("already-exists") when the id is taken, even by a deleted resource.
  virtual Result<ResourceRecord> create(const WriteRequest& request) = 0;
  // Next version. Creates version 1 when the resource does not exist (FHIR update-as-create),
  // unless ifMatch is set (then kNotFound). A deleted resource comes back to life.
  virtual Result<ResourceRecord> update(const WriteRequest& request) = 0;
  // Records a deleted version. kNotFound when it never existed; deleting a deleted resource
  // returns its deleted version without writing.
  virtual Result<ResourceRecord> remove(const std::string& type, const std::string& id,
                                        std::optional<int64_t> ifMatch) = 0;
};

class Repository {
 public:
  virtual ~Repository() = default;

  // Current version. kNotFound when it never existed, kGone when its current version is a delete.
  virtual Result<ResourceRecord> read(const std::string& type, const std::string& id) = 0;
  // A given version (kNotFound when absent; kGone when that version is a delete).
  virtual Result<ResourceRecord> vread(const std::string& type, const std::string& id,
                                       int64_t versionId) = 0;
  // Every version, newest first (deletes included). kNotFound when it never existed.
  virtual Result<std::vector<ResourceRecord>> history(const std::string& type,
                                                      const std::string& id) = 0;
  virtual Result<SearchPage> search(const SearchQuery& query) = 0;

  // Runs `work` in one transaction: commits when it returns ok, rolls back otherwise (and on
  // an exception, which is rethrown). Writes are serialised; reads outside do not block.
  virtual Status transaction(const std::function<Status(Transaction&)>& work) = 0;

  // One-operation transactions.
  Result<ResourceRecord> create(const WriteRequest& request);
  Result<ResourceRecord> update(const WriteRequest& request);
  Result<ResourceRecord> remove(const std::string& type, const std::string& id,
                                std::optional<int64_t> ifMatch);
};

}  // namespace mes::store
