// An HttpClient for unit tests (gateway/http/http_client.h): answers from a table of routes
// written by the test, and keeps every request it was sent.
//
//   FakeHttpClient fake;
//   fake.on("GET", "http://gw/fhir/metadata", {200, "OK", {}, R"({"resourceType":...})"});
//   fake.unreachable("http://down/");   // every URL with this prefix: http-unreachable
// A request no route matches gets 404 with an empty body. Routes match the method and the URL
// exactly, or its prefix when the route's URL ends with '*'.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "gateway/http/http_client.h"

namespace mes::test {

class FakeHttpClient final : public http::HttpClient {
 public:
  using Handler = std::function<http::ClientResponse(const http::ClientRequest&)>;

  void on(std::string method, std::string url, http::ClientResponse response) {
    routes_.push_back({std::move(method), std::move(url),
                       [response](const http::ClientRequest&) { return response; }});
  }
  void on(std::string method, std::string url, Handler handler) {
    routes_.push_back({std::move(method), std::move(url), std::move(handler)});
  }
  void unreachable(std::string urlPrefix) { down_.push_back(std::move(urlPrefix)); }

  Result<http::ClientResponse> send(const http::ClientRequest& request) override {
    std::lock_guard lock(mutex_);
    sent.push_back(request);
    for (const std::string& prefix : down_) {
      if (request.url.rfind(prefix, 0) == 0) {
        return Error::make(ErrorKind::kUnavailable, "http-unreachable",
                           "The exchange with " + prefix + " failed: Connection refused");
      }
    }
    for (const Route& route : routes_) {
      const bool prefix = !route.url.empty() && route.url.back() == '*';
      const bool matches =
          prefix ? request.url.rfind(route.url.substr(0, route.url.size() - 1), 0) == 0
                 : request.url == route.url;
      if (route.method == request.method && matches) return route.handler(request);
    }
    http::ClientResponse notFound;
    notFound.status = 404;
    notFound.reason = "Not Found";
    return notFound;
  }

  std::vector<http::ClientRequest> sent;

 private:
  struct Route {
    std::string method;
    std::string url;
    Handler handler;
  };
  std::vector<Route> routes_;
  std::vector<std::string> down_;
  std::mutex mutex_;
};

// A response with a status, a JSON body and its Content-Type.
inline http::ClientResponse jsonResponse(int status, std::string body,
                                         std::string contentType = "application/json") {
  http::ClientResponse r;
  r.status = status;
  r.reason = status == 200 ? "OK" : "";
  r.headers.add("Content-Type", std::move(contentType));
  r.body = std::move(body);
  return r;
}

}  // namespace mes::test
