#include "gateway/registry/registry_json.h"

#include <algorithm>

#include "fhir/json/json.h"
#include "fhir/types/datetime.h"

namespace mes::gateway::registry {
namespace {

using fhir::Value;

Value str(std::string s) {
  return Value::string(std::move(s));
}
Value strOrNull(const std::string& s) {
  return s.empty() ? Value::null() : str(s);
}
Value instant(int64_t ms) {
  return ms > 0 ? str(fhir::formatInstant(ms)) : Value::null();
}

Value strings(const std::vector<std::string>& items) {
  Value out = Value::array();
  for (const std::string& s : items) out.push(str(s));
  return out;
}

// Reads the members of one JSON object, collecting every mistake.
class ObjectReader {
 public:
  ObjectReader(const Value& value, std::initializer_list<std::string_view> known) : value_(value) {
    if (!value.isObject()) {
      add("invalid-type", "", "The body must be a JSON object.");
      return;
    }
    for (const auto& [name, member] : value.members()) {
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        add("unknown-member", name, "'" + name + "' is not a member this API knows.");
      }
    }
  }

  std::string text(std::string_view name) {
    const Value* v = value_.isObject() ? value_.find(name) : nullptr;
    if (v == nullptr || v->isNull()) return {};
    if (!v->isString()) {
      add("invalid-type", std::string(name), std::string(name) + " must be a string.");
      return {};
    }
    return v->text();
  }

  std::vector<std::string> texts(std::string_view name) {
    const Value* v = value_.isObject() ? value_.find(name) : nullptr;
    if (v == nullptr || v->isNull()) return {};
    if (!v->isArray()) {
      add("invalid-type", std::string(name), std::string(name) + " must be an array of strings.");
      return {};
    }
    std::vector<std::string> out;
    for (size_t i = 0; i < v->items().size(); ++i) {
      const Value& item = v->items()[i];
      if (!item.isString()) {
        add("invalid-type", std::string(name) + "[" + std::to_string(i) + "]",
            std::string(name) + "[" + std::to_string(i) + "] must be a string.");
        continue;
      }
      out.push_back(item.text());
    }
    return out;
  }

  // An object member kept as its JSON text ("" when absent).
  std::string objectText(std::string_view name) {
    const Value* v = value_.isObject() ? value_.find(name) : nullptr;
    if (v == nullptr || v->isNull()) return {};
    if (!v->isObject()) {
      add("invalid-type", std::string(name), std::string(name) + " must be a JSON object.");
      return {};
    }
    return fhir::toJson(*v);
  }

  Status status() const {
    if (problems_.empty()) return Status::ok();
    Error e;
    e.kind = ErrorKind::kInvalid;
    e.problems = problems_;
    return e;
  }

 private:
  void add(std::string code, std::string expression, std::string message) {
    Problem p;
    p.code = std::move(code);
    p.message = std::move(message);
    p.expression = std::move(expression);
    problems_.push_back(std::move(p));
  }

  const Value& value_;
  std::vector<Problem> problems_;
};

}  // namespace

std::string actionPath(Action action) {
  std::string out(actionName(action));
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

std::optional<Action> actionFromPath(std::string_view segment) {
  std::string name(segment);
  if (name.find('_') != std::string::npos) return std::nullopt;
  std::replace(name.begin(), name.end(), '-', '_');
  return parseAction(name);
}

Value entryJson(const store::RegistryEntry& entry, const std::vector<Action>& actions) {
  const store::ServiceRecord& s = entry.service;
  const store::RegistryDetails& d = entry.details;
  Value v = Value::object();
  v.set("client_id", str(s.clientId));
  v.set("name", str(s.name));
  v.set("status", str(s.status));
  v.set("version", Value::number(s.version));
  v.set("description", strOrNull(d.description));
  v.set("category", strOrNull(d.category));
  v.set("website", strOrNull(d.website));
  v.set("contact", strOrNull(d.contact));
  Value editor = Value::object();
  editor.set("legal_name", str(s.editorName));
  editor.set("siret", strOrNull(d.editorSiret));
  editor.set("oid", str(s.editorOid));
  editor.set("organisation_id", strOrNull(d.organisationId));
  v.set("editor", std::move(editor));
  v.set("client_type", str(s.clientType));
  v.set("redirect_uris", strings(s.redirectUris));
  if (!s.jwks.empty()) {
    auto parsed = fhir::parseJson(s.jwks);
    v.set("jwks", parsed ? std::move(*parsed) : Value::null());
  } else {
    v.set("jwks", Value::null());
  }
  v.set("jwks_uri", strOrNull(s.jwksUri));
  v.set("requested_accesses", strings(d.requestedAccesses));
  v.set("granted_accesses", strings(d.grantedAccesses));
  v.set("allowed_scopes", str(s.allowedScopes));
  if (d.decision.empty()) {
    v.set("decision", Value::null());
  } else {
    Value decision = Value::object();
    decision.set("outcome", str(d.decision));
    decision.set("reservations", strings(d.reservations));
    v.set("decision", std::move(decision));
  }
  v.set("evaluation_round", Value::number(d.evaluationRound));
  v.set("created", instant(s.createdMs));
  v.set("updated", instant(s.updatedMs));
  Value allowed = Value::array();
  for (Action a : actions) allowed.push(str(std::string(actionName(a))));
  v.set("allowed_actions", std::move(allowed));
  return v;
}

Value eventJson(const store::RegistryEvent& e) {
  Value v = Value::object();
  v.set("seq", Value::number(e.seq));
  v.set("at", instant(e.recordedMs));
  v.set("action", str(e.action));
  v.set("from_status", strOrNull(e.fromStatus));
  v.set("to_status", str(e.toStatus));
  Value actor = Value::object();
  actor.set("login", str(e.actorLogin));
  actor.set("role", str(e.actorRole));
  v.set("actor", std::move(actor));
  v.set("reason", strOrNull(e.reason));
  if (!e.detail.empty()) {
    auto parsed = fhir::parseJson(e.detail);
    v.set("detail", parsed ? std::move(*parsed) : str(e.detail));
  } else {
    v.set("detail", Value::null());
  }
  return v;
}

Value historyJson(const std::vector<store::RegistryEvent>& history) {
  Value events = Value::array();
  for (const auto& e : history) events.push(eventJson(e));
  Value v = Value::object();
  v.set("events", std::move(events));
  return v;
}

Value markJson(const store::CriterionMark& m) {
  Value v = Value::object();
  v.set("criterion", str(m.criterionId));
  v.set("round", Value::number(m.round));
  v.set("verdict", str(m.verdict));
  v.set("note", strOrNull(m.note));
  v.set("by", str(m.actorLogin));
  v.set("at", instant(m.markedMs));
  return v;
}

Value checklistJson(const ServiceFile& file) {
  Value criteria = Value::array();
  for (const ChecklistItem& item : file.checklist) {
    const Criterion& c = item.criterion;
    Value v = Value::object();
    v.set("id", str(c.id));
    v.set("theme", str(c.theme));
    v.set("required", Value::boolean(c.required));
    v.set("statement_fr", str(c.statementFr));
    v.set("statement_en", str(c.statementEn));
    v.set("mark", item.mark ? markJson(*item.mark) : Value::null());
    Value tests = Value::array();
    for (const TestEvidence& t : item.tests) {
      Value test = Value::object();
      test.set("evidence_id", str(t.evidenceId));
      test.set("test", str(t.test));
      test.set("outcome", str(t.outcome));
      test.set("issued", strOrNull(t.issued));
      tests.push(std::move(test));
    }
    v.set("tests", std::move(tests));
    v.set("evidenced_by_passed_test", Value::boolean(item.evidencedByPassedTest));
    criteria.push(std::move(v));
  }
  Value v = Value::object();
  v.set("round", Value::number(file.entry.details.evaluationRound));
  v.set("criteria", std::move(criteria));
  return v;
}

Value evidenceJson(const EvidenceView& view) {
  const fhir::TestReportSummary& s = view.summary;
  Value v = Value::object();
  v.set("evidence_id", str(view.record.evidenceId));
  v.set("kind", str(view.record.kind));
  v.set("sha256", str(view.record.sha256));
  v.set("uploaded_by", str(view.record.uploadedByLogin));
  v.set("uploaded", instant(view.record.uploadedMs));
  v.set("name", strOrNull(s.name));
  v.set("status", str(s.status));
  v.set("result", strOrNull(s.result));
  v.set("score", s.score.empty() ? Value::null() : Value::numberText(s.score));
  v.set("issued", strOrNull(s.issued));
  v.set("tester", strOrNull(s.tester));
  v.set("test_script", strOrNull(s.testScript));
  Value tests = Value::array();
  for (const fhir::TestReportTest& t : s.tests) {
    Value test = Value::object();
    test.set("name", str(t.name));
    test.set("outcome", str(t.outcome));
    test.set("requirements", strings(t.requirements));
    tests.push(std::move(test));
  }
  v.set("tests", std::move(tests));
  return v;
}

Value organisationJson(const store::EditorOrganisation& o) {
  Value v = Value::object();
  v.set("organisation_id", str(o.organisationId));
  v.set("legal_name", str(o.legalName));
  v.set("siret", str(o.siret));
  v.set("editor_oid", str(o.editorOid));
  v.set("contact", str(o.contact));
  v.set("created", instant(o.createdMs));
  return v;
}

Value accountJson(const store::AccountRecord& a, const std::string& organisationId) {
  Value v = Value::object();
  v.set("account_id", str(a.accountId));
  v.set("login", str(a.login));
  v.set("role", str(a.role));
  v.set("organisation_id", strOrNull(organisationId));
  v.set("created", instant(a.createdMs));
  return v;
}

Value criteriaJson(const CriteriaCatalogue& catalogue) {
  Value themes = Value::array();
  for (const CriteriaTheme& t : catalogue.themes()) {
    Value v = Value::object();
    v.set("id", str(t.id));
    v.set("label_fr", str(t.labelFr));
    v.set("label_en", str(t.labelEn));
    themes.push(std::move(v));
  }
  Value criteria = Value::array();
  for (const Criterion& c : catalogue.criteria()) {
    Value v = Value::object();
    v.set("id", str(c.id));
    v.set("theme", str(c.theme));
    v.set("required", Value::boolean(c.required));
    v.set("statement_fr", str(c.statementFr));
    v.set("statement_en", str(c.statementEn));
    Value evidence = Value::array();
    for (const CriterionEvidence& e : c.evidence) {
      Value item = Value::object();
      item.set("kind", str(e.kind));
      if (e.kind == "conformance-test") {
        item.set("test", str(e.test));
      } else {
        item.set("fr", str(e.fr));
        item.set("en", str(e.en));
      }
      evidence.push(std::move(item));
    }
    v.set("evidence", std::move(evidence));
    criteria.push(std::move(v));
  }
  Value v = Value::object();
  v.set("version", str(catalogue.version()));
  v.set("themes", std::move(themes));
  v.set("criteria", std::move(criteria));
  return v;
}

Result<ServiceDraft> draftFromJson(const Value& body) {
  ObjectReader r(body, {"name", "description", "category", "website", "contact", "client_type",
                        "redirect_uris", "jwks", "jwks_uri", "requested_accesses"});
  ServiceDraft d;
  d.name = r.text("name");
  d.description = r.text("description");
  d.category = r.text("category");
  d.website = r.text("website");
  d.contact = r.text("contact");
  d.clientType = r.text("client_type");
  d.redirectUris = r.texts("redirect_uris");
  d.jwks = r.objectText("jwks");
  d.jwksUri = r.text("jwks_uri");
  d.requestedAccesses = r.texts("requested_accesses");
  MES_RETURN_IF_ERROR(r.status());
  return d;
}

Result<DecisionInput> decisionFromJson(const Value& body) {
  ObjectReader r(body, {"decision", "granted_accesses", "reservations", "reason"});
  DecisionInput d;
  const std::string outcome = r.text("decision");
  d.grantedAccesses = r.texts("granted_accesses");
  d.reservations = r.texts("reservations");
  d.reason = r.text("reason");
  MES_RETURN_IF_ERROR(r.status());
  const std::optional<Decision> parsed = parseDecision(outcome);
  if (!parsed) {
    return Error::make(ErrorKind::kUnprocessable, "decision-invalid",
                       "decision must be favourable, favourable_with_reservations or "
                       "unfavourable.",
                       "decision");
  }
  d.decision = *parsed;
  return d;
}

Result<MarkInput> markFromJson(const Value& body, const std::string& criterionId) {
  ObjectReader r(body, {"verdict", "note"});
  MarkInput m;
  m.criterionId = criterionId;
  m.verdict = r.text("verdict");
  m.note = r.text("note");
  MES_RETURN_IF_ERROR(r.status());
  return m;
}

Result<OrganisationInput> organisationFromJson(const Value& body) {
  ObjectReader r(body, {"legal_name", "siret", "editor_oid", "contact"});
  OrganisationInput o;
  o.legalName = r.text("legal_name");
  o.siret = r.text("siret");
  o.editorOid = r.text("editor_oid");
  o.contact = r.text("contact");
  MES_RETURN_IF_ERROR(r.status());
  return o;
}

Result<AccountInput> accountFromJson(const Value& body) {
  ObjectReader r(body, {"login", "password", "role", "organisation_id"});
  AccountInput a;
  a.login = r.text("login");
  a.password = r.text("password");
  a.role = r.text("role");
  a.organisationId = r.text("organisation_id");
  MES_RETURN_IF_ERROR(r.status());
  return a;
}

Result<std::string> reasonFromJson(const Value& body) {
  if (body.isNull()) return std::string();
  ObjectReader r(body, {"reason"});
  std::string reason = r.text("reason");
  MES_RETURN_IF_ERROR(r.status());
  return reason;
}

}  // namespace mes::gateway::registry
