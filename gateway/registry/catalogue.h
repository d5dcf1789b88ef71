// GET /catalogue (SPEC §0, §5): the public list of referenced services, what a patient browses
// before pairing an app. Only `referenced` services are listed (a suspended or withdrawn one
// disappears at once); for each: name, editor, category, description, website and the data it
// exchanges with Mon espace santé, as the MES access families the commission granted, in plain
// French (oauth/api_access.h), derived from the service's allowedScopes.
//
// One URL, two forms: HTML when the Accept header asks for text/html (a browser), JSON
// otherwise (curl's */*, application/json); Vary: Accept. ?category=<id> keeps one category
// (400 "invalid-parameter" for an unknown one in JSON, an error page in HTML). No login.
#pragma once

#include "gateway/http/message.h"
#include "gateway/registry/registry.h"
#include "gateway/router.h"

namespace mes::gateway::registry {

class Catalogue {
 public:
  explicit Catalogue(Registry& registry) : registry_(registry) {}
  void registerRoutes(Router& router);

 private:
  http::Response list(const http::Request& request, RequestContext& context);
  Registry& registry_;
};

}  // namespace mes::gateway::registry
