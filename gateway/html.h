// HTML pages the gateway serves to people (the patient portal: login, consent, pairings).
//
// Pages are small, self-contained and in French: no script, no external resource (fonts,
// images, style sheets), inline CSS only, readable on a phone. Every value that comes from
// outside (a service name, a login, a query parameter) goes through escapeHtml() before it is
// put into markup; the functions below never escape for the caller.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/http/message.h"

namespace mes::gateway {

// Text safe inside an element or a double- or single-quoted attribute value: & < > " ' become
// character references. Bytes are otherwise kept (UTF-8 passes through).
std::string escapeHtml(std::string_view text);

// How wide <main> is: a phone-sized column (the patient portal), or wide for the registry's
// tables (still readable on a phone: tables scroll sideways).
enum class PageWidth { kNarrow, kWide };

// A complete document: <!DOCTYPE html>, lang="fr", UTF-8, a viewport for phones, the shared
// inline style, <title> = "<titleFr> – Mon espace santé" (titleFr escaped here), and
// `bodyHtml` inside <main> as given (already markup: the caller escapes what it inserts).
std::string page(std::string_view titleFr, std::string_view bodyHtml,
                 PageWidth width = PageWidth::kNarrow);

// A response with `html` as body and the headers every page carries:
//   Content-Type: text/html; charset=utf-8
//   Cache-Control: no-store
//   X-Frame-Options: DENY
//   Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline';
//                            frame-ancestors 'none'; base-uri 'none'
//   Referrer-Policy: no-referrer
//   X-Content-Type-Options: nosniff
// (no form-action: the consent form's answer is a 303 to the app's own redirect URI, which
// form-action would block in some browsers.)
http::Response htmlResponse(int status, std::string html);

// A one-message page ("<h1>titleFr</h1><p>messageFr</p>", both escaped), e.g. for 403 / 404.
http::Response messagePage(int status, std::string_view titleFr, std::string_view messageFr);

// 303 See Other to `location` (a URL or an absolute path), not cached: the answer to a form
// that worked.
http::Response seeOther(std::string location);

// A time as patients read it on the portal: "23/11/2026 à 07:06 UTC".
std::string dateTimeFr(int64_t ms);

}  // namespace mes::gateway
