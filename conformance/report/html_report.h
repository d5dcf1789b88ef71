// A run as one self-contained HTML page for people who have no tools but a browser (the
// referencing commission): no script, no external asset (a Content-Security-Policy meta tag
// forbids loading any), styles inline. French first, with the English words alongside.
//
//   - the verdict (conforme / non conforme / incomplet) with the counts, the score, the target,
//     the date and the tester;
//   - a table of every test: result, id, title, required or not;
//   - per test, a collapsible section (open when it failed or ended in error): the
//     description, the requirements it verifies with their statements (from `catalogue`,
//     when given), the message, every check in order, and each HTTP exchange (redacted) in its
//     own collapsible block.
// Every text is HTML-escaped, and the page is also well-formed XML (void elements closed with
// "/>"), so an XML parser can check it.
#pragma once

#include <string>
#include <string_view>

#include "conformance/requirements.h"
#include "conformance/test_model.h"

namespace mes::conformance {

std::string toHtml(const RunReport& report, const RequirementCatalogue* catalogue);

std::string htmlEscape(std::string_view text);

}  // namespace mes::conformance
