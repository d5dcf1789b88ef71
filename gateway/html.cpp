#include "gateway/html.h"

#include "core/markup.h"
#include "fhir/types/datetime.h"

namespace mes::gateway {
namespace {

// One small style sheet for every page: a readable column on a phone and on a desktop, large
// touch targets, visible focus, enough contrast.
constexpr std::string_view kStyle = R"css(
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
line-height:1.5;color:#1b1b1f;background:#f4f5f7}
header{background:#000091;color:#fff;padding:.75rem 1rem;font-weight:600}
main{max-width:36rem;margin:1.5rem auto;padding:1.25rem;background:#fff;border-radius:.5rem;
box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin-top:0}
label{display:block;margin:.9rem 0 .3rem;font-weight:600}
input[type=text],input[type=password],input[type=email]{width:100%;padding:.65rem;
font-size:1rem;border:1px solid #6a6a75;border-radius:.25rem}
input[type=checkbox]{width:1.2rem;height:1.2rem;margin-right:.5rem;vertical-align:middle}
button{margin-top:1.2rem;padding:.7rem 1.2rem;font-size:1rem;border:0;border-radius:.25rem;
background:#000091;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#000091;border:1px solid #000091}
:focus-visible{outline:3px solid #0a76f6;outline-offset:2px}
.error{padding:.75rem;border-left:4px solid #ce0500;background:#ffe9e9;margin-bottom:1rem}
.info{padding:.75rem;border-left:4px solid #0063cb;background:#e8edff;margin-bottom:1rem}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ddd;vertical-align:top}
small,.muted{color:#555}
main.wide{max-width:64rem}
textarea,select{width:100%;padding:.5rem;font-size:1rem;border:1px solid #6a6a75;border-radius:.25rem;
font-family:inherit}
.scroll{overflow-x:auto}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:1rem;background:#e8edff;color:#000091;
font-size:.9rem}
.ok{color:#18753c;font-weight:600}
.ko{color:#ce0500;font-weight:600}
fieldset{border:1px solid #ddd;border-radius:.25rem;margin:1rem 0}
nav a{margin-right:1rem}
)css";

}  // namespace

std::string escapeHtml(std::string_view text) {
  return escapeMarkup(text);
}

std::string page(std::string_view titleFr, std::string_view bodyHtml, PageWidth width) {
  std::string out;
  out.reserve(kStyle.size() + bodyHtml.size() + 512);
  out +=
      "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"referrer\" content=\"no-referrer\">\n<title>";
  out += escapeHtml(titleFr);
  out += " \u2013 Mon espace sant\u00e9</title>\n<style>";
  out += kStyle;
  out += "</style>\n</head>\n<body>\n<header>Mon espace sant\u00e9</header>\n";
  out += width == PageWidth::kWide ? "<main class=\"wide\">\n" : "<main>\n";
  out += bodyHtml;
  out += "\n</main>\n</body>\n</html>\n";
  return out;
}

http::Response htmlResponse(int status, std::string html) {
  http::Response response;
  response.status = status;
  response.headers.set("Content-Type", "text/html; charset=utf-8");
  response.headers.set("Cache-Control", "no-store");
  response.headers.set("X-Frame-Options", "DENY");
  response.headers.set("Content-Security-Policy",
                       "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
                       "base-uri 'none'");
  response.headers.set("Referrer-Policy", "no-referrer");
  response.headers.set("X-Content-Type-Options", "nosniff");
  response.body = std::move(html);
  return response;
}

http::Response messagePage(int status, std::string_view titleFr, std::string_view messageFr) {
  std::string body = "<h1>" + escapeHtml(titleFr) + "</h1>\n<p>" + escapeHtml(messageFr) + "</p>";
  return htmlResponse(status, page(titleFr, body));
}

http::Response seeOther(std::string location) {
  http::Response response;
  response.status = 303;
  response.headers.set("Location", std::move(location));
  response.headers.set("Cache-Control", "no-store");
  return response;
}

std::string dateTimeFr(int64_t ms) {
  const std::string iso = fhir::formatInstant(ms);  // 2026-11-23T07:06:27.123Z
  if (iso.size() < 16) return iso;
  return iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4) + " à " +
         iso.substr(11, 5) + " UTC";
}

}  // namespace mes::gateway
