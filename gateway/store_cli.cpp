#include "gateway/store_cli.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "connectors/postgres/postgres_signing_keys.h"
#include "connectors/postgres/store_copy.h"
#include "core/clock.h"
#include "fhir/json/json.h"
#include "gateway/app.h"
#include "gateway/config.h"
#include "oauth/signing_keys.h"

namespace mes::gateway {
namespace {

// The signing keys of the data directory as store rows: the current one as current, the retired
// ones still published as retired now (they keep verifying for a whole retention period more).
Result<std::vector<store::StoredSigningKey>> fileKeys(const Config& config, const Clock& clock) {
  auto keys = oauth::FileSigningKeyStore::open(config.dataDir, clock,
                                               int64_t{config.accessTokenSeconds} + 300);
  if (!keys) return keys.takeError();
  auto current = (*keys)->current();
  if (!current) return current.takeError();
  auto jwks = (*keys)->jwks();
  if (!jwks) return jwks.takeError();
  const int64_t now = clock.nowMs();
  std::vector<store::StoredSigningKey> rows;
  auto pem = current->key.toPem();
  if (!pem) return pem.takeError();
  rows.push_back({current->kid, std::move(*pem), now, std::nullopt});
  if (const fhir::Value* list = jwks->find("keys")) {
    for (const fhir::Value& jwk : list->items()) {
      const std::string* kid = jwk.findString("kid");
      if (kid == nullptr || *kid == current->kid) continue;
      std::ifstream in((*keys)->directory() / (*kid + ".pem"), std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      if (!in) return Error::internal("store copy: cannot read the retired key " + *kid);
      rows.push_back({*kid, text.str(), now, now});
    }
  }
  return rows;
}

}  // namespace

void printStoreHelp(std::ostream& out) {
  out << "  mes-gateway store copy --to URL [--to-schema NAME]\n"
         "                                  copy the SQLite store of the data directory and its\n"
         "                                  signing keys into an empty PostgreSQL store (stop the\n"
         "                                  gateway first); then run with store.backend=postgres\n";
}

int runStoreCommand(std::vector<std::string> args, const std::map<std::string, std::string>& env,
                    Logger& logger, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] != "copy") {
    err << "mes-gateway store: unknown or missing action (copy)\n";
    return 2;
  }
  args.erase(args.begin());
  std::string url;
  std::string schema;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "--to" || args[i] == "--to-schema") && i + 1 < args.size()) {
      (args[i] == "--to" ? url : schema) = args[i + 1];
      ++i;
    } else {
      rest.push_back(args[i]);
    }
  }
  if (url.empty()) {
    err << "mes-gateway store copy: --to <postgres connection string> is required\n";
    return 2;
  }
  auto config = loadConfig(rest, env);
  if (!config) {
    err << "mes-gateway: " << config.error().problems.front().message << "\n";
    return 2;
  }
  if (config->storeBackend != "sqlite") {
    err << "mes-gateway store copy: the source is the SQLite store of the data directory "
           "(store.backend is "
        << config->storeBackend << ")\n";
    return 2;
  }
  auto fail = [&](const char* step, const Error& e) {
    err << "mes-gateway store copy: " << step << ": " << e.problems.front().message << "\n";
    logger.error("store copy failed", {{"step", std::string(step)}, {"detail", e.detail}});
    return 1;
  };
  SystemClock clock;
  {
    // Opening and closing the gateway imports the audit journal into the SQLite store.
    auto gateway = Gateway::open(*config, logger);
    if (!gateway) return fail("open the data directory", gateway.error());
    (*gateway)->stop();
  }
  store::SqliteOptions sqliteOptions;
  sqliteOptions.path = (std::filesystem::path(config->dataDir) / "mes-gateway.sqlite").string();
  auto source = store::SqliteDatabase::open(sqliteOptions, clock);
  if (!source) return fail("open the SQLite store", source.error());
  auto keys = fileKeys(*config, clock);
  if (!keys) return fail("read the signing keys", keys.error());

  store::PostgresOptions options;
  options.url = url;
  options.schema = schema;
  options.poolSize = 2;
  options.connectTimeoutSeconds = config->storeConnectTimeoutSeconds;
  options.statementTimeoutMs = 0;  // a large copy is one long transaction
  if (!schema.empty() && !store::validSchemaName(schema)) {
    err << "mes-gateway store copy: --to-schema must be a lower-case SQL identifier\n";
    return 2;
  }
  auto target = store::PostgresDatabase::open(options, clock);
  if (!target) return fail("open the PostgreSQL store", target.error());
  auto copied = store::copySqliteToPostgres(**source, **target);
  if (!copied) return fail("copy", copied.error());
  store::PostgresSigningKeys signingKeys(*target);
  if (Status imported = signingKeys.importSigningKeys(*keys); !imported) {
    return fail("copy the signing keys", imported.error());
  }
  fhir::Value report = fhir::Value::object();
  report.set("from", fhir::Value::string(sqliteOptions.path));
  report.set("to", fhir::Value::string(store::redactConnectionString(url)));
  fhir::Value tables = fhir::Value::object();
  for (const auto& [table, rows] : copied->rows) tables.set(table, fhir::Value::number(rows));
  tables.set("signing_keys", fhir::Value::number(static_cast<int64_t>(keys->size())));
  report.set("rows", std::move(tables));
  out << fhir::toPrettyJson(report) << "\n";
  return 0;
}

}  // namespace mes::gateway
