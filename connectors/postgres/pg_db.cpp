#include "connectors/postgres/pg_db.h"

#include <charconv>

namespace mes::store::pg {
namespace {

// Server messages end with DETAIL / HINT / CONTEXT lines that can quote row values: the log
// gets the first line only.
std::string firstLine(std::string_view text) {
  const size_t end = text.find('\n');
  return std::string(text.substr(0, end));
}

Error busy(std::string detail) {
  Error e = Error::make(ErrorKind::kUnavailable, "store-busy",
                        "The data store is busy; retry the request later.");
  e.detail = std::move(detail);
  return e;
}

}  // namespace

Error pgError(const std::exception& e, std::string_view context) {
  std::string detail = "postgres: ";
  detail.append(context);
  detail += ": ";
  detail += firstLine(e.what());
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr ||
      dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    Error out = Error::make(ErrorKind::kUnavailable, "store-unavailable",
                            "The data store is not available; retry the request later.");
    out.detail = std::move(detail);
    return out;
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string state = sql->sqlstate();
    detail += " (sqlstate " + state + ")";
    // 40001 serialization_failure, 40P01 deadlock_detected, 55P03 lock_not_available,
    // 57014 query_canceled (statement_timeout).
    if (state == "40001" || state == "40P01" || state == "55P03" || state == "57014") {
      return busy(std::move(detail));
    }
    // Class 08: connection exceptions; 57P01..03: the server is shutting down or restarting.
    if (state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03") {
      Error out = Error::make(ErrorKind::kUnavailable, "store-unavailable",
                              "The data store is not available; retry the request later.");
      out.detail = std::move(detail);
      return out;
    }
  }
  return Error::internal(std::move(detail));
}

std::string numberPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 1;
  char quote = 0;
  for (char c : sql) {
    if (quote != 0) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(next++);
    } else {
      out += c;
    }
  }
  return out;
}

// --- Statement ------------------------------------------------------------------------------

void Statement::set(int index, std::optional<std::string> value) {
  if (executed_) reset();
  if (index < 1) return;
  if (params_.size() < static_cast<size_t>(index)) params_.resize(static_cast<size_t>(index));
  params_[static_cast<size_t>(index - 1)] = std::move(value);
}

void Statement::bindInt64(int index, int64_t value) {
  set(index, std::to_string(value));
}
void Statement::bindOptionalInt64(int index, std::optional<int64_t> value) {
  if (value) {
    bindInt64(index, *value);
  } else {
    bindNull(index);
  }
}
void Statement::bindText(int index, std::string_view text) {
  set(index, std::string(text));
}
void Statement::bindTextOrNull(int index, std::string_view text) {
  if (text.empty()) {
    bindNull(index);
  } else {
    bindText(index, text);
  }
}
void Statement::bindNull(int index) {
  set(index, std::nullopt);
}

void Statement::reset() {
  executed_ = false;
  result_ = pqxx::result();
  next_ = 0;
  row_ = -1;
  affected_ = 0;
}

Status Statement::execute() {
  Connection& db = *connection_;
  if (db.tx_ == nullptr) return Error::internal("postgres: a statement ran outside a transaction");
  std::vector<const char*> values;
  values.reserve(params_.size());
  for (const auto& p : params_) values.push_back(p ? p->c_str() : nullptr);
  try {
    if (name_ != nullptr) {
      result_ = db.tx_->exec_prepared(*name_, pqxx::prepare::make_dynamic_params(values));
    } else {
      result_ = db.tx_->exec_params(sql_, pqxx::prepare::make_dynamic_params(values));
    }
  } catch (const std::exception& e) {
    return db.failed(e, firstLine(sql_).substr(0, 60));
  }
  executed_ = true;
  affected_ = static_cast<int64_t>(result_.affected_rows());
  next_ = 0;
  row_ = -1;
  return Status::ok();
}

Result<bool> Statement::step() {
  if (!executed_) MES_RETURN_IF_ERROR(execute());
  if (next_ >= static_cast<int64_t>(result_.size())) {
    row_ = -1;
    return false;
  }
  row_ = next_++;
  return true;
}

Status Statement::run() {
  reset();
  MES_RETURN_IF_ERROR(execute());
  return Status::ok();
}

bool Statement::isNull(int column) const {
  return result_[static_cast<pqxx::result::size_type>(row_)][column].is_null();
}

int64_t Statement::int64At(int column) const {
  const pqxx::field f = result_[static_cast<pqxx::result::size_type>(row_)][column];
  if (f.is_null()) return 0;
  const char* text = f.c_str();
  if (text[0] == 't') return 1;
  if (text[0] == 'f') return 0;
  int64_t value = 0;
  std::from_chars(text, text + f.size(), value);
  return value;
}

std::string_view Statement::textAt(int column) const {
  const pqxx::field f = result_[static_cast<pqxx::result::size_type>(row_)][column];
  if (f.is_null()) return {};
  return std::string_view(f.c_str(), f.size());
}

Result<int64_t> runCounting(Connection&, Statement& stmt) {
  MES_RETURN_IF_ERROR(stmt.run());
  return stmt.affectedRows();
}

// --- Connection -----------------------------------------------------------------------------

Result<std::unique_ptr<Connection>> Connection::open(const std::string& conninfo,
                                                     const std::vector<std::string>& setup) {
  try {
    auto raw = std::make_unique<pqxx::connection>(conninfo);
    for (const std::string& sql : setup) {
      pqxx::nontransaction tx(*raw);
      tx.exec(sql);
    }
    return std::unique_ptr<Connection>(new Connection(std::move(raw)));
  } catch (const std::exception& e) {
    return pgError(e, "connect");
  }
}

Connection::~Connection() {
  abort();
  try {
    if (connection_) connection_->disconnect();
  } catch (...) {
  }
}

Error Connection::failed(const std::exception& e, std::string_view context) {
  Error error = pgError(e, context);
  // The server went away (restart, failover, network): the pool replaces this connection.
  if (error.code() == "store-unavailable") broken_ = true;
  return error;
}

bool Connection::usable() const {
  return !broken_ && connection_ != nullptr && connection_->is_open();
}

Status Connection::begin(Mode mode) {
  if (tx_ != nullptr) return Error::internal("postgres: a transaction is already open");
  try {
    switch (mode) {
      case Mode::kWrite:
        tx_ = std::make_unique<pqxx::work>(*connection_);
        break;
      case Mode::kRead:
        tx_ = std::make_unique<pqxx::nontransaction>(*connection_);
        break;
      case Mode::kSnapshot:
        tx_ = std::make_unique<pqxx::transaction<pqxx::isolation_level::repeatable_read,
                                                 pqxx::readwrite_policy::read_only>>(*connection_);
        break;
    }
  } catch (const std::exception& e) {
    broken_ = true;
    return pgError(e, "begin");
  }
  return Status::ok();
}

Status Connection::commit() {
  if (tx_ == nullptr) return Error::internal("postgres: commit without a transaction");
  try {
    tx_->commit();
  } catch (const std::exception& e) {
    tx_.reset();
    return failed(e, "commit");
  }
  tx_.reset();
  return Status::ok();
}

void Connection::abort() noexcept {
  if (tx_ == nullptr) return;
  try {
    tx_->abort();
  } catch (...) {
    broken_ = true;
  }
  tx_.reset();
}

Result<Statement> Connection::prepare(std::string_view sql) {
  auto it = prepared_.find(std::string(sql));
  if (it != prepared_.end()) return Statement(*this, &it->second, std::string(sql));
  std::string numbered = numberPlaceholders(sql);
  if (prepared_.size() >= kMaxCachedStatements)
    return Statement(*this, nullptr, std::move(numbered));
  std::string name = "s" + std::to_string(prepared_.size());
  try {
    connection_->prepare(name, numbered);
  } catch (const std::exception& e) {
    return pgError(e, "prepare");
  }
  auto [inserted, _] = prepared_.emplace(std::string(sql), std::move(name));
  return Statement(*this, &inserted->second, std::string(sql));
}

Status Connection::exec(std::string_view sql) {
  if (tx_ == nullptr) return Error::internal("postgres: exec outside a transaction");
  try {
    tx_->exec(std::string(sql));
  } catch (const std::exception& e) {
    return failed(e, "exec");
  }
  return Status::ok();
}

}  // namespace mes::store::pg
