// Direct looks into a SQLite file for the SQLite-specific tests (schema, stored rows).
#pragma once

#include <boost/test/unit_test.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "connectors/sqlite/sqlite_db.h"

namespace mes::test {

// A separate read-write connection to the database file.
inline std::unique_ptr<store::sqlite::Connection> inspect(const std::string& path) {
  using store::sqlite::Connection;
  auto opened = Connection::open(path, Connection::Mode::kReadWriteCreate, 1000);
  if (!opened) throw std::runtime_error("cannot open " + path + ": " + opened.error().detail);
  return std::move(opened).value();
}

// The first column of the first row of `sql`, which must return a row.
inline int64_t queryInt(store::sqlite::Connection& db, std::string_view sql) {
  auto stmt = db.prepare(sql);
  BOOST_REQUIRE_MESSAGE(stmt.isOk(), (stmt.isOk() ? std::string() : stmt.error().detail));
  auto row = stmt->step();
  BOOST_REQUIRE(row.isOk());
  BOOST_REQUIRE(*row);
  return stmt->int64At(0);
}

// The detail column of EXPLAIN QUERY PLAN for `sql`, one line per step ("SEARCH t USING
// INDEX ...", "SCAN t"...), for tests that pin a hot query to index seeks.
inline std::string queryPlan(store::sqlite::Connection& db, std::string_view sql) {
  auto stmt = db.prepare(std::string("EXPLAIN QUERY PLAN ") + std::string(sql));
  BOOST_REQUIRE_MESSAGE(stmt.isOk(), (stmt.isOk() ? std::string() : stmt.error().detail));
  std::string text;
  while (true) {
    auto row = stmt->step();
    BOOST_REQUIRE(row.isOk());
    if (!*row) break;
    text += stmt->stringAt(3) + "\n";
  }
  return text;
}

}  // namespace mes::test
