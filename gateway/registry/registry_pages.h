// The registry's HTML pages for people, under /registry/ (in French, no script, no external
// resource, the security headers of gateway/html.h): an editor's dashboard and submission
// form, a service's page (facts, the actions the visitor may take, evidence upload, history),
// the evaluator's checklist, the commission's decision page (the whole history, criteria with
// their marks and test evidence, the reports with verdict, score and date) and the
// administrators' page (organisations, accounts).
//
// A visitor without a registry session is sent to /registry/login?next=<page>. Every form
// carries the session's CSRF token (field "csrf"): 403 without it, nothing done. A form that
// succeeds answers 303 to the page it came from with ?done=<what>, which shows a confirmation;
// one that fails shows the problems in French with the HTTP status of the refusal (403, 404,
// 409, 422...), and the form again with what was typed where there is one.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "gateway/config.h"
#include "gateway/http/message.h"
#include "gateway/portal_auth.h"
#include "gateway/registry/registry.h"
#include "gateway/router.h"

namespace mes::gateway::registry {

class RegistryPages {
 public:
  // `auth` is the registry's login area. All must outlive the pages.
  RegistryPages(const Config& config, Registry& registry, PortalAuth& auth);

  void registerRoutes(Router& router);

 private:
  struct Visitor {
    Actor actor;
    PortalSession session;
  };
  using Form = std::vector<std::pair<std::string, std::string>>;

  // The logged-in visitor, or the response to send instead (303 to the login page).
  std::variant<Visitor, http::Response> visitor(const http::Request& request,
                                                const RequestContext& context);
  // For a form: the visitor when the CSRF token is right, else the 403 page.
  std::variant<Visitor, http::Response> formVisitor(const http::Request& request,
                                                    const RequestContext& context,
                                                    const Form& form);

  // `handle(visitor)` for a logged-in visitor; `handle(visitor, form)` for a form whose CSRF
  // token is right. Otherwise the login redirect or the 403 page.
  template <typename Handle>
  http::Response onPage(const http::Request& request, const RequestContext& context,
                        Handle&& handle);
  template <typename Handle>
  http::Response onForm(const http::Request& request, const RequestContext& context,
                        Handle&& handle);

  http::Response home(const http::Request& request, RequestContext& context);
  http::Response newService(const http::Request& request, RequestContext& context);
  http::Response createService(const http::Request& request, RequestContext& context);
  http::Response service(const http::Request& request, RequestContext& context);
  http::Response editService(const http::Request& request, RequestContext& context);
  http::Response act(const http::Request& request, RequestContext& context);
  http::Response addEvidence(const http::Request& request, RequestContext& context);
  http::Response evaluation(const http::Request& request, RequestContext& context);
  http::Response saveEvaluation(const http::Request& request, RequestContext& context);
  http::Response decision(const http::Request& request, RequestContext& context);
  http::Response decide(const http::Request& request, RequestContext& context);
  http::Response admin(const http::Request& request, RequestContext& context);
  http::Response createOrganisation(const http::Request& request, RequestContext& context);
  http::Response createAccount(const http::Request& request, RequestContext& context);

  // A page of the registry with its navigation.
  http::Response render(int status, const std::string& title, const std::string& body,
                        const Visitor& visitor) const;
  // The page for a refusal: the problems in French, a link back.
  http::Response problemPage(const Error& error, const Visitor& visitor,
                             const std::string& back) const;
  http::Response seeOther(const std::string& pathAndQuery) const;

  const Config& config_;
  Registry& registry_;
  PortalAuth& auth_;
};

// A problem of the Registry in plain French, for the pages (its stable code and location
// decide the sentence).
std::string problemFr(const Problem& problem);

}  // namespace mes::gateway::registry
