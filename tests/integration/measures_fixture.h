// Shared helpers for the Measures API integration tests.
#pragma once

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <memory>
#include <string>

#include "fhir/json/json.h"
#include "integration/support/gateway_process.h"
#include "integration/support/pairing.h"

namespace mes::itest {

inline constexpr const char* kProfileBase =
    "https://fhir.monespacesante.fr/ref/mesure/StructureDefinition/";

// Runs `mes-gateway seed-demo` on the data dir (the demo patient is Patient/demo).
inline void seedDemo(const std::string& dataDir) {
  const std::string command = std::string(kGatewayBinary) + " seed-demo --data-dir '" + dataDir +
                              "' --log-level warn > /dev/null";
  BOOST_REQUIRE_EQUAL(std::system(command.c_str()), 0);
}

// Tokens of the shared gateway live an hour: a sanitized run of a test file stays well within.
inline GatewayOptions longTokens() {
  GatewayOptions options;
  options.extraArgs = {"--oauth-access-token-seconds", "3600"};
  return options;
}

// Seeds the demo data and pairs the demo app with every Measures scope; returns its access
// token. The pairing is stored in the data dir: the token stays good across restarts.
inline std::string pairMeasuresApp(GatewayProcess& gw) {
  DemoSeed seed = seedDemoData(gw.dataDir());
  return pairDemo(gw, seed).accessToken;
}

struct SharedGateway {
  std::unique_ptr<GatewayProcess> process;
  std::string accessToken;
};

inline SharedGateway& shared() {
  static SharedGateway instance = [] {
    SharedGateway s;
    s.process = std::make_unique<GatewayProcess>(longTokens());
    s.accessToken = pairMeasuresApp(*s.process);
    return s;
  }();
  return instance;
}

// A gateway shared by the tests of one file: started on first use, demo data seeded, the demo
// app paired.
inline GatewayProcess& sharedGateway() { return *shared().process; }

// A client of the shared gateway that sends the paired demo app's token with every request.
inline HttpClient appClient() {
  HttpClient c = sharedGateway().client();
  c.setDefaultHeaders(bearer(shared().accessToken));
  return c;
}

// The same for any gateway and token.
inline HttpClient appClient(GatewayProcess& gw, const std::string& token) {
  HttpClient c = gw.client();
  c.setDefaultHeaders(bearer(token));
  return c;
}

// A simple quantity measure of the demo patient.
inline std::string quantityMeasure(const std::string& profile, const std::string& code,
                                   const std::string& value, const std::string& unit,
                                   const std::string& effective = "2024-05-03T08:00:00+02:00",
                                   const std::string& patient = "demo",
                                   const std::string& extra = "") {
  return std::string(R"({"resourceType":"Observation","meta":{"profile":[")") + kProfileBase +
         profile + R"("]},"status":"final",)" +
         R"("category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],)" +
         R"("code":{"coding":[{"system":"http://loinc.org","code":")" + code + R"("}]},)" +
         R"("subject":{"reference":"Patient/)" + patient + R"("},"effectiveDateTime":")" + effective +
         R"(",)" + extra + R"("valueQuantity":{"value":)" + value + R"(,"unit":")" + unit +
         R"(","system":"http://unitsofmeasure.org","code":")" + unit + R"("}})";
}

inline std::string weight(const std::string& value,
                          const std::string& effective = "2024-05-03T08:00:00+02:00",
                          const std::string& extra = "") {
  return quantityMeasure("mes-observation-bodyweight", "29463-7", value, "kg", effective, "demo",
                         extra);
}

inline fhir::Value json(const HttpResponse& r) {
  auto parsed = fhir::parseJson(r.body);
  BOOST_REQUIRE_MESSAGE(parsed.isOk(), "response is not JSON: " + r.body.substr(0, 300));
  return std::move(parsed).value();
}

// The project error code of the first issue of an OperationOutcome response.
// The first issue of an OperationOutcome response (the test stops when it is not one).
inline fhir::Value firstIssue(const HttpResponse& r) {
  fhir::Value oo = json(r);
  const std::string* type = oo.findString("resourceType");
  BOOST_REQUIRE_MESSAGE(type != nullptr && *type == "OperationOutcome",
                        "expected an OperationOutcome, got: " + r.body.substr(0, 300));
  const fhir::Value* issues = oo.find("issue");
  BOOST_REQUIRE(issues != nullptr && !issues->items().empty());
  return issues->items()[0];
}

inline std::string outcomeCode(const HttpResponse& r) {
  fhir::Value issue = firstIssue(r);
  return issue.find("details")->find("coding")->items().at(0).findString("code")->c_str();
}

inline std::string outcomeText(const HttpResponse& r) {
  fhir::Value issue = firstIssue(r);
  std::string text = *issue.findString("diagnostics");
  if (const fhir::Value* e = issue.find("expression"); e != nullptr && !e->items().empty()) {
    text += " @ " + e->items()[0].text();
  }
  return text;
}

inline std::string idOf(const HttpResponse& r) { return *json(r).findString("id"); }

}  // namespace mes::itest
