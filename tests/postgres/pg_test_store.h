// The PostgreSQL side of the store suites: every fixture gets fresh, empty stores in a schema
// of its own, in the private cluster that ctest starts before these tests and removes after them
// (tests/CMakeLists.txt: the postgres_cluster fixture, scripts/pg-cluster). Its connection URL
// comes from MES_TEST_POSTGRES_URL, or the file named by MES_TEST_POSTGRES_URL_FILE.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include "connectors/postgres/postgres_database.h"
#include "core/clock.h"

namespace mes::test {

inline std::string postgresTestUrl() {
  if (const char* url = std::getenv("MES_TEST_POSTGRES_URL"); url != nullptr && *url != '\0') {
    return url;
  }
  const char* file = std::getenv("MES_TEST_POSTGRES_URL_FILE");
  if (file == nullptr || *file == '\0') {
    throw std::runtime_error(
        "no PostgreSQL for the tests: run them with ctest (which starts a private cluster), or "
        "set MES_TEST_POSTGRES_URL (scripts/pg-cluster start DIR writes one to DIR/url)");
  }
  std::ifstream in(file);
  std::string url;
  if (!std::getline(in, url) || url.empty()) {
    throw std::runtime_error(std::string("cannot read the test cluster's URL from ") + file);
  }
  return url;
}

// A schema name no other fixture of any test process uses.
inline std::string freshSchemaName() {
  static std::atomic<int> next{0};
  return "t" + std::to_string(::getpid()) + "_" + std::to_string(next++);
}

inline std::shared_ptr<store::PostgresDatabase> openTestDatabase(const Clock& clock,
                                                                 int poolSize = 4,
                                                                 std::string schema = {}) {
  store::PostgresOptions options;
  options.url = postgresTestUrl();
  options.poolSize = poolSize;
  options.schema = schema.empty() ? freshSchemaName() : std::move(schema);
  auto database = store::PostgresDatabase::open(options, clock);
  if (!database) {
    throw std::runtime_error("cannot open the PostgreSQL test store: " + database.error().detail +
                             " " + database.error().code());
  }
  return std::move(database).value();
}

}  // namespace mes::test
