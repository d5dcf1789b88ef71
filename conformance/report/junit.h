// A run as JUnit XML, the format CI systems read (the de facto schema of Ant's and Maven
// Surefire's reports):
//   <testsuites name="mes-conformance" tests failures errors skipped time>
//     <testsuite name="<suite>" tests failures errors skipped time timestamp>
//       <properties> target, tester, verdict </properties>
//       <testcase classname="<suite>" name="<test id>" time="<seconds>">
//         <properties> required, one "requirement" per id </properties>
//         <failure message="…"> | <error message="…"> | <skipped message="…"/>
//         <system-out> the checks and the exchanges (redacted) as text </system-out>
//       </testcase> …
// Text is escaped for XML and stripped of characters XML cannot carry.
#pragma once

#include <string>
#include <string_view>

#include "conformance/test_model.h"

namespace mes::conformance {

std::string toJUnitXml(const RunReport& report);

// XML text and attribute escaping (core/markup.h), after printableText (exchange_text.h).
std::string xmlEscape(std::string_view text);

}  // namespace mes::conformance
