// The /fhir audit step (gateway/request_audit.h): the AuditRecord built for each interaction,
// allowed or refused, and the "first access by a service" notification over a real trail.
#include "gateway/request_audit.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <memory>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "connectors/sqlite/sqlite_audit_log.h"
#include "connectors/sqlite/sqlite_database.h"
#include "connectors/temp_dir.h"
#include "core/clock.h"
#include "fhir/json/json.h"
#include "gateway/fhir_response.h"

using namespace mes::gateway;
namespace bdata = boost::unit_test::data;
using mes::Error;
using mes::ErrorKind;

namespace {

constexpr int64_t kT0 = 1'700'000'000'123;

mes::http::Request request(const std::string& rawQuery = "") {
  mes::http::Request r;
  r.method = "GET";
  r.path = "/fhir/Observation";
  r.rawQuery = rawQuery;
  r.query = mes::http::parseQuery(rawQuery);
  r.remoteAddress = "192.0.2.7";
  return r;
}

// What TokenAccessPolicy leaves in the context of Tensio+'s request for pat-1.
RequestContext context(Interaction interaction, const std::string& type = "Observation") {
  RequestContext c;
  c.requestId = "req-42";
  c.interaction = interaction;
  c.resourceType = type;
  c.patientId = "pat-1";
  c.clientId = "tensio";
  c.serviceName = "Tensio+";
  c.source = "urn:oid:1.2.250.1.999.1#tensio";
  c.pairingId = "consent-1";
  return c;
}

mes::http::Response ok(int status = 200) {
  mes::http::Response r;
  r.status = status;
  r.body = R"({"resourceType":"Bundle","type":"searchset","total":0})";
  return r;
}

// A response as the pipeline renders a refusal.
mes::http::Response refusal(ErrorKind kind, const std::string& code) {
  return errorResponse(Error::make(kind, code, "Refused for the test."));
}

class RecordingOutbox final : public mes::outbox::Outbox {
 public:
  mes::Result<std::string> send(const mes::outbox::Notification& notification) override {
    if (failing) return Error::make(ErrorKind::kUnavailable, "outbox", "down");
    sent.push_back(notification);
    return "msg-" + std::to_string(sent.size());
  }
  std::vector<mes::outbox::Notification> sent;
  bool failing = false;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(request_audit)

struct ActionCase {
  Interaction interaction;
  const char* action;
  const char* subtype;
};
std::ostream& operator<<(std::ostream& out, const ActionCase& c) {
  return out << interactionName(c.interaction);
}

const ActionCase kActions[] = {
    {Interaction::kRead, "R", "read"},
    {Interaction::kVread, "R", "vread"},
    {Interaction::kHistory, "R", "history-instance"},
    {Interaction::kSearch, "E", "search-type"},
    {Interaction::kCreate, "C", "create"},
    {Interaction::kUpdate, "U", "update"},
    {Interaction::kDelete, "D", "delete"},
    {Interaction::kTransaction, "E", "transaction"},
    {Interaction::kPublic, "E", "operation"},
};

BOOST_DATA_TEST_CASE(each_interaction_has_its_action_and_subtype, bdata::make(kActions), a) {
  const AuditRecord r =
      FhirRequestAuditor::recordFor(request(), context(a.interaction), ok(), kT0);
  BOOST_TEST(r.category == kAuditRest);
  BOOST_TEST(r.action == a.action);
  BOOST_TEST(r.subtype == a.subtype);
  // A record the trail accepts.
  const mes::Status valid = checkAuditRecord(r);
  BOOST_TEST(valid.isOk(), (valid ? "" : valid.error().detail));
}

BOOST_AUTO_TEST_CASE(a_success_names_who_did_what_from_where) {
  RequestContext c = context(Interaction::kRead);
  c.params = {{"id", "obs-1"}};
  const AuditRecord r = FhirRequestAuditor::recordFor(request(), c, ok(), kT0);
  BOOST_TEST(r.recordedMs == kT0);
  BOOST_TEST(r.success);
  BOOST_TEST(r.httpStatus == 200);
  BOOST_TEST(r.outcomeCode.empty());
  BOOST_TEST(r.patientId == "pat-1");
  BOOST_TEST(r.clientId == "tensio");
  BOOST_TEST(r.serviceName == "Tensio+");
  BOOST_TEST(r.serviceOid == "urn:oid:1.2.250.1.999.1");
  BOOST_TEST(r.resource == "Observation/obs-1");
  BOOST_TEST(r.query.empty());
  BOOST_TEST(r.sourceAddress == "192.0.2.7");
  BOOST_TEST(r.requestId == "req-42");
}

struct RefusalCase {
  ErrorKind kind;
  const char* code;
  int status;
};
std::ostream& operator<<(std::ostream& out, const RefusalCase& c) { return out << c.code; }

const RefusalCase kRefusals[] = {
    {ErrorKind::kUnauthorized, "token-expired", 401},
    {ErrorKind::kUnauthorized, "pairing-revoked", 401},
    {ErrorKind::kForbidden, "consent-missing", 403},
    {ErrorKind::kForbidden, "patient-mismatch", 403},
    {ErrorKind::kForbidden, "not-author", 403},
    {ErrorKind::kNotFound, "not-found", 404},
    {ErrorKind::kUnavailable, "audit-unavailable", 503},
};

BOOST_DATA_TEST_CASE(a_refusal_keeps_the_outcome_code_of_its_body, bdata::make(kRefusals), f) {
  const mes::http::Response response = refusal(f.kind, f.code);
  BOOST_REQUIRE(response.status == f.status);
  const AuditRecord r = FhirRequestAuditor::recordFor(request("patient=pat-1"),
                                                      context(Interaction::kSearch), response, kT0);
  BOOST_TEST(!r.success);
  BOOST_TEST(r.httpStatus == f.status);
  BOOST_TEST(r.outcomeCode == f.code);
}

BOOST_AUTO_TEST_CASE(a_refusal_without_an_operation_outcome_has_no_code) {
  for (const std::string& body : {std::string(), std::string("<html>Bad gateway</html>"),
                                 std::string(R"({"resourceType":"OperationOutcome","issue":[]})"),
                                 std::string(R"({"issue":[{"details":{"text":"no coding"}}]})"),
                                 std::string(R"({"issue":[{"details":{"coding":[{"code":7}]}}]})"),
                                 std::string(R"([1,2,3])")}) {
    BOOST_TEST_CONTEXT("body " << body) {
      mes::http::Response response;
      response.status = 400;
      response.body = body;
      const AuditRecord r = FhirRequestAuditor::recordFor(
          request(), context(Interaction::kRead), response, kT0);
      BOOST_TEST(!r.success);
      BOOST_TEST(r.httpStatus == 400);
      BOOST_TEST(r.outcomeCode.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_success_does_not_read_its_body_for_a_code) {
  // A 2xx body that happens to look like an OperationOutcome (e.g. a returned resource).
  mes::http::Response response = refusal(ErrorKind::kForbidden, "consent-missing");
  response.status = 200;
  const AuditRecord r =
      FhirRequestAuditor::recordFor(request(), context(Interaction::kRead), response, kT0);
  BOOST_TEST(r.success);
  BOOST_TEST(r.outcomeCode.empty());
  // 3xx is not a refusal either; 400 is.
  BOOST_TEST(FhirRequestAuditor::recordFor(request(), context(Interaction::kRead), ok(304), kT0)
                 .success);
  BOOST_TEST(!FhirRequestAuditor::recordFor(request(), context(Interaction::kRead), ok(400), kT0)
                  .success);
}

BOOST_AUTO_TEST_CASE(a_create_names_what_it_made_from_location) {
  mes::http::Response created = ok(201);
  created.headers.set("Location", "https://mes.example.org/fhir/Observation/new-7/_history/1");
  const AuditRecord r = FhirRequestAuditor::recordFor(request(), context(Interaction::kCreate),
                                                      created, kT0);
  BOOST_TEST(r.resource == "Observation/new-7");

  // Without a history suffix.
  created.headers.set("Location", "https://mes.example.org/fhir/Observation/new-8");
  BOOST_TEST(FhirRequestAuditor::recordFor(request(), context(Interaction::kCreate), created, kT0)
                 .resource == "Observation/new-8");

  // A Location of another type is not taken for this one.
  created.headers.set("Location", "https://mes.example.org/fhir/Device/dev-1/_history/1");
  BOOST_TEST(FhirRequestAuditor::recordFor(request(), context(Interaction::kCreate), created, kT0)
                 .resource == "Observation");

  // A refused create names the type only.
  BOOST_TEST(FhirRequestAuditor::recordFor(request(), context(Interaction::kCreate),
                                           refusal(ErrorKind::kForbidden, "consent-missing"), kT0)
                 .resource == "Observation");
}

BOOST_AUTO_TEST_CASE(the_handlers_audited_resource_wins) {
  RequestContext c = context(Interaction::kUpdate);
  c.params = {{"id", "obs-1"}};
  c.auditedResources = {"Observation/obs-1/_history/3"};
  mes::http::Response response = ok();
  response.headers.set("Location", "https://mes.example.org/fhir/Observation/other/_history/3");
  BOOST_TEST(FhirRequestAuditor::recordFor(request(), c, response, kT0).resource ==
             "Observation/obs-1/_history/3");

  RequestContext tx = context(Interaction::kTransaction, "");
  tx.auditedResources = {"Observation/obs-9"};
  BOOST_TEST(FhirRequestAuditor::recordFor(request(), tx, ok(), kT0).resource ==
             "Observation/obs-9");
}

BOOST_AUTO_TEST_CASE(only_searches_keep_their_query) {
  const std::string q = "patient=pat-1&code=http://loinc.org|85354-9&_sort=-date";
  BOOST_TEST(FhirRequestAuditor::recordFor(request(q), context(Interaction::kSearch), ok(), kT0)
                 .query == q);
  BOOST_TEST(FhirRequestAuditor::recordFor(request(q), context(Interaction::kSearch), ok(), kT0)
                 .resource == "Observation");
  for (Interaction i : {Interaction::kRead, Interaction::kVread, Interaction::kHistory,
                        Interaction::kCreate, Interaction::kUpdate, Interaction::kDelete,
                        Interaction::kTransaction}) {
    BOOST_TEST_CONTEXT(interactionName(i)) {
      BOOST_TEST(FhirRequestAuditor::recordFor(request("_format=json"), context(i), ok(), kT0)
                     .query.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(the_service_oid_is_the_source_before_the_fragment) {
  RequestContext c = context(Interaction::kRead);
  BOOST_TEST(FhirRequestAuditor::recordFor(request(), c, ok(), kT0).serviceOid ==
             "urn:oid:1.2.250.1.999.1");
  c.source = "urn:oid:1.2.3#a#b";
  BOOST_TEST(FhirRequestAuditor::recordFor(request(), c, ok(), kT0).serviceOid == "urn:oid:1.2.3");
  // An unauthenticated refusal: no service at all.
  RequestContext anonymous;
  anonymous.requestId = "req-1";
  anonymous.interaction = Interaction::kRead;
  anonymous.resourceType = "Observation";
  const AuditRecord r = FhirRequestAuditor::recordFor(
      request(), anonymous, refusal(ErrorKind::kUnauthorized, "token-missing"), kT0);
  BOOST_TEST(r.serviceOid.empty());
  BOOST_TEST(r.clientId.empty());
  BOOST_TEST(r.patientId.empty());
  BOOST_TEST(r.outcomeCode == "token-missing");
  BOOST_TEST(checkAuditRecord(r).isOk());
}

// --- audit(): the trail and the first-access notification --------------------------------------

struct Trail {
  Trail() : clock(kT0), logSink(std::fopen("/dev/null", "w")), logger(clock, LogLevel::kError, logSink) {
    auto db = mes::store::SqliteDatabase::open({.path = dir.file("store.db")}, clock);
    if (!db) throw std::runtime_error("cannot open the store: " + db.error().detail);
    auto opened = mes::store::SqliteAuditLog::open(std::move(db).value());
    if (!opened) throw std::runtime_error("cannot open the audit log: " + opened.error().detail);
    log = std::move(opened).value();
    trail = std::make_unique<AuditTrail>(*log, clock);
    auditor = std::make_unique<FhirRequestAuditor>(*trail, outbox, clock, logger);
  }
  ~Trail() {
    auditor.reset();
    trail.reset();
    if (logSink != nullptr) std::fclose(logSink);
  }

  mes::test::TempDir dir{"mes-request-audit"};
  mes::ManualClock clock;
  std::FILE* logSink;
  Logger logger;
  RecordingOutbox outbox;
  std::shared_ptr<mes::store::SqliteAuditLog> log;
  std::unique_ptr<AuditTrail> trail;
  std::unique_ptr<FhirRequestAuditor> auditor;
};

BOOST_AUTO_TEST_CASE(audit_commits_the_event_and_tells_the_patient_of_a_first_access_once) {
  Trail t;
  RequestContext c = context(Interaction::kSearch);
  // A refusal is traced but is no "first access".
  BOOST_REQUIRE(t.auditor
                    ->audit(request("patient=pat-1"), c,
                            refusal(ErrorKind::kForbidden, "consent-missing"))
                    .isOk());
  BOOST_TEST(t.outbox.sent.empty());

  BOOST_REQUIRE(t.auditor->audit(request("patient=pat-1"), c, ok()).isOk());
  BOOST_REQUIRE(t.outbox.sent.size() == 1u);
  const mes::outbox::Notification& n = t.outbox.sent.front();
  BOOST_TEST(n.recipient == "pat-1");
  BOOST_TEST(n.kind == "first-access");
  BOOST_TEST(n.subject.find("Tensio+") != std::string::npos);
  BOOST_TEST(n.body.find("Tensio+") != std::string::npos);
  BOOST_REQUIRE(n.data.size() == 1u);
  BOOST_TEST(n.data.front().first == "client_id");
  BOOST_TEST(n.data.front().second == "tensio");

  t.clock.advance(1000);
  BOOST_REQUIRE(t.auditor->audit(request("patient=pat-1"), c, ok()).isOk());
  BOOST_TEST(t.outbox.sent.size() == 1u);  // not twice

  // Both events are in the patient's activity, newest first, with the refusal's code.
  auto activity = t.trail->activity("pat-1", 10, 0);
  BOOST_REQUIRE(activity.isOk());
  BOOST_REQUIRE(activity->entries.size() == 3u);
  BOOST_TEST(activity->entries.front().record.recordedMs == kT0 + 1000);
  BOOST_TEST(activity->entries.back().record.outcomeCode == "consent-missing");
  BOOST_TEST(activity->entries.back().record.query == "patient=pat-1");
  BOOST_TEST(activity->entries.back().record.serviceOid == "urn:oid:1.2.250.1.999.1");
}

BOOST_AUTO_TEST_CASE(every_resource_a_handler_names_is_an_event_of_the_request) {
  Trail t;
  RequestContext c = context(Interaction::kTransaction, "");
  c.auditedResources = {"DocumentReference/d1", "DocumentReference/d2", "DocumentReference/d3"};
  BOOST_REQUIRE(t.auditor->audit(request(), c, ok()).isOk());
  auto activity = t.trail->activity("pat-1", 10, 0);
  BOOST_REQUIRE(activity.isOk());
  std::set<std::string> resources;
  for (const auto& entry : activity->entries) {
    resources.insert(entry.record.resource);
    BOOST_TEST(entry.record.requestId == c.requestId);
    BOOST_TEST(entry.record.subtype == "transaction");
  }
  BOOST_TEST(activity->entries.size() == 3u);
  BOOST_TEST((resources == std::set<std::string>{"DocumentReference/d1", "DocumentReference/d2",
                                                 "DocumentReference/d3"}));
  BOOST_TEST(t.outbox.sent.size() == 1u);  // one first access, not three
}

BOOST_AUTO_TEST_CASE(a_lost_notification_does_not_fail_the_request) {
  Trail t;
  t.outbox.failing = true;
  BOOST_TEST(t.auditor->audit(request(), context(Interaction::kRead), ok()).isOk());
  auto activity = t.trail->activity("pat-1", 10, 0);
  BOOST_REQUIRE(activity.isOk());
  BOOST_TEST(activity->entries.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
