#include "connectors/sql/repository_sql.h"

namespace mes::store::sql {
namespace {

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
        where_.append(alias).append(bound.column == DateBound::Column::kLow ? ".low_ms"
                                                                            : ".high_ms");
        where_.append(operatorOf(bound.op));
        args_.emplace_back(bound.valueMs);
      }
      where_ += ')';
    } else if (filter.negate) {
      where_ += " AND 1 = 0";
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
      if (filter.negate) where_ += " AND 1 = 0";
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

}  // namespace

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

Status checkPaging(const SearchQuery& query) {
  if (query.count < 0) return invalidSearchError("The page size must not be negative.");
  if (query.offset < 0) return invalidSearchError("The page offset must not be negative.");
  return Status::ok();
}

SearchSql buildSearchSql(const SearchQuery& query) {
  return SearchSqlBuilder(query).build();
}

bool searchNeedsSnapshot(const SearchQuery& query) {
  return query.count > 0 && query.withTotal;
}

}  // namespace mes::store::sql
