#include "gateway/http/http_client.h"

#include <cpprest/http_client.h>

#include <map>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

namespace mes::http {

namespace wh = web::http;
namespace wc = web::http::client;

namespace {

bool isToken(std::string_view method) {
  if (method.empty()) return false;
  for (char c : method) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

Error invalidUrl(const std::string& why) {
  return Error::make(ErrorKind::kInvalid, "url-invalid", why);
}

bool isTimeout(const std::error_code& code) {
  return code == std::errc::timed_out || code.value() == ETIMEDOUT;
}

class CppRestHttpClient final : public HttpClient {
 public:
  explicit CppRestHttpClient(ClientOptions options) : options_(options) {}

  Result<ClientResponse> send(const ClientRequest& request) override {
    if (!isToken(request.method)) return invalidUrl("The method is not an HTTP token.");
    web::uri uri;
    try {
      uri = web::uri(request.url);
    } catch (const std::exception&) {
      return invalidUrl("Not a valid URL: " + request.url);
    }
    if ((uri.scheme() != "http" && uri.scheme() != "https") || uri.host().empty()) {
      return invalidUrl("Not an absolute http or https URL: " + request.url);
    }
    try {
      wc::http_client& client = clientFor(uri);
      wh::http_request out(request.method);
      out.set_request_uri(uri.resource());
      std::string contentType;
      for (const auto& [name, value] : request.headers.all()) {
        if (equalsIgnoreCase(name, "Content-Type")) {
          contentType = value;
        } else {
          out.headers().add(name, value);
        }
      }
      const bool bodyMethod =
          request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
      if (!request.body.empty() || bodyMethod || !contentType.empty()) {
        out.set_body(request.body,
                     contentType.empty() ? std::string("application/octet-stream") : contentType);
      }
      wh::http_response in = client.request(out).get();
      ClientResponse response;
      response.status = in.status_code();
      response.reason = in.reason_phrase();
      for (const auto& [name, value] : in.headers()) response.headers.add(name, value);
      std::vector<unsigned char> bytes = in.extract_vector().get();
      response.body.assign(bytes.begin(), bytes.end());
      return response;
    } catch (const wh::http_exception& e) {
      if (isTimeout(e.error_code())) {
        return Error::make(ErrorKind::kUnavailable, "http-timeout",
                           "No complete answer from " + origin(uri) + " within " +
                               std::to_string(options_.timeout.count()) + " ms.");
      }
      return Error::make(ErrorKind::kUnavailable, "http-unreachable",
                         "The exchange with " + origin(uri) + " failed: " + e.what());
    } catch (const std::exception& e) {
      return Error::make(ErrorKind::kUnavailable, "http-unreachable",
                         "The exchange with " + origin(uri) + " failed: " + e.what());
    }
  }

 private:
  static std::string origin(const web::uri& uri) {
    std::string out = uri.scheme() + "://" + uri.host();
    if (uri.port() > 0) out += ":" + std::to_string(uri.port());
    return out;
  }

  wc::http_client& clientFor(const web::uri& uri) {
    const std::string key = origin(uri);
    std::lock_guard lock(mutex_);
    auto it = clients_.find(key);
    if (it == clients_.end()) {
      wc::http_client_config config;
      config.set_timeout(options_.timeout);
      config.set_max_redirects(0);
      config.set_validate_certificates(options_.verifyTls);
      it = clients_.emplace(key, std::make_unique<wc::http_client>(web::uri(key), config)).first;
    }
    return *it->second;
  }

  ClientOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<wc::http_client>> clients_;
};

}  // namespace

std::unique_ptr<HttpClient> makeHttpClient(const ClientOptions& options) {
  return std::make_unique<CppRestHttpClient>(options);
}

}  // namespace mes::http
