// The sandbox's recorder (conformance/client/recorder.h) with a fake gateway: what it forwards
// and how, what it records, the deliberate 401 and 503 (once each, at their request, never
// forwarded), and its own answers when the gateway is gone or a body is too large.
#include "conformance/client/recorder.h"

#include <stdlib.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "conformance/fake_http_client.h"
#include "fhir/json/json.h"

using namespace mes;
using namespace mes::conformance::client;

namespace {

struct World {
  World() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mes-recorder-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir = pattern;
    writer = std::move(RecordingWriter::open(dir).value());
    gateway.on("GET", "http://gw:1/*", test::jsonResponse(200, R"({"resourceType":"Bundle"})"));
    gateway.on("POST", "http://gw:1/*", [](const http::ClientRequest&) {
      http::ClientResponse out = test::jsonResponse(201, R"({"id":"1"})");
      out.headers.add("Location", "http://sandbox/fhir/Observation/1/_history/1");
      out.headers.add("Connection", "keep-alive");
      return out;
    });
  }
  ~World() { std::filesystem::remove_all(dir); }

  Recorder recorder(FaultPlan faults, size_t keepBodyBytes = 4096) {
    RecorderOptions options;
    options.upstream = "http://gw:1/";
    options.faults = faults;
    options.keepBodyBytes = keepBodyBytes;
    options.prefixBytes = 8;
    return Recorder(options, gateway, clock, *writer,
                    [this](const RecordedExchange& e) { heard.push_back(e.seq); });
  }

  Recording read() {
    BOOST_REQUIRE(writer->close().isOk());
    SessionInfo info;
    info.startedMs = 1;
    BOOST_REQUIRE(writeSessionInfo(dir, info).isOk());
    Result<Recording> r = readRecording(dir);
    BOOST_REQUIRE(r.isOk());
    return std::move(r).value();
  }

  std::filesystem::path dir;
  std::unique_ptr<RecordingWriter> writer;
  test::FakeHttpClient gateway;
  ManualClock clock{1'764'000'000'000};
  std::vector<uint64_t> heard;
};

http::Request request(std::string method, std::string path, std::string query = {},
                      std::string token = {}, std::string body = {}) {
  http::Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.rawQuery = std::move(query);
  r.query = http::parseQuery(r.rawQuery);
  r.headers.add("Host", "127.0.0.1:8090");
  r.headers.add("Connection", "keep-alive");
  r.headers.add("Accept", "application/fhir+json");
  if (!token.empty()) r.headers.add("Authorization", "Bearer " + token);
  r.body = std::move(body);
  r.remoteAddress = "127.0.0.1";
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sandbox_recorder)

BOOST_AUTO_TEST_CASE(requests_are_forwarded_unchanged_but_hop_by_hop_headers_and_recorded) {
  World w;
  Recorder recorder = w.recorder({0, 0, 3}, 64);
  http::Request get = request("GET", "/fhir/Observation", "patient=demo&code=a%7Cb", "t1");
  http::Response answered = recorder.handle(get);
  BOOST_TEST(answered.status == 200);
  BOOST_TEST(answered.body == R"({"resourceType":"Bundle"})");
  http::Request post = request("POST", "/fhir/Observation", "", "t1", std::string(100, 'x'));
  BOOST_TEST(recorder.handle(post).status == 201);
  http::Request odd = request("GET", "/fhir/Patient/a b");
  recorder.handle(odd);

  BOOST_REQUIRE(w.gateway.sent.size() == 3u);
  const http::ClientRequest& sent = w.gateway.sent[0];
  BOOST_TEST(sent.url == "http://gw:1/fhir/Observation?patient=demo&code=a%7Cb");
  BOOST_TEST(sent.headers.get("Authorization") == "Bearer t1");
  BOOST_TEST(sent.headers.get("Accept") == "application/fhir+json");
  BOOST_TEST(!sent.headers.has("Host"));
  BOOST_TEST(!sent.headers.has("Connection"));
  BOOST_TEST(w.gateway.sent[1].body == std::string(100, 'x'));
  BOOST_TEST(w.gateway.sent[2].url == "http://gw:1/fhir/Patient/a%20b");

  BOOST_TEST(recorder.recorded() == 3u);
  BOOST_TEST((w.heard == std::vector<uint64_t>{1, 2, 3}));
  const Recording r = w.read();
  BOOST_REQUIRE(r.exchanges.size() == 3u);
  const RecordedExchange& first = r.exchanges[0];
  BOOST_TEST(first.seq == 1u);
  BOOST_TEST(first.method == "GET");
  BOOST_TEST(first.target == "/fhir/Observation?patient=demo&code=a%7Cb");
  BOOST_TEST(first.requestHeaders.get("Authorization") == "Bearer t1");  // as the app sent it
  BOOST_TEST(first.status == 200);
  BOOST_TEST(first.responseBody.bytes == R"({"resourceType":"Bundle"})");
  BOOST_TEST((first.injected == Injected::kNone));
  // Bodies past the limit: size, digest and prefix.
  const RecordedExchange& second = r.exchanges[1];
  BOOST_TEST(second.requestBody.truncated);
  BOOST_TEST(second.requestBody.size == 100u);
  BOOST_TEST(second.requestBody.bytes == "xxxxxxxx");
  BOOST_TEST(!second.responseHeaders.has("Connection"));
  BOOST_TEST(second.responseHeaders.get("Location") ==
             "http://sandbox/fhir/Observation/1/_history/1");
}

BOOST_AUTO_TEST_CASE(the_nth_request_with_a_token_gets_401_and_the_nth_write_503_once_each) {
  World w;
  Recorder recorder = w.recorder({2, 2, 7});
  std::vector<int> statuses;
  // Without a token, outside /fhir: never counted.
  for (http::Request r : {request("GET", "/fhir/metadata"),
                          request("POST", "/oauth/token", "", "", "grant_type=refresh_token"),
                          request("GET", "/fhir/Observation", "", "t1"),         // token #1
                          request("POST", "/fhir/Observation", "", "t1", "{}"),  // token #2: 401
                          request("POST", "/fhir/Observation", "", "t2", "{}"),  // write #1
                          request("POST", "/fhir/Observation", "", "t2", "{}"),  // write #2: 503
                          request("POST", "/fhir/Observation", "", "t2", "{}"),
                          request("GET", "/fhir/Observation", "", "t2")}) {
    statuses.push_back(recorder.handle(r).status);
  }
  BOOST_TEST((statuses == std::vector<int>{200, 201, 200, 401, 201, 503, 201, 200}));
  BOOST_TEST(w.gateway.sent.size() == 6u);  // the two injected ones never reached the gateway
  const Recording r = w.read();
  const RecordedExchange& refused = r.exchanges[3];
  BOOST_TEST((refused.injected == Injected::kRefusedToken));
  BOOST_TEST(refused.responseHeaders.get("WWW-Authenticate").find("error=\"invalid_token\"") !=
             std::string::npos);
  Result<fhir::Value> outcome = fhir::parseJson(refused.responseBody.bytes);
  BOOST_REQUIRE(outcome.isOk());
  BOOST_TEST(*outcome->findString("resourceType") == "OperationOutcome");
  BOOST_TEST(refused.responseBody.bytes.find("token-refused") != std::string::npos);
  const RecordedExchange& busy = r.exchanges[5];
  BOOST_TEST((busy.injected == Injected::kUnavailable));
  BOOST_TEST(busy.responseHeaders.get("Retry-After") == "7");
  BOOST_TEST(busy.responseBody.bytes.find("temporarily-unavailable") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(without_an_answer_from_the_gateway_the_app_gets_502_and_it_is_recorded) {
  World w;
  w.gateway.unreachable("http://gw:1/");
  Recorder recorder = w.recorder({0, 0, 3});
  http::Request get = request("GET", "/fhir/Observation");
  const http::Response answered = recorder.handle(get);
  BOOST_TEST(answered.status == 502);
  http::Request big = request("POST", "/fhir/DocumentReference", "", "t", "");
  big.bodyTooLarge = true;
  big.declaredBodyBytes = 99'000'000;
  BOOST_TEST(recorder.handle(big).status == 413);
  const Recording r = w.read();
  BOOST_TEST(r.exchanges[0].status == 502);
  BOOST_TEST(r.exchanges[0].failure.find("Connection refused") != std::string::npos);
  BOOST_TEST(r.exchanges[1].status == 413);
  BOOST_TEST(r.exchanges[1].requestBody.size == 99'000'000u);
  BOOST_TEST(w.gateway.sent.size() == 1u);  // the oversized one was not forwarded
}

BOOST_AUTO_TEST_SUITE_END()
