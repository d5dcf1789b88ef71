// A thin layer over libpqxx: one connection with its cache of named prepared statements, and
// statements that bind values by position. Internal to connectors/postgres: only this folder
// includes libpqxx, and this header is included by its .cpp files only.
//
// Values always travel as statement parameters; SQL text never carries data. SQL is written with
// `?` placeholders (as for SQLite) and numbered ($1, $2...) when first prepared; every statement
// is a named server-side prepared statement, cached per connection by its text (beyond
// kMaxCachedStatements distinct texts, e.g. rare search shapes, the statement is sent as an
// unnamed parameterised statement instead: still no data in the SQL text).
//
// Every libpqxx / server failure becomes a mes::Error whose client-facing part is generic and
// whose `detail` holds what the server said (without its DETAIL line, which can quote values):
//   - a lost or refused connection -> kUnavailable "store-unavailable";
//   - serialisation failure, deadlock, lock or statement timeout -> kUnavailable "store-busy";
//   - anything else -> kInternal "internal-error".
//
// Threading: a Connection and its Statements belong to one thread at a time (the pool hands
// connections out one at a time).
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace mes::store::pg {

// The Error for an exception thrown by libpqxx while doing `context`.
Error pgError(const std::exception& e, std::string_view context);

class Connection;

// A statement on a connection's open transaction. Parameters are 1-based, in the order of the
// `?` in the SQL text; unbound parameters are NULL. The statement runs on the first step() or
// run(); rebinding after that starts a new execution.
class Statement {
 public:
  void bindInt64(int index, int64_t value);
  void bindOptionalInt64(int index, std::optional<int64_t> value);
  void bindText(int index, std::string_view text);
  void bindTextOrNull(int index, std::string_view text);  // NULL when empty
  void bindNull(int index);

  // Advances to the next row: true when a row is available, false when done.
  Result<bool> step();
  // Runs to completion; the number of rows changed is then affectedRows().
  Status run();
  void reset();

  bool isNull(int column) const;
  int64_t int64At(int column) const;  // also reads booleans: true = 1
  std::string_view textAt(int column) const;
  std::string stringAt(int column) const { return std::string(textAt(column)); }
  int64_t affectedRows() const { return affected_; }

 private:
  friend class Connection;
  Statement(Connection& connection, const std::string* name, std::string sql)
      : connection_(&connection), name_(name), sql_(std::move(sql)) {}
  Status execute();
  void set(int index, std::optional<std::string> value);

  Connection* connection_;
  const std::string* name_;  // prepared statement name; null: run unnamed
  std::string sql_;          // numbered SQL text
  std::vector<std::optional<std::string>> params_;
  pqxx::result result_;
  bool executed_ = false;
  int64_t next_ = 0;  // next row to return
  int64_t row_ = -1;  // current row
  int64_t affected_ = 0;
};

class Connection {
 public:
  // Connects with the libpq connection string; `setup` statements (SET ...) run once after.
  static Result<std::unique_ptr<Connection>> open(const std::string& conninfo,
                                                  const std::vector<std::string>& setup);
  ~Connection();

  enum class Mode { kWrite, kRead, kSnapshot };
  // Opens the transaction statements run on: kWrite a read-committed read-write transaction,
  // kRead no transaction (each statement on its own, autocommit), kSnapshot a repeatable-read
  // read-only transaction (several statements see one state).
  Status begin(Mode mode);
  Status commit();
  void abort() noexcept;
  bool inTransaction() const { return tx_ != nullptr; }

  // A statement of `sql` (with `?` placeholders) on the open transaction.
  Result<Statement> prepare(std::string_view sql);
  // Runs SQL without parameters on the open transaction (DDL, SET, migrations; may hold several
  // statements). Never pass text that contains data.
  Status exec(std::string_view sql);

  // False once the server connection was lost: the pool then replaces the connection.
  bool usable() const;

  static constexpr size_t kMaxCachedStatements = 512;

 private:
  friend class Statement;
  explicit Connection(std::unique_ptr<pqxx::connection> connection)
      : connection_(std::move(connection)) {}

  // The Error for `e`; marks the connection broken when the server is gone.
  Error failed(const std::exception& e, std::string_view context);

  std::unique_ptr<pqxx::connection> connection_;
  std::unique_ptr<pqxx::transaction_base> tx_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text (with ?) -> name
  bool broken_ = false;
};

// Runs `stmt` to completion and returns how many rows it changed.
Result<int64_t> runCounting(Connection& db, Statement& stmt);

// "?"-placeholders to "$1, $2...", outside quoted strings and identifiers.
std::string numberPlaceholders(std::string_view sql);

}  // namespace mes::store::pg
