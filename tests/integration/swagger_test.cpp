// GET /swagger/ over HTTP: the page that lists the OpenAPI documents and everything it loads,
// every swagger/*.yaml byte for byte as application/yaml, validators, 404 for an unknown name,
// no way out of the directory, no token needed, nothing fetched from elsewhere.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "integration/support/gateway_process.h"

using namespace mes::itest;

namespace {

const std::filesystem::path kSwaggerDir = MES_SWAGGER_DIR;

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> documentNames() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(kSwaggerDir)) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

GatewayProcess& gateway() {
  static GatewayProcess gw;
  return gw;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(swagger)

BOOST_AUTO_TEST_CASE(the_page_lists_every_document_and_loads_only_its_own_files) {
  HttpClient c = gateway().client();
  HttpResponse page = c.get("/swagger/");
  BOOST_REQUIRE_EQUAL(page.status, 200);
  BOOST_TEST(page.header("Content-Type") == "text/html; charset=utf-8");
  BOOST_TEST(page.body == readFile(kSwaggerDir / "ui" / "index.html"));
  const std::string policy = page.header("Content-Security-Policy");
  BOOST_TEST(policy.find("default-src 'none'") != std::string::npos, policy);
  BOOST_TEST(policy.find("script-src 'self'") != std::string::npos, policy);
  BOOST_TEST(policy.find("connect-src 'self'") != std::string::npos, policy);
  BOOST_TEST(page.header("X-Content-Type-Options") == "nosniff");

  // Every script, style sheet and icon of the page is served here with its type; none is
  // fetched from another origin.
  const std::regex ref(R"re((?:src|href)="([^"]+)")re");
  std::set<std::string> loaded;
  for (auto it = std::sregex_iterator(page.body.begin(), page.body.end(), ref);
       it != std::sregex_iterator(); ++it) {
    const std::string target = (*it)[1];
    BOOST_TEST(target.find("//") == std::string::npos, "an outside resource: " << target);
    if (target.front() == '?') continue;  // ?api=<name>: the page itself
    loaded.insert(target);
    HttpResponse file = c.get("/swagger/" + target);
    BOOST_TEST(file.status == 200, target);
    BOOST_TEST(!file.body.empty(), target);
    const std::string type = file.header("Content-Type");
    if (target.ends_with(".js")) BOOST_TEST(type == "text/javascript; charset=utf-8", target);
    if (target.ends_with(".css")) BOOST_TEST(type == "text/css; charset=utf-8", target);
    if (target.ends_with(".png")) BOOST_TEST(type == "image/png", target);
  }
  for (const char* asset : {"swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
                            "swagger-initializer.js", "swagger-ui.css"}) {
    BOOST_TEST(loaded.count(asset) == 1, asset);
  }
  // The page and its script name every document of swagger/; the script turns the outside
  // validator off and reads the files from here.
  const std::string script = c.get("/swagger/swagger-initializer.js").body;
  BOOST_TEST(script.find("validatorUrl: null") != std::string::npos);
  for (const std::string& name : documentNames()) {
    BOOST_TEST(loaded.count(name) == 1, name << " is linked from the page");
    const std::string api = name.substr(0, name.size() - 5);
    BOOST_TEST(script.find("name: '" + api + "'") != std::string::npos, api << " is in the script");
  }
}

BOOST_AUTO_TEST_CASE(every_document_is_served_as_it_is_in_the_repository) {
  HttpClient c = gateway().client();
  const std::vector<std::string> names = documentNames();
  BOOST_TEST(names == (std::vector<std::string>{"agenda.yaml", "documents.yaml", "measures.yaml",
                                                "pairing.yaml", "registry.yaml"}));
  for (const std::string& name : names) {
    HttpResponse file = c.get("/swagger/" + name);  // no token
    BOOST_TEST(file.status == 200, name);
    BOOST_TEST(file.header("Content-Type") == "application/yaml", name);
    BOOST_TEST(file.body == readFile(kSwaggerDir / name), name << " byte for byte");
    const std::string etag = file.header("ETag");
    BOOST_TEST(etag.size() > 2, name);
    BOOST_TEST(file.header("Cache-Control") == "no-cache", name);
    HttpResponse again = c.get("/swagger/" + name, {{"If-None-Match", etag}});
    BOOST_TEST(again.status == 304, name);
    BOOST_TEST(again.body.empty(), name);
    BOOST_TEST(again.header("ETag") == etag, name);
    HttpResponse changed = c.get("/swagger/" + name, {{"If-None-Match", "\"something else\""}});
    BOOST_TEST(changed.status == 200, name);
  }
}

BOOST_AUTO_TEST_CASE(the_page_without_its_slash_redirects_with_the_query) {
  HttpResponse r = gateway().client().get("/swagger?api=registry");
  BOOST_TEST(r.status == 301);
  BOOST_TEST(r.header("Location") == "/swagger/?api=registry");
}

BOOST_AUTO_TEST_CASE(unknown_names_and_paths_out_of_the_directory_are_404) {
  HttpClient c = gateway().client();
  HttpResponse unknown = c.get("/swagger/petstore.yaml");
  BOOST_TEST(unknown.status == 404);
  BOOST_TEST(unknown.header("Content-Type") == "text/plain; charset=utf-8");
  BOOST_TEST(unknown.body.find("measures.yaml") != std::string::npos, unknown.body);
  const std::string readme = readFile(kSwaggerDir.parent_path() / "README.md");
  for (const char* target :
       {"/swagger/../README.md", "/swagger/..%2FREADME.md", "/swagger/%2e%2e%2fREADME.md",
        "/swagger/%2e%2e/README.md", "/swagger/..", "/swagger/%2e%2e", "/swagger/ui%2findex.html",
        "/swagger/package.json", "/swagger/ui", "/swagger/.", "/swagger/%00measures.yaml",
        "/swagger/measures.yaml%00", "/swagger/measures.yaml/x"}) {
    HttpResponse r = c.get(target);
    BOOST_TEST(r.status == 404, target << " answered " << r.status);
    BOOST_TEST(r.body.find("# MES Gateway") == std::string::npos, target);
    BOOST_TEST(r.body.find("openapi: 3") == std::string::npos, target);
  }
  HttpResponse post = c.post("/swagger/measures.yaml", "x", "text/plain");
  BOOST_TEST(post.status == 405);
  BOOST_TEST(post.header("Allow") == "GET");
}

BOOST_AUTO_TEST_SUITE_END()
