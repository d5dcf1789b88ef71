// mes-defect-proxy: a test fixture, never part of the product. It sits in front of a real
// gateway as an HTTP proxy and alters the traffic to plant one defect, so that the conformance
// harness can be shown to fail exactly the tests that should fail ("it can fail", issue #6).
//
//   mes-defect-proxy --port P --upstream http://127.0.0.1:G --defect NAME
//
// Start the gateway with --public-url http://127.0.0.1:P so that its links, issuer and token
// audience are the proxy's. Defects:
//   none             forwards everything unchanged
//   plain-pkce       accepts code_challenge_method=plain: the authorization request is rewritten
//                    to the S256 challenge of the plain one, so the app's plain verifier works
//   pounds           accepts a body weight in pounds: [lb_av] values are converted to kg before
//                    the gateway sees them
//   leak             leaks another patient's measure: a read by id that the gateway answers 404
//                    is tried again with the other bearer tokens the proxy has seen
//   ignore-if-match  drops If-Match from every request
// Built from gateway/http's server and client.
#include <atomic>
#include <csignal>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fhir/json/json.h"
#include "gateway/http/http_client.h"
#include "gateway/http/http_server.h"
#include "oauth/pkce.h"

namespace {

using namespace mes;
using namespace mes::http;

enum class Defect { kNone, kPlainPkce, kPounds, kLeak, kIgnoreIfMatch };

std::string encodePath(std::string_view path) {
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const std::string_view segment = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    out += percentEncode(segment);
    if (slash == std::string_view::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

std::string encodeQuery(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out;
  for (const auto& [name, value] : pairs) {
    out += (out.empty() ? "" : "&") + percentEncode(name) + "=" + percentEncode(value);
  }
  return out;
}

class DefectProxy {
 public:
  DefectProxy(std::string upstream, Defect defect)
      : upstream_(std::move(upstream)), defect_(defect), client_(makeHttpClient()) {}

  Response handle(Request& request) {
    std::string rawQuery = request.rawQuery;
    std::string body = request.body;
    Headers headers;
    for (const auto& [name, value] : request.headers.all()) {
      if (isPerHopHeader(name)) continue;
      if (defect_ == Defect::kIgnoreIfMatch && equalsIgnoreCase(name, "If-Match")) continue;
      headers.add(name, value);
    }
    remember(request.headers.get("Authorization"));
    if (defect_ == Defect::kPlainPkce && request.path == "/oauth/authorize") {
      rawQuery = plainToS256(request.query, rawQuery);
    }
    if (defect_ == Defect::kPounds && request.path.rfind("/fhir", 0) == 0 && !body.empty()) {
      body = poundsToKilograms(body);
    }
    const std::string target =
        upstream_ + encodePath(request.path) + (rawQuery.empty() ? "" : "?" + rawQuery);
    Response answer = forward(request.method, target, headers, body);
    if (defect_ == Defect::kLeak && answer.status == 404 && request.method == "GET" &&
        request.path.rfind("/fhir/Observation/", 0) == 0) {
      for (const std::string& other : othersThan(request.headers.get("Authorization"))) {
        Headers stolen = headers;
        stolen.set("Authorization", other);
        Response leaked = forward(request.method, target, stolen, body);
        if (leaked.status == 200) return leaked;
      }
    }
    return answer;
  }

 private:
  Response forward(const std::string& method, const std::string& url, const Headers& headers,
                   const std::string& body) {
    Result<ClientResponse> r = client_->send({method, url, headers, body});
    Response out;
    if (!r) {
      out.status = 502;
      out.headers.add("Content-Type", "text/plain");
      out.body = "mes-defect-proxy: the upstream gateway did not answer.";
      return out;
    }
    out.status = r->status;
    for (const auto& [name, value] : r->headers.all()) {
      if (!isPerHopHeader(name)) out.headers.add(name, value);
    }
    out.body = std::move(r->body);
    return out;
  }

  // code_challenge_method=plain becomes the S256 challenge of the same secret.
  static std::string plainToS256(std::vector<std::pair<std::string, std::string>> query,
                                 const std::string& rawQuery) {
    if (firstValue(query, "code_challenge_method") != "plain") return rawQuery;
    for (auto& [name, value] : query) {
      if (name == "code_challenge") value = oauth::challengeFor(value);
      if (name == "code_challenge_method") value = "S256";
    }
    return encodeQuery(query);
  }

  // A weight whose valueQuantity is in [lb_av] is rewritten in kg.
  static std::string poundsToKilograms(const std::string& body) {
    Result<fhir::Value> json = fhir::parseJson(body);
    if (!json || !json->isObject()) return body;
    fhir::Value* quantity = json->find("valueQuantity");
    const std::string* code = quantity != nullptr ? quantity->findString("code") : nullptr;
    const fhir::Value* value = quantity != nullptr ? quantity->find("value") : nullptr;
    if (code == nullptr || *code != "[lb_av]" || value == nullptr || !value->asDouble())
      return body;
    const double kg = *value->asDouble() * 0.45359237;
    quantity->set("value", fhir::Value::number(
                               static_cast<double>(static_cast<int64_t>(kg * 10 + 0.5)) / 10));
    quantity->set("code", fhir::Value::string("kg"));
    quantity->set("unit", fhir::Value::string("kg"));
    return fhir::toJson(*json);
  }

  void remember(const std::string& authorization) {
    if (authorization.rfind("Bearer ", 0) != 0) return;
    std::lock_guard lock(mutex_);
    for (const std::string& known : tokens_) {
      if (known == authorization) return;
    }
    tokens_.push_back(authorization);
    if (tokens_.size() > 64) tokens_.erase(tokens_.begin());
  }

  std::vector<std::string> othersThan(const std::string& authorization) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (auto it = tokens_.rbegin(); it != tokens_.rend(); ++it) {
      if (*it != authorization) out.push_back(*it);
    }
    return out;
  }

  std::string upstream_;
  Defect defect_;
  std::unique_ptr<HttpClient> client_;
  std::mutex mutex_;
  std::vector<std::string> tokens_;
};

std::atomic<bool> stopRequested{false};

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  std::string upstream;
  std::string defectName = "none";
  int port = 0;
  for (size_t i = 0; i + 1 < args.size(); i += 2) {
    if (args[i] == "--port") {
      port = std::atoi(args[i + 1].c_str());
    } else if (args[i] == "--upstream") {
      upstream = args[i + 1];
    } else if (args[i] == "--defect") {
      defectName = args[i + 1];
    } else {
      std::cerr << "mes-defect-proxy: unknown argument " << args[i] << "\n";
      return 2;
    }
  }
  Defect defect = Defect::kNone;
  if (defectName == "plain-pkce") {
    defect = Defect::kPlainPkce;
  } else if (defectName == "pounds") {
    defect = Defect::kPounds;
  } else if (defectName == "leak") {
    defect = Defect::kLeak;
  } else if (defectName == "ignore-if-match") {
    defect = Defect::kIgnoreIfMatch;
  } else if (defectName != "none") {
    std::cerr << "mes-defect-proxy: unknown defect " << defectName << "\n";
    return 2;
  }
  if (port <= 0 || port > 65535 || upstream.rfind("http", 0) != 0) {
    std::cerr << "usage: mes-defect-proxy --port P --upstream http://HOST:PORT --defect "
                 "none|plain-pkce|pounds|leak|ignore-if-match\n";
    return 2;
  }
  while (!upstream.empty() && upstream.back() == '/') upstream.pop_back();
  auto proxy = std::make_shared<DefectProxy>(upstream, defect);
  ServerOptions options;
  options.port = static_cast<uint16_t>(port);
  options.threads = 16;
  options.maxBodyBytes = 64 << 20;
  Server server(options, [proxy](Request& request) { return proxy->handle(request); });
  if (Status started = server.start(); !started) {
    std::cerr << "mes-defect-proxy: " << started.error().problems.front().message << "\n";
    return 1;
  }
  std::signal(SIGTERM, [](int) { stopRequested = true; });
  std::signal(SIGINT, [](int) { stopRequested = true; });
  std::cerr << "mes-defect-proxy: " << defectName << " on 127.0.0.1:" << port << " in front of "
            << upstream << "\n";
  while (!stopRequested) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server.shutdown(std::chrono::milliseconds(2000));
  return 0;
}
