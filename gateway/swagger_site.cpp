#include "gateway/swagger_site.h"

#include <string>

namespace mes::gateway {
namespace {

http::Response plainText(int status, std::string text) {
  http::Response r;
  r.status = status;
  r.headers.set("Content-Type", "text/plain; charset=utf-8");
  r.headers.set("X-Content-Type-Options", "nosniff");
  r.body = std::move(text) + "\n";
  return r;
}

// The page loads its own scripts and style sheet and reads the files of this site, nothing
// else; Swagger UI sets inline styles and shows inline (data:) images.
constexpr const char* kPagePolicy =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

// If-None-Match (RFC 9110 §13.1.2): "*" or a list naming `etag` (weak comparison).
bool notModified(const http::Request& request, std::string_view etag) {
  const std::string& header = request.headers.get("If-None-Match");
  if (header.empty()) return false;
  size_t start = 0;
  while (start <= header.size()) {
    size_t end = header.find(',', start);
    if (end == std::string::npos) end = header.size();
    std::string_view tag(header.data() + start, end - start);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

void SwaggerSite::registerRoutes(Router& router) {
  router.add("GET", "/swagger", Interaction::kPublic, "",
             [this](const http::Request& request, RequestContext&) {
               if (request.path.ends_with("/")) return serve(request, "");
               http::Response r;
               r.status = 301;
               r.headers.set("Location",
                             "/swagger/" + (request.rawQuery.empty() ? std::string()
                                                                     : "?" + request.rawQuery));
               return r;
             });
  router.add("GET", "/swagger/{file}", Interaction::kPublic, "",
             [this](const http::Request& request, RequestContext& context) {
               return serve(request, context.params["file"]);
             });
  // The router's own refusals (404, 405, 413, 503): their message, never the log's detail.
  router.addErrorRenderer("/swagger/", [](const Error& e, const RequestContext&) {
    http::Response r =
        plainText(httpStatusOf(e.kind), e.problems.empty() ? "The request could not be served."
                                                           : e.problems.front().message);
    if (e.kind == ErrorKind::kUnavailable) r.headers.set("Retry-After", "1");
    return r;
  });
}

http::Response SwaggerSite::serve(const http::Request& request, std::string_view name) const {
  const std::string_view wanted = name.empty() ? std::string_view("index.html") : name;
  const StaticFile* file = nullptr;
  for (const StaticFile& f : files_) {
    if (f.name == wanted) file = &f;
  }
  if (file == nullptr) {
    std::string known;
    for (const StaticFile& f : files_) {
      if (f.name.ends_with(".yaml")) known += (known.empty() ? "" : ", ") + std::string(f.name);
    }
    return plainText(404, "There is no file /swagger/" + std::string(name) +
                              ". The OpenAPI documents are: " + known + "; the page is /swagger/.");
  }
  http::Response r;
  r.headers.set("ETag", std::string(file->etag));
  r.headers.set("Cache-Control", "no-cache");
  r.headers.set("X-Content-Type-Options", "nosniff");
  if (notModified(request, file->etag)) {
    r.status = 304;
    return r;
  }
  r.headers.set("Content-Type", std::string(file->contentType));
  if (file->contentType.starts_with("text/html")) {
    r.headers.set("Content-Security-Policy", kPagePolicy);
    r.headers.set("X-Frame-Options", "DENY");
    r.headers.set("Referrer-Policy", "no-referrer");
  }
  r.body = std::string(file->bytes);
  return r;
}

}  // namespace mes::gateway
