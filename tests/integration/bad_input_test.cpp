// Bad input gets a clear 4xx OperationOutcome and changes nothing (SPEC §0).
#include <boost/test/unit_test.hpp>

#include "integration/measures_fixture.h"

using namespace mes::itest;

namespace {
int64_t observationCount(HttpClient& c) {
  auto r = c.get("/fhir/Observation?_count=0");
  return *json(r).find("total")->asInt();
}
}  // namespace

BOOST_AUTO_TEST_SUITE(bad_input)

BOOST_AUTO_TEST_CASE(malformed_json) {
  auto c = appClient();
  const int64_t before = observationCount(c);
  auto r = c.post("/fhir/Observation", R"({"resourceType":"Observation", "status": })");
  BOOST_TEST(r.status == 400);
  BOOST_TEST(outcomeCode(r) == "json-malformed");
  BOOST_TEST(outcomeText(r).find("line 1") != std::string::npos);
  BOOST_TEST(c.post("/fhir", "").status == 400);
  BOOST_TEST(observationCount(c) == before);
}

BOOST_AUTO_TEST_CASE(wrong_json_types) {
  auto c = appClient();
  std::string body = weight("70");
  body.replace(body.find("\"status\":\"final\""), 16, "\"status\":5");
  auto r = c.post("/fhir/Observation", body);
  BOOST_TEST(r.status == 400);
  BOOST_TEST(outcomeText(r).find("Observation.status") != std::string::npos, outcomeText(r));
  std::string text = weight("\"70\"");
  auto t = c.post("/fhir/Observation", text);
  BOOST_TEST(t.status == 400);
  BOOST_TEST(outcomeText(t).find("Observation.valueQuantity.value") != std::string::npos);
  BOOST_TEST(c.post("/fhir/Observation", "[1,2,3]").status == 400);
}

BOOST_AUTO_TEST_CASE(body_over_the_limit_is_413) {
  auto c = appClient();
  std::string huge = weight("70");
  huge.insert(huge.size() - 1, ",\"note\":[{\"text\":\"" + std::string(2 << 20, 'x') + "\"}]");
  auto r = c.post("/fhir/Observation", huge);
  BOOST_TEST(r.status == 413);
  BOOST_TEST(outcomeCode(r) == "body-too-large");
  // Chunked bodies are counted too.
  std::string chunked;
  for (int i = 0; i < 40; ++i) {
    chunked += "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
  }
  chunked += "0\r\n\r\n";
  auto rc = c.request("POST", "/fhir/Observation",
                      {{"Content-Type", "application/fhir+json"}, {"Transfer-Encoding", "chunked"}},
                      chunked);
  BOOST_TEST(rc.status == 413);
  // The server is still fine.
  BOOST_TEST(c.get("/healthz").status == 200);
}

BOOST_AUTO_TEST_CASE(nesting_deeper_than_the_limit) {
  auto c = appClient();
  std::string deep = weight("70");
  deep.insert(deep.size() - 1, ",\"extension\":" + std::string(100, '[') + std::string(100, ']'));
  auto r = c.post("/fhir/Observation", deep);
  BOOST_TEST(r.status == 400);
  BOOST_TEST(outcomeCode(r) == "json-too-deep");
}

BOOST_AUTO_TEST_CASE(resource_type_mismatch_and_media_types) {
  auto c = appClient();
  auto mismatch = c.post("/fhir/Observation", R"({"resourceType":"Patient"})");
  BOOST_TEST(mismatch.status == 400);
  BOOST_TEST(outcomeCode(mismatch) == "resource-type-mismatch");
  auto none = c.post("/fhir/Observation", R"({"status":"final"})");
  BOOST_TEST(none.status == 400);
  BOOST_TEST(outcomeCode(none) == "resource-type-missing");
  auto form = c.post("/fhir/Observation", weight("70"), "application/x-www-form-urlencoded");
  BOOST_TEST(form.status == 415);
  BOOST_TEST(c.post("/fhir/Observation", weight("70"), "application/json").status == 201);
  auto xml = c.get("/fhir/metadata", {{"Accept", "application/fhir+xml"}});
  BOOST_TEST(xml.status == 406);
  BOOST_TEST(c.get("/fhir/metadata", {{"Accept", "application/fhir+json;q=0.9, */*;q=0.1"}}).status == 200);
}

BOOST_AUTO_TEST_CASE(unknown_endpoints_and_methods) {
  auto c = appClient();
  auto r = c.get("/fhir/Condition");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(outcomeCode(r) == "unknown-endpoint");
  auto m = c.request("PATCH", "/fhir/Observation/x", {{"Content-Type", "application/json"}}, "{}");
  BOOST_TEST(m.status == 405);
  BOOST_TEST(m.header("Allow").find("PUT") != std::string::npos);
  BOOST_TEST(outcomeCode(m) == "method-not-allowed");
  // Garbage on the wire does not take the server down.
  try {
    c.raw("NOT HTTP AT ALL\r\n\r\n");
  } catch (const std::exception&) {
    // Closing the connection is an acceptable answer to garbage.
  }
  BOOST_TEST(c.get("/healthz").status == 200);
}

BOOST_AUTO_TEST_SUITE_END()
