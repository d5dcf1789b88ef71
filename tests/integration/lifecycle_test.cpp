// The process: restart keeps versions, SIGTERM finishes in-flight requests, kill -9 loses no
// acknowledged write, logs carry request ids, the CLI explains itself and refuses bad config.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <thread>

#include "integration/measures_fixture.h"

using namespace mes::itest;

namespace {

struct CommandResult {
  int exitCode;
  std::string output;
};

CommandResult run(const std::string& args) {
  const std::string command = std::string(kGatewayBinary) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  BOOST_REQUIRE(pipe != nullptr);
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lifecycle)

BOOST_AUTO_TEST_CASE(restart_reads_back_the_same_versions) {
  TempDir dir("mes-restart");
  GatewayOptions options;
  options.dataDir = dir.string();
  GatewayProcess gw(options);
  const std::string token = pairMeasuresApp(gw);
  auto c = appClient(gw, token);
  auto created = c.post("/fhir/Observation", weight("70.50"));
  BOOST_REQUIRE(created.status == 201);
  const std::string id = idOf(created);
  std::string changed = weight("70.75");
  changed.insert(1, "\"id\":\"" + id + "\",");
  auto updated = c.put("/fhir/Observation/" + id, changed);
  BOOST_REQUIRE(updated.status == 200);

  BOOST_TEST(gw.stop() == 0);
  BOOST_TEST(gw.log().find("\"msg\":\"store closed\"") != std::string::npos);
  gw.start();
  auto c2 = appClient(gw, token);  // keys, pairing and grant survive the restart
  auto v2 = c2.get("/fhir/Observation/" + id);
  BOOST_TEST(v2.status == 200);
  BOOST_TEST(v2.header("ETag") == "W/\"2\"");
  BOOST_TEST(v2.body == updated.body);
  auto v1 = c2.get("/fhir/Observation/" + id + "/_history/1");
  BOOST_TEST(v1.body == created.body);
}

BOOST_AUTO_TEST_CASE(kill_9_loses_no_acknowledged_write) {
  GatewayProcess gw;
  const std::string token = pairMeasuresApp(gw);
  auto c = appClient(gw, token);
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    auto r = c.post("/fhir/Observation",
                    quantityMeasure("mes-observation-heartrate", "8867-4", std::to_string(60 + i),
                                    "/min"));
    BOOST_REQUIRE(r.status == 201);
    ids.push_back(idOf(r));
  }
  gw.kill9();
  gw.start();
  auto c2 = appClient(gw, token);
  for (const auto& id : ids) BOOST_TEST(c2.get("/fhir/Observation/" + id).status == 200);
}

BOOST_AUTO_TEST_CASE(sigterm_finishes_in_flight_requests) {
  GatewayProcess gw;
  const std::string token = pairMeasuresApp(gw);
  const std::string body = weight("66.6");
  // Open a request and send only half of its body.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(gw.port());
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const std::string head = "POST /fhir/Observation HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Content-Type: application/fhir+json\r\nConnection: close\r\n"
                           "Authorization: Bearer " + token + "\r\n"
                           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  const std::string firstHalf = head + body.substr(0, body.size() / 2);
  BOOST_REQUIRE(::send(fd, firstHalf.data(), firstHalf.size(), 0) == static_cast<ssize_t>(firstHalf.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  // SIGTERM while the request is in flight; the process must wait for it.
  std::thread stopper([&] { gw.stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  BOOST_TEST(gw.running());
  const std::string rest = body.substr(body.size() / 2);
  BOOST_REQUIRE(::send(fd, rest.data(), rest.size(), 0) == static_cast<ssize_t>(rest.size()));
  std::string response;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, static_cast<size_t>(n));
  ::close(fd);
  stopper.join();
  BOOST_TEST(response.rfind("HTTP/1.1 201", 0) == 0, response.substr(0, 200));
  BOOST_TEST(gw.lastExitStatus() == 0);
  // And the write is there after a restart.
  gw.start();
  const std::string location = "\"id\":\"";
  auto idStart = response.find(location);
  BOOST_REQUIRE(idStart != std::string::npos);
  const std::string id = response.substr(idStart + location.size(), 32);
  BOOST_TEST(appClient(gw, token).get("/fhir/Observation/" + id).status == 200);
}

BOOST_AUTO_TEST_CASE(log_lines_are_json_with_the_request_id) {
  auto& gw = sharedGateway();
  auto r = gw.client().get("/fhir/metadata", {{"X-Request-Id", "test-req-123"}});
  BOOST_TEST(r.header("X-Request-Id") == "test-req-123");
  auto generated = gw.client().get("/fhir/metadata");
  BOOST_TEST(generated.header("X-Request-Id").size() == 32u);
  bool found = false;
  std::istringstream lines(gw.log());
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '{') continue;
    auto parsed = mes::fhir::parseJson(line);
    BOOST_REQUIRE_MESSAGE(parsed.isOk(), "log line is not JSON: " + line);
    const std::string* rid = parsed->findString("request_id");
    if (rid != nullptr && *rid == "test-req-123") {
      found = true;
      BOOST_TEST(*parsed->findString("path") == "/fhir/metadata");
      BOOST_TEST(*parsed->find("status")->asInt() == 200);
    }
  }
  BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(cli_help_and_config_errors) {
  auto help = run("--help");
  BOOST_TEST(help.exitCode == 0);
  BOOST_TEST(help.output.find("--data-dir") != std::string::npos);
  BOOST_TEST(help.output.find("MES_PORT") != std::string::npos);

  TempDir dir("mes-config");
  const std::string file = dir.string() + "/config.json";
  std::ofstream(file) << R"({"port": 8099, "colour": "blue"})";
  auto bad = run("serve --config " + file + " --data-dir " + dir.string());
  BOOST_TEST(bad.exitCode == 2);
  BOOST_TEST(bad.output.find("colour") != std::string::npos);
  auto flag = run("serve --frobnicate 1");
  BOOST_TEST(flag.exitCode == 2);
  BOOST_TEST(run("dance").exitCode == 2);
}

BOOST_AUTO_TEST_SUITE_END()
