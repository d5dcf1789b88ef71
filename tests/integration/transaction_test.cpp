// POST /fhir transaction Bundles: conditional Device create, all-or-nothing (SPEC §2).
#include <boost/test/unit_test.hpp>

#include "integration/measures_fixture.h"

using namespace mes::itest;
using mes::fhir::Value;

namespace {

std::string bundle(const std::string& deviceIdentifier, const std::string& observation,
                   bool conditional = true) {
  const std::string device =
      R"({"fullUrl":"urn:uuid:5b6f0c36-0d5e-4a55-9d0e-1f3f7ad7d001","resource":{"resourceType":"Device",)"
      R"("identifier":[{"system":"urn:oid:1.2.250.1.999.1","value":")" + deviceIdentifier +
      R"("}],"manufacturer":"Tensio","modelNumber":"BP-200"},"request":{"method":"POST","url":"Device")" +
      (conditional ? R"(,"ifNoneExist":"identifier=urn:oid:1.2.250.1.999.1|)" + deviceIdentifier + "\"" : "") +
      "}}";
  return R"({"resourceType":"Bundle","type":"transaction","entry":[)" + device +
         R"(,{"fullUrl":"urn:uuid:5b6f0c36-0d5e-4a55-9d0e-1f3f7ad7d002","resource":)" + observation +
         R"(,"request":{"method":"POST","url":"Observation"}}]})";
}

std::string pulseWithDevice(const std::string& value, const std::string& patient = "demo") {
  std::string obs = quantityMeasure("mes-observation-heartrate", "8867-4", value, "/min",
                                    "2024-07-01T10:00:00Z", patient);
  obs.insert(obs.size() - 1,
             R"(,"device":{"reference":"urn:uuid:5b6f0c36-0d5e-4a55-9d0e-1f3f7ad7d001"})");
  return obs;
}

std::string status(const Value& response, size_t entry) {
  return *response.find("entry")->items().at(entry).find("response")->findString("status");
}
std::string location(const Value& response, size_t entry) {
  return *response.find("entry")->items().at(entry).find("response")->findString("location");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(transaction)

BOOST_AUTO_TEST_CASE(conditional_device_create_and_include) {
  auto c = appClient();
  auto first = c.post("/fhir", bundle("SN-0001", pulseWithDevice("61")));
  BOOST_REQUIRE_MESSAGE(first.status == 200, first.body);
  Value r1 = json(first);
  BOOST_TEST(*r1.findString("type") == "transaction-response");
  BOOST_TEST(status(r1, 0) == "201 Created");
  BOOST_TEST(status(r1, 1) == "201 Created");
  const std::string deviceLocation = location(r1, 0);
  BOOST_TEST(deviceLocation.rfind("Device/", 0) == 0);

  auto second = c.post("/fhir", bundle("SN-0001", pulseWithDevice("62")));
  BOOST_REQUIRE(second.status == 200);
  Value r2 = json(second);
  BOOST_TEST(status(r2, 0) == "200 OK");
  BOOST_TEST(location(r2, 0) == deviceLocation);
  BOOST_TEST(status(r2, 1) == "201 Created");

  // The Observation points at the stored Device, which _include brings along.
  const std::string obsPath = "/fhir/" + location(r2, 1).substr(0, location(r2, 1).find("/_history"));
  Value obs = json(c.get(obsPath));
  const std::string deviceRef = deviceLocation.substr(0, deviceLocation.find("/_history"));
  BOOST_TEST(*obs.find("device")->findString("reference") == deviceRef);
  BOOST_TEST(c.get("/fhir/" + deviceRef).status == 200);
  auto search = c.get("/fhir/Observation?patient=demo&code=8867-4&date=2024-07-01&_include=Observation:device");
  BOOST_REQUIRE(search.status == 200);
  Value s = json(search);
  int matches = 0;
  int includes = 0;
  for (const auto& e : s.find("entry")->items()) {
    const std::string mode = *e.find("search")->findString("mode");
    if (mode == "match") ++matches;
    if (mode == "include") {
      ++includes;
      BOOST_TEST(*e.find("resource")->findString("resourceType") == "Device");
    }
  }
  BOOST_TEST(matches == 2);
  BOOST_TEST(includes == 1);  // one Device, listed once
}

BOOST_AUTO_TEST_CASE(a_failing_transaction_leaves_nothing_behind) {
  auto c = appClient();
  // Validation failure: the Observation's unit is wrong.
  std::string wrongUnit = pulseWithDevice("61");
  wrongUnit.replace(wrongUnit.find("\"code\":\"/min\""), 13, "\"code\":\"bpm\"");
  auto invalid = c.post("/fhir", bundle("SN-ROLLBACK", wrongUnit));
  BOOST_TEST(invalid.status == 422);
  BOOST_TEST(outcomeText(invalid).find("Bundle.entry[1].resource") != std::string::npos,
             outcomeText(invalid));
  // Another patient than the paired one: refused as a whole.
  auto unknown = c.post("/fhir", bundle("SN-ROLLBACK", pulseWithDevice("61", "nobody")));
  BOOST_TEST(unknown.status == 403);
  BOOST_TEST(outcomeCode(unknown) == "patient-mismatch");
  // Neither attempt left a Device: the next one creates it.
  auto ok = c.post("/fhir", bundle("SN-ROLLBACK", pulseWithDevice("61")));
  BOOST_REQUIRE_MESSAGE(ok.status == 200, ok.body);
  BOOST_TEST(status(json(ok), 0) == "201 Created");
}

BOOST_AUTO_TEST_CASE(bundle_shape_errors) {
  auto c = appClient();
  auto batch = c.post("/fhir", R"({"resourceType":"Bundle","type":"batch","entry":[]})");
  BOOST_TEST(batch.status == 400);
  BOOST_TEST(outcomeCode(batch) == "bundle-type-unsupported");
  auto empty = c.post("/fhir", R"({"resourceType":"Bundle","type":"transaction"})");
  BOOST_TEST(empty.status == 400);
  std::string noFullUrl = bundle("SN-2", pulseWithDevice("60"));
  const std::string fullUrl = "\"fullUrl\":\"urn:uuid:5b6f0c36-0d5e-4a55-9d0e-1f3f7ad7d002\",";
  noFullUrl.erase(noFullUrl.find(fullUrl), fullUrl.size());
  auto missing = c.post("/fhir", noFullUrl);
  BOOST_TEST(missing.status == 400);
  BOOST_TEST(outcomeCode(missing) == "fullurl-missing");
  auto put = c.post("/fhir", R"({"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Observation"},"request":{"method":"PUT","url":"Observation/1"}}]})");
  BOOST_TEST(put.status == 400);
  auto patient = c.post("/fhir", R"({"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}]})");
  BOOST_TEST(patient.status == 422);
  BOOST_TEST(outcomeCode(patient) == "transaction-entry-unsupported");
}

BOOST_AUTO_TEST_SUITE_END()
