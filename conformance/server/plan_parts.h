// The server plan's areas, one file each; server_plan.cpp puts them in run order.
#pragma once

#include <vector>

#include "conformance/runner.h"
#include "conformance/server/server_context.h"

namespace mes::conformance::server {

using Plan = std::vector<PlannedTest>;

inline void add(Plan& plan, std::string id, std::string title, std::string description,
                std::vector<std::string> requirements, TestBody body, bool required = true) {
  plan.push_back(
      {{std::move(id), std::move(title), std::move(description), std::move(requirements), required},
       std::move(body)});
}

void addDiscoveryTests(Plan& plan, ServerContext& context);
void addPairingTests(Plan& plan, ServerContext& context);
void addTokenTests(Plan& plan, ServerContext& context);
void addMeasureTests(Plan& plan, ServerContext& context);
void addDocumentTests(Plan& plan, ServerContext& context);
void addAgendaTests(Plan& plan, ServerContext& context);
// Last: each revokes tokens of the app (the expired-token test waits for one to expire).
void addRevokingTests(Plan& plan, ServerContext& context);

}  // namespace mes::conformance::server
