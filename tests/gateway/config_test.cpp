#include "gateway/config.h"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

using mes::gateway::loadConfig;

namespace {
std::string writeTemp(const std::string& text) {
  static int n = 0;
  auto path = std::filesystem::temp_directory_path() /
              ("mes-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".json");
  std::ofstream(path) << text;
  return path.string();
}
}  // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(defaults) {
  auto c = loadConfig({}, {});
  BOOST_REQUIRE(c.isOk());
  BOOST_TEST(c->port == 8080);
  BOOST_TEST(c->listen == "127.0.0.1");
  BOOST_TEST(c->fhirBase() == "http://127.0.0.1:8080/fhir");
}

BOOST_AUTO_TEST_CASE(precedence_file_env_flags) {
  auto file = writeTemp(R"({"port": 9000, "data_dir": "/tmp/a", "log_level": "warn",
                            "store": {"synchronous": "full"}})");
  auto fromFile = loadConfig({"--config", file}, {});
  BOOST_REQUIRE(fromFile.isOk());
  BOOST_TEST(fromFile->port == 9000);
  BOOST_TEST(fromFile->storeSynchronous == "full");
  auto withEnv = loadConfig({"--config", file}, {{"MES_PORT", "9100"}});
  BOOST_REQUIRE(withEnv.isOk());
  BOOST_TEST(withEnv->port == 9100);
  BOOST_TEST(withEnv->dataDir == "/tmp/a");
  auto withFlag = loadConfig({"--config", file, "--port=9200"}, {{"MES_PORT", "9100"}});
  BOOST_REQUIRE(withFlag.isOk());
  BOOST_TEST(withFlag->port == 9200);
  std::filesystem::remove(file);
}

BOOST_AUTO_TEST_CASE(unknown_keys_and_flags_are_refused) {
  auto file = writeTemp(R"({"port": 9000, "prot": 1})");
  auto r = loadConfig({"--config", file}, {});
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(r.error().problems[0].message.find("\"prot\"") != std::string::npos);
  BOOST_TEST(r.error().problems[0].message.find("unknown key") != std::string::npos);
  std::filesystem::remove(file);

  auto nested = writeTemp(R"({"store": {"kind": "sqlite"}})");
  BOOST_TEST(!loadConfig({"--config", nested}, {}).isOk());
  std::filesystem::remove(nested);

  auto flag = loadConfig({"--prot", "1"}, {});
  BOOST_REQUIRE(!flag.isOk());
  BOOST_TEST(flag.error().problems[0].message.find("--prot") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_values_name_their_origin) {
  auto r = loadConfig({}, {{"MES_PORT", "80x"}});
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(r.error().problems[0].message.find("MES_PORT") != std::string::npos);
  auto type = writeTemp(R"({"port": "9000"})");
  auto t = loadConfig({"--config", type}, {});
  BOOST_REQUIRE(!t.isOk());
  BOOST_TEST(t.error().problems[0].message.find("expected a number") != std::string::npos);
  std::filesystem::remove(type);
  BOOST_TEST(!loadConfig({"--log-level", "loud"}, {}).isOk());
  BOOST_TEST(!loadConfig({"--port"}, {}).isOk());
  BOOST_TEST(!loadConfig({"--config", "/nonexistent/x.json"}, {}).isOk());
  BOOST_TEST(!loadConfig({"--public-url", "ftp://x"}, {}).isOk());
}

BOOST_AUTO_TEST_CASE(documents_max_bytes_from_file_env_and_flag) {
  auto d = loadConfig({}, {});
  BOOST_REQUIRE(d.isOk());
  BOOST_TEST(d->documentsMaxBytes == uint64_t{20} << 20);
  auto file = writeTemp(R"({"documents": {"max_bytes": 2048}})");
  auto fromFile = loadConfig({"--config", file}, {});
  BOOST_REQUIRE(fromFile.isOk());
  BOOST_TEST(fromFile->documentsMaxBytes == 2048u);
  std::filesystem::remove(file);
  auto fromEnv = loadConfig({}, {{"MES_DOCUMENTS_MAX_BYTES", "4096"}});
  BOOST_REQUIRE(fromEnv.isOk());
  BOOST_TEST(fromEnv->documentsMaxBytes == 4096u);
  auto fromFlag = loadConfig({"--documents-max-bytes", "8192"}, {{"MES_DOCUMENTS_MAX_BYTES", "4096"}});
  BOOST_REQUIRE(fromFlag.isOk());
  BOOST_TEST(fromFlag->documentsMaxBytes == 8192u);
  auto tooSmall = loadConfig({"--documents-max-bytes", "10"}, {});
  BOOST_REQUIRE(!tooSmall.isOk());
  BOOST_TEST(tooSmall.error().problems[0].message.find("--documents-max-bytes") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(public_url_drives_links) {
  auto c = loadConfig({"--public-url", "https://mes.example.org/"}, {});
  BOOST_REQUIRE(c.isOk());
  BOOST_TEST(c->fhirBase() == "https://mes.example.org/fhir");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(the_postgres_store_is_chosen_and_checked) {
  auto d = loadConfig({}, {});
  BOOST_REQUIRE(d.isOk());
  BOOST_TEST(d->storeBackend == "sqlite");
  BOOST_TEST(d->storePoolSize == 8);
  BOOST_TEST(d->blobDir.empty());
  auto file = writeTemp(R"({"store": {"backend": "postgres", "postgres_url": "postgresql://gw@db/mes",
                             "postgres_schema": "gw_eu", "pool_size": 16,
                             "connect_timeout_seconds": 3, "statement_timeout_ms": 2500},
                             "documents": {"blob_dir": "/srv/shared/blobs"},
                             "outbox": {"dir": "/srv/shared/outbox"}})");
  auto fromFile = loadConfig({"--config", file}, {});
  std::filesystem::remove(file);
  BOOST_REQUIRE(fromFile.isOk());
  BOOST_TEST(fromFile->storeBackend == "postgres");
  BOOST_TEST(fromFile->storePostgresUrl == "postgresql://gw@db/mes");
  BOOST_TEST(fromFile->storePostgresSchema == "gw_eu");
  BOOST_TEST(fromFile->storePoolSize == 16);
  BOOST_TEST(fromFile->storeConnectTimeoutSeconds == 3);
  BOOST_TEST(fromFile->storeStatementTimeoutMs == 2500);
  BOOST_TEST(fromFile->blobDir == "/srv/shared/blobs");
  BOOST_TEST(fromFile->outboxDir == "/srv/shared/outbox");
  auto fromEnv = loadConfig({"--store-pool-size", "2"},
                            {{"MES_STORE_BACKEND", "postgres"},
                             {"MES_STORE_POSTGRES_URL", "host=db dbname=mes"}});
  BOOST_REQUIRE(fromEnv.isOk());
  BOOST_TEST(fromEnv->storePoolSize == 2);
  // Refusals: postgres without a URL, an unknown backend, a pool out of range, a schema that is
  // not a plain identifier.
  auto noUrl = loadConfig({"--store-backend", "postgres"}, {});
  BOOST_REQUIRE(!noUrl.isOk());
  BOOST_TEST(noUrl.error().problems[0].message.find("store.postgres_url") != std::string::npos);
  BOOST_TEST(!loadConfig({"--store-backend", "mysql"}, {}).isOk());
  BOOST_TEST(!loadConfig({"--store-pool-size", "0"}, {}).isOk());
  BOOST_TEST(!loadConfig({"--store-postgres-schema", "a; DROP TABLE x"}, {}).isOk());
  BOOST_TEST(!loadConfig({"--store-postgres-schema", "Public"}, {}).isOk());
}

BOOST_AUTO_TEST_CASE(every_store_setting_is_in_the_help) {
  std::vector<std::string> keys;
  for (const auto& doc : mes::gateway::settingDocs()) keys.push_back(doc.key);
  for (const char* key : {"store.backend", "store.postgres_url", "store.postgres_schema",
                          "store.pool_size", "store.connect_timeout_seconds",
                          "store.statement_timeout_ms", "documents.blob_dir", "outbox.dir"}) {
    BOOST_TEST((std::find(keys.begin(), keys.end(), key) != keys.end()), key);
  }
}
