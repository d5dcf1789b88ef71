// The server plan's areas, one file each; server_plan.cpp puts them in run order.
#pragma once

#include <vector>

#include "conformance/runner.h"
#include "conformance/server/server_context.h"

namespace mes::conformance::server {

using Plan = std::vector<PlannedTest>;

void addDiscoveryTests(Plan& plan, ServerContext& context);

}  // namespace mes::conformance::server
