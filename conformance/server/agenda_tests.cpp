// The Agenda API (SPEC §4): create, conditional update, read and search. Appointments are never
// deleted (SPEC: apps cancel them), so each test uses identifiers of its own run and cancels
// what it booked.
#include <algorithm>

#include "conformance/server/checks.h"
#include "conformance/server/plan_parts.h"
#include "conformance/server/samples.h"
#include "fhir/json/json.h"
#include "fhir/profiles/appointment_profile.h"

namespace mes::conformance::server {

namespace {

using fhir::Value;

constexpr const char* kIdentifierSystem = "urn:oid:1.2.250.1.999.1.5";

const std::string& patientOf(ServerContext& ctx, TestScope& t) {
  return ctx.session(t).patientId;
}

// Start and end of an hour of this run's day.
std::pair<std::string, std::string> slot(ServerContext& ctx, int hour) {
  const int64_t at = runDay(ctx.runId()) + int64_t{hour} * 3'600'000;
  return {dateTimeOf(at), dateTimeOf(at + 1'800'000)};
}

Value booking(ServerContext& ctx, TestScope& t, const std::string& name, int hour,
              const std::string& status = "booked") {
  const auto [start, end] = slot(ctx, hour);
  Value a = appointment(patientOf(ctx, t), kIdentifierSystem, "rdv-" + ctx.runId() + "-" + name,
                        start, end, status);
  Result<fhir::ValidatedAppointment> checked = fhir::validateAppointment(a);
  if (!checked) {
    t.error("The harness's appointment sample is not valid (" +
            checked.error().problems.front().code +
            "): a bug of mes-conformance, not of the gateway.");
  }
  return a;
}

// Cancels the appointment at the end (apps cancel, they do not delete).
void cancelAtEnd(ServerContext& ctx, TestScope& t, const std::string& id) {
  t.atEnd([&ctx, &t, id] {
    const http::ClientResponse current = ctx.fhir(t, "GET", "/Appointment/" + id);
    Result<Value> json = fhir::parseJson(current.body);
    if (current.status != 200 || !json) return;
    json->set("status", Value::string("cancelled"));
    ctx.fhir(t, "PUT", "/Appointment/" + id, fhir::toJson(*json));
  });
}

std::string create(ServerContext& ctx, TestScope& t, const Value& a, const std::string& why) {
  const http::ClientResponse r = ctx.fhir(t, "POST", "/Appointment", fhir::toJson(a));
  expectStatus(t, r, 201, why);
  const std::string id = stringAt(expectResource(t, r, "Appointment"), "id");
  t.expect(!id.empty(), "the appointment's id", "none");
  cancelAtEnd(ctx, t, id);
  return id;
}

void createAndRead(ServerContext& ctx, TestScope& t) {
  const Value a = booking(ctx, t, "create", 9);
  const std::string id = create(ctx, t, a, "for a booked appointment of the patient");
  const http::ClientResponse read = ctx.fhir(t, "GET", "/Appointment/" + id);
  expectStatus(t, read, 200, "for the appointment read back");
  const Value stored = expectResource(t, read, "Appointment");
  t.expect(stringAt(stored, "status") == "booked", "status booked", stringAt(stored, "status"));
  Result<fhir::DateTime> sent = fhir::parseDateTime(stringAt(a, "start"));
  Result<fhir::DateTime> got = fhir::parseDateTime(stringAt(stored, "start"));
  t.expect(sent && got && sent->lowMs == got->lowMs, "the same start " + stringAt(a, "start"),
           stringAt(stored, "start"));
}

void periodInvalid(ServerContext& ctx, TestScope& t) {
  Value a = booking(ctx, t, "reversed", 10);
  const std::string start = stringAt(a, "start");
  a.set("start", Value::string(stringAt(a, "end")));
  a.set("end", Value::string(start));
  const http::ClientResponse r = ctx.fhir(t, "POST", "/Appointment", fhir::toJson(a));
  if (r.status == 201) cancelAtEnd(ctx, t, stringAt(expectJson(t, r, "the appointment"), "id"));
  expectOutcome(t, r, 422, "appointment-period-invalid",
                "for an appointment that ends before it starts");
}

void conditionalUpdate(ServerContext& ctx, TestScope& t) {
  Value a = booking(ctx, t, "sync", 11);
  const std::string query = "/Appointment?identifier=" + encode(std::string(kIdentifierSystem) +
                                                                "|rdv-" + ctx.runId() + "-sync");
  const http::ClientResponse first = ctx.fhir(t, "PUT", query, fhir::toJson(a));
  expectStatus(t, first, 201, "for the first conditional update (no match: created)");
  const std::string id = stringAt(expectResource(t, first, "Appointment"), "id");
  cancelAtEnd(ctx, t, id);
  a.set("description", Value::string("Consultation déplacée (mes-conformance)"));
  const http::ClientResponse second = ctx.fhir(t, "PUT", query, fhir::toJson(a));
  expectStatus(t, second, 200, "for the same conditional update again (one match: replaced)");
  const Value replaced = expectResource(t, second, "Appointment");
  t.expect(stringAt(replaced, "id") == id, "the same appointment " + id, stringAt(replaced, "id"));
  t.expect(stringAt(replaced, "description") == "Consultation déplacée (mes-conformance)",
           "the new description", stringAt(replaced, "description"));
}

void search(ServerContext& ctx, TestScope& t) {
  const std::string booked =
      create(ctx, t, booking(ctx, t, "search-booked", 13), "for a booked appointment");
  const std::string proposed = create(ctx, t, booking(ctx, t, "search-proposed", 15, "proposed"),
                                      "for a proposed appointment");
  const int64_t day = runDay(ctx.runId());
  // The earlier tests' appointments of the day are cancelled by now: status keeps them out.
  const std::string range = "&date=ge" + dateTimeOf(day).substr(0, 10) + "&date=lt" +
                            dateTimeOf(day + 86'400'000).substr(0, 10) + "&status=booked,proposed";
  const auto ids = [&](const std::string& query, const std::string& why) {
    const http::ClientResponse r =
        ctx.fhir(t, "GET", "/Appointment?patient=" + encode(patientOf(ctx, t)) + query);
    expectStatus(t, r, 200, why);
    std::vector<std::string> out;
    const Value bundle = expectResource(t, r, "Bundle");
    for (const Value* a : bundleResources(bundle, "Appointment")) out.push_back(stringAt(*a, "id"));
    std::sort(out.begin(), out.end());
    return out;
  };
  const auto listed = [](const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
    return "[" + out + "]";
  };
  std::vector<std::string> both = {booked, proposed};
  std::sort(both.begin(), both.end());
  const std::vector<std::string> day_ = ids(range, "for the search by patient, date and status");
  t.expect(day_ == both, "both appointments of the day " + listed(both), listed(day_));
  const std::vector<std::string> bookedOnly =
      ids("&date=ge" + dateTimeOf(day).substr(0, 10) + "&date=lt" +
              dateTimeOf(day + 86'400'000).substr(0, 10) + "&status=booked",
          "for the search by date and status=booked");
  t.expect(bookedOnly == std::vector<std::string>{booked}, "only the booked one " + booked,
           listed(bookedOnly));
  const std::vector<std::string> byIdentifier =
      ids("&identifier=" +
              encode(std::string(kIdentifierSystem) + "|rdv-" + ctx.runId() + "-search-proposed"),
          "for the search by identifier");
  t.expect(byIdentifier == std::vector<std::string>{proposed},
           "only the proposed one " + proposed + " by its identifier", listed(byIdentifier));
}

void otherPatient(ServerContext& ctx, TestScope& t) {
  if (ctx.target().other.id.empty()) {
    t.skip(
        "This test needs a second patient's id (--other-patient-id, or other_patient in --seed).");
  }
  const auto [start, end] = slot(ctx, 16);
  const Value a = appointment(ctx.target().other.id, kIdentifierSystem,
                              "rdv-" + ctx.runId() + "-other", start, end);
  const http::ClientResponse r = ctx.fhir(t, "POST", "/Appointment", fhir::toJson(a));
  if (r.status == 201) cancelAtEnd(ctx, t, stringAt(expectJson(t, r, "the appointment"), "id"));
  expectOutcome(t, r, 403, "patient-mismatch", "for an appointment of another patient");
}

}  // namespace

void addAgendaTests(Plan& plan, ServerContext& ctx) {
  add(plan, "server.appointment-create", "An appointment is booked and read back",
      "POST /fhir/Appointment (booked, start before end, the patient as participant): 201; read "
      "back with the same status and start.",
      {"GW-AGD-01", "GW-AGD-03"}, [&ctx](TestScope& t) { createAndRead(ctx, t); });
  add(plan, "server.appointment-period-invalid",
      "An appointment ending before it starts is refused",
      "start after end: 422 appointment-period-invalid.", {"GW-AGD-01"},
      [&ctx](TestScope& t) { periodInvalid(ctx, t); });
  add(plan, "server.appointment-conditional-update", "The conditional update syncs one appointment",
      "PUT /fhir/Appointment?identifier=<system>|<value>: 201 the first time, 200 with the same id "
      "and the new description the second.",
      {"GW-AGD-02"}, [&ctx](TestScope& t) { conditionalUpdate(ctx, t); });
  add(plan, "server.appointment-search", "Appointments are searched by date, status and identifier",
      "A booked and a proposed appointment of one day: date range finds both, status=booked the "
      "first, identifier the second.",
      {"GW-AGD-03"}, [&ctx](TestScope& t) { search(ctx, t); });
  add(plan, "server.appointment-other-patient", "An appointment for another patient is refused",
      "The second patient as participant, with the first patient's token: 403 patient-mismatch.",
      {"GW-SEC-04"}, [&ctx](TestScope& t) { otherPatient(ctx, t); });
}

}  // namespace mes::conformance::server
