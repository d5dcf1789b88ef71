#include "gateway/blob_cli.h"

#include <ostream>

#include "fhir/json/json.h"
#include "gateway/app.h"
#include "gateway/config.h"
#include "gateway/document_service.h"

namespace mes::gateway {

void printBlobsHelp(std::ostream& out) {
  out << "  mes-gateway blobs check         compare the blob store with the documents: blobs no\n"
         "                                  document references, documents whose blob is\n"
         "                                  missing (JSON; exit 1 when one is missing)\n";
}

int runBlobsCommand(std::vector<std::string> args, const std::map<std::string, std::string>& env,
                    Logger& logger, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] != "check") {
    err << "mes-gateway blobs: unknown or missing action (check)\n";
    return 2;
  }
  args.erase(args.begin());
  auto config = loadConfig(args, env);
  if (!config) {
    err << "mes-gateway: " << config.error().problems.front().message << "\n";
    return 2;
  }
  auto gateway = Gateway::open(*config, logger);
  if (!gateway) {
    err << "mes-gateway: cannot open the data directory: "
        << gateway.error().problems.front().message << "\n";
    return 1;
  }
  auto check = (*gateway)->documents().checkBlobs();
  (*gateway)->stop();
  if (!check) {
    err << "mes-gateway: blob check failed: " << check.error().problems.front().message << "\n";
    return 1;
  }
  fhir::Value report = fhir::Value::object();
  report.set("blobs", fhir::Value::number(static_cast<int64_t>(check->blobs)));
  report.set("binaries", fhir::Value::number(static_cast<int64_t>(check->binaries)));
  fhir::Value unreferenced = fhir::Value::array();
  for (const auto& name : check->unreferenced) unreferenced.push(fhir::Value::string(name));
  report.set("unreferenced", std::move(unreferenced));
  fhir::Value missing = fhir::Value::array();
  for (const auto& name : check->missing) missing.push(fhir::Value::string(name));
  report.set("missing", std::move(missing));
  out << fhir::toPrettyJson(report) << "\n";
  return check->missing.empty() ? 0 : 1;
}

}  // namespace mes::gateway
