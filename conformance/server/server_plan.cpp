#include "conformance/server/server_plan.h"

#include "conformance/server/plan_parts.h"

namespace mes::conformance::server {

std::vector<PlannedTest> serverPlan(ServerContext& context) {
  Plan plan;
  addDiscoveryTests(plan, context);
  addPairingTests(plan, context);
  addTokenTests(plan, context);
  addMeasureTests(plan, context);
  addDocumentTests(plan, context);
  addAgendaTests(plan, context);
  addRevokingTests(plan, context);
  return plan;
}

std::vector<TestCase> serverTestCases() {
  static const SystemClock clock;
  ServerContext context(ServerTarget{}, clock, [](int64_t) {});
  std::vector<TestCase> out;
  for (const PlannedTest& t : serverPlan(context)) out.push_back(t.test);
  return out;
}

}  // namespace mes::conformance::server
