// Streaming routes of the Router (gateway/router.h): the pipeline runs on the request head, an
// allowed body reaches the route chunk by chunk, a refused one never reaches it (its handler is
// not even asked), and every outcome is audited once, as for ordinary routes.
#include "gateway/router.h"

#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "gateway/fhir_response.h"

using namespace mes::gateway;
using mes::Error;
using mes::ErrorKind;
using mes::Result;
using mes::Status;

namespace {

// Refuses a request that carries "X-Deny"; records what it saw.
class TestPolicy final : public AccessPolicy {
 public:
  Status authorize(const mes::http::Request& request, RequestContext& context) override {
    ++calls;
    if (request.headers.has("X-Deny")) {
      return Error::make(ErrorKind::kUnauthorized, "token-missing", "No token.");
    }
    context.patientId = "demo";
    return Status::ok();
  }
  int calls = 0;
};

class TestAuditor final : public RequestAuditor {
 public:
  Status audit(const mes::http::Request&, const RequestContext& context,
               const mes::http::Response& response) override {
    statuses.push_back(response.status);
    resources.push_back(context.auditedResources.empty() ? "" : context.auditedResources.front());
    return Status::ok();
  }
  std::vector<int> statuses;
  std::vector<std::string> resources;
};

// Collects the body; answers 201 with its size, or the error it was finished with.
class CollectingBody final : public RouteBody {
 public:
  explicit CollectingBody(std::string& sink) : sink_(sink) {}
  uint64_t limit() const override { return 10; }
  Status write(std::string_view chunk) override {
    sink_.append(chunk);
    if (sink_.find('!') != std::string::npos) {
      return Error::make(ErrorKind::kInvalid, "bang", "No exclamation marks.");
    }
    return Status::ok();
  }
  mes::http::Response finish(Status received, RequestContext& context) override {
    if (!received) return errorResponse(received.error());
    context.auditedResources = {"Thing/" + std::to_string(sink_.size())};
    mes::http::Response r;
    r.status = 201;
    r.body = sink_;
    return r;
  }

 private:
  std::string& sink_;
};

struct Fixture {
  Fixture()
      : clock(0),
        logger(clock, LogLevel::kError),
        router(logger, policy, [](const Error& e, const RequestContext&) { return errorResponse(e); },
               1 << 20) {
    router.setAuditor(&auditor);
    router.addStreaming("POST", "/upload", Interaction::kCreate, "Thing",
                        [this](const mes::http::Request&, RequestContext&)
                            -> Result<std::unique_ptr<RouteBody>> {
                          ++opened;
                          return std::unique_ptr<RouteBody>(std::make_unique<CollectingBody>(body));
                        });
    router.add("POST", "/plain", Interaction::kCreate, "Thing",
               [](const mes::http::Request&, RequestContext&) { return mes::http::Response{}; });
  }
  mes::http::Request request(const std::string& path, bool deny = false) {
    mes::http::Request r;
    r.method = "POST";
    r.path = path;
    if (deny) r.headers.add("X-Deny", "1");
    return r;
  }

  mes::ManualClock clock;
  Logger logger;
  TestPolicy policy;
  TestAuditor auditor;
  Router router;
  std::string body;
  int opened = 0;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(router_stream)

BOOST_AUTO_TEST_CASE(only_streaming_routes_open_a_stream) {
  Fixture f;
  auto plain = f.request("/plain");
  BOOST_TEST(!f.router.openStream(plain));
  auto unknown = f.request("/nowhere");
  BOOST_TEST(!f.router.openStream(unknown));
  BOOST_TEST(f.policy.calls == 0);
  BOOST_TEST(f.auditor.statuses.empty());
}

BOOST_AUTO_TEST_CASE(an_allowed_body_streams_to_the_route) {
  Fixture f;
  auto head = f.request("/upload");
  auto stream = f.router.openStream(head);
  BOOST_REQUIRE(stream);
  BOOST_TEST(f.policy.calls == 1);  // at head time, before any byte
  BOOST_TEST(f.opened == 1);
  BOOST_TEST(stream->limit() == 10u);
  BOOST_TEST(stream->write("abc").isOk());
  BOOST_TEST(stream->write("def").isOk());
  BOOST_TEST(f.body == "abcdef");
  mes::http::Response r = stream->finish(Status::ok());
  BOOST_TEST(r.status == 201);
  BOOST_TEST(r.body == "abcdef");
  BOOST_TEST(!r.headers.get("X-Request-Id").empty());
  BOOST_TEST(f.auditor.statuses == std::vector<int>{201});
  BOOST_TEST(f.auditor.resources == std::vector<std::string>{"Thing/6"});
}

BOOST_AUTO_TEST_CASE(a_refused_body_never_reaches_the_route) {
  Fixture f;
  auto head = f.request("/upload", true);
  auto stream = f.router.openStream(head);
  BOOST_REQUIRE(stream);
  BOOST_TEST(f.opened == 0);
  BOOST_TEST(!stream->write("abc").isOk());  // the adapter drops the rest
  mes::http::Response r = stream->finish(Status::ok());
  BOOST_TEST(r.status == 401);
  BOOST_TEST(r.closeConnection);
  BOOST_TEST(f.body.empty());
  BOOST_TEST(f.auditor.statuses == std::vector<int>{401});
}

BOOST_AUTO_TEST_CASE(write_errors_and_limits_reach_finish) {
  Fixture f;
  auto head = f.request("/upload");
  auto stream = f.router.openStream(head);
  BOOST_REQUIRE(stream);
  Status bad = stream->write("a!");
  BOOST_REQUIRE(!bad.isOk());
  mes::http::Response r = stream->finish(std::move(bad));
  BOOST_TEST(r.status == 400);
  BOOST_TEST(f.auditor.statuses == std::vector<int>{400});

  // Through handle() (a body the adapter buffered): written in one piece, limit enforced.
  f.body.clear();
  auto small = f.request("/upload");
  small.body = "0123456789";
  BOOST_TEST(f.router.handle(small).status == 201);
  auto large = f.request("/upload");
  large.body = "0123456789A";
  BOOST_TEST(f.router.handle(large).status == 413);
  auto denied = f.request("/upload", true);
  denied.body = "x";
  BOOST_TEST(f.router.handle(denied).status == 401);
  BOOST_TEST(f.auditor.statuses == (std::vector<int>{400, 201, 413, 401}));
}

BOOST_AUTO_TEST_SUITE_END()
