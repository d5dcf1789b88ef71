// An exchange as text people read, the same in every report: the request line, its headers
// and body, then the status line, the response headers and body. The caller redacts first
// (conformance/redaction.h).
//
// Bodies: text is shown as it came, cut after `maxBodyBytes` with a note of the full size;
// bytes that are not UTF-8 text (a PDF, an image) are replaced by a line saying how many bytes
// of which content type there were. Invalid UTF-8 inside text becomes U+FFFD, control
// characters other than tab and line breaks become '?', so that the text is valid in XML and
// HTML.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "conformance/test_model.h"

namespace mes::conformance {

inline constexpr size_t kReportBodyBytes = 16 * 1024;

std::string exchangeText(const Exchange& exchange, size_t maxBodyBytes = kReportBodyBytes);
// "GET https://…/fhir/metadata → 200 OK" (or "→ no response: <why>").
std::string exchangeLine(const Exchange& exchange);
// Valid UTF-8 without control characters but tab, CR and LF (see above).
std::string printableText(std::string_view bytes);
// Whether `bytes` is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool isUtf8(std::string_view bytes);

}  // namespace mes::conformance
