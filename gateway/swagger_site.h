// GET /swagger/ (SPEC §0): the OpenAPI documents of swagger/ and a page to read them.
//
//   GET /swagger/          the page: Swagger UI listing the APIs (pairing, measures, documents,
//                          agenda, registry), one chosen with ?api=<name>; it fetches nothing
//                          but the files below (Content-Security-Policy: 'self' only)
//   GET /swagger           301 to /swagger/ (the page's links are relative)
//   GET /swagger/<file>    one file: <api>.yaml (application/yaml) or an asset of the page
//                          (script, style sheet, icon, Swagger UI's licence); 404 otherwise
//
// The files are built into the binary (gateway/CMakeLists.txt, swaggerBuiltInFiles()), so a
// gateway always serves the contract it implements, from any directory, offline. Every answer
// carries a strong ETag (from the file's SHA-256) and Cache-Control: no-cache; If-None-Match
// with that tag gets 304. No token: the routes are public (Interaction::kPublic, so the router
// does not audit them, as for /fhir/metadata). A name is looked up in the fixed list: no path
// reaches the file system. Errors under /swagger (the router's 404, 405, 413) are plain text.
#pragma once

#include <span>
#include <string_view>

#include "gateway/http/message.h"
#include "gateway/router.h"

namespace mes::gateway {

// A file served as it is.
struct StaticFile {
  std::string_view name;         // its name under /swagger/, e.g. "measures.yaml"
  std::string_view contentType;  // e.g. "application/yaml"
  std::string_view etag;         // quoted strong validator, e.g. "\"3f2a…\""
  std::string_view bytes;
};

// swagger/*.yaml, swagger/ui/index.html and swagger-initializer.js, and Swagger UI's files
// (swagger/ui/node_modules/swagger-ui-dist), as built into this binary. Static storage.
std::span<const StaticFile> swaggerBuiltInFiles();

class SwaggerSite {
 public:
  // `files` must hold "index.html" (the page) and outlive the site.
  explicit SwaggerSite(std::span<const StaticFile> files) : files_(files) {}
  void registerRoutes(Router& router);

  // The answer to GET /swagger/<name> (If-None-Match honoured); `name` empty = the page.
  http::Response serve(const http::Request& request, std::string_view name) const;

 private:
  std::span<const StaticFile> files_;
};

}  // namespace mes::gateway
