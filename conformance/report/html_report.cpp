#include "conformance/report/html_report.h"

#include <cmath>
#include <cstdio>

#include "conformance/redaction.h"
#include "conformance/report/exchange_text.h"
#include "conformance/report/junit.h"
#include "fhir/types/datetime.h"

namespace mes::conformance {

namespace {

constexpr std::string_view kStyle = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1b1b1b;line-height:1.45}
h1{font-size:1.5rem;margin-bottom:.25rem}
.verdict{padding:1rem 1.25rem;border-radius:.5rem;margin:1rem 0;font-size:1.1rem}
.verdict strong{font-size:1.4rem;display:block}
.v-pass{background:#e3f4e6;border:2px solid #1f7a35}
.v-fail{background:#fbe4e4;border:2px solid #b3261e}
.v-incomplete{background:#fff4d6;border:2px solid #9a6b00}
table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
th{background:#f3f3f3}
.badge{display:inline-block;min-width:4.5rem;text-align:center;padding:.1rem .4rem;border-radius:.3rem;font-weight:600;font-size:.85rem}
.r-pass{background:#1f7a35;color:#fff}.r-fail{background:#b3261e;color:#fff}
.r-error{background:#6b2fa0;color:#fff}.r-skip{background:#9a6b00;color:#fff}
.r-warning{background:#9a6b00;color:#fff}
details.test{border:1px solid #ccc;border-radius:.4rem;margin:.6rem 0;padding:.4rem .8rem}
details.test>summary{cursor:pointer;font-weight:600}
details.exchange{margin:.3rem 0 .3rem 1rem}
details.exchange>summary{cursor:pointer;font-family:ui-monospace,monospace;font-size:.85rem}
pre{background:#f7f7f7;border:1px solid #e0e0e0;padding:.6rem;overflow-x:auto;font-size:.8rem;white-space:pre-wrap;word-break:break-all}
code{font-family:ui-monospace,monospace}
.message{padding:.4rem .6rem;border-left:4px solid #999;background:#fafafa}
ol.checks li{margin:.15rem 0}
.muted{color:#555}
)css";

std::string outcomeLabel(Outcome o) {
  switch (o) {
    case Outcome::kPass:
      return "Réussi (pass)";
    case Outcome::kFail:
      return "Échec (fail)";
    case Outcome::kSkip:
      return "Non exécuté (skip)";
    case Outcome::kError:
      return "Erreur (error)";
  }
  return "";
}

std::string badge(std::string_view name, std::string_view label) {
  return "<span class=\"badge r-" + std::string(name) + "\">" + htmlEscape(label) + "</span>";
}

std::string anchorOf(const std::string& id) {
  std::string out = "t-";
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_';
    out += ok ? c : '_';
  }
  return out;
}

std::string verdictBlock(const RunReport& report, const RunSummary& s) {
  std::string cls;
  std::string headline;
  switch (s.verdict) {
    case Verdict::kPass:
      cls = "v-pass";
      headline = "Conforme — every required test passed";
      break;
    case Verdict::kFail:
      cls = "v-fail";
      headline = "Non conforme — " + std::to_string(s.requiredNotPassed) +
                 " required test(s) did not pass";
      break;
    case Verdict::kIncomplete:
      cls = "v-incomplete";
      headline = "Incomplet — nothing failed, but " + std::to_string(s.requiredNotPassed) +
                 " required test(s) could not be run";
      break;
  }
  std::string score = "—";
  if (s.score) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%.1f %%", std::round(*s.score * 10.0) / 10.0);
    score = buffer;
  }
  std::string out =
      "<div class=\"verdict " + cls + "\"><strong>" + htmlEscape(headline) + "</strong>";
  out += std::to_string(s.total) + " tests : " + std::to_string(s.passed) + " réussis (passed), " +
         std::to_string(s.failed) + " en échec (failed), " + std::to_string(s.errors) +
         " en erreur (errors), " + std::to_string(s.skipped) +
         " non exécutés (skipped). Score : " + score + ".</div>\n";
  out += "<table><tbody>\n";
  for (const Participant& p : report.participants) {
    out += "<tr><th>" + htmlEscape(p.type) + "</th><td><code>" + htmlEscape(p.uri) + "</code>" +
           (p.display.empty() ? "" : " — " + htmlEscape(p.display)) + "</td></tr>\n";
  }
  out +=
      "<tr><th>Début / started</th><td>" + fhir::formatInstant(report.startedMs) + "</td></tr>\n";
  out +=
      "<tr><th>Fin / finished</th><td>" + fhir::formatInstant(report.finishedMs) + "</td></tr>\n";
  out += "<tr><th>Outil / tester</th><td>" + htmlEscape(report.tester) + "</td></tr>\n";
  out += "</tbody></table>\n";
  return out;
}

std::string summaryTable(const RunReport& report) {
  std::string out =
      "<h2>Tests</h2>\n<table><thead><tr><th>Résultat</th><th>Test</th><th>Titre / title</th>"
      "<th>Requis / required</th></tr></thead><tbody>\n";
  for (const TestResult& r : report.results) {
    out += "<tr><td>" + badge(outcomeName(r.outcome), outcomeName(r.outcome)) +
           "</td><td><a href=\"#" + anchorOf(r.test.id) + "\"><code>" + htmlEscape(r.test.id) +
           "</code></a></td><td>" + htmlEscape(r.test.title) + "</td><td>" +
           (r.test.required ? "oui / yes" : "non / no") + "</td></tr>\n";
  }
  out += "</tbody></table>\n";
  return out;
}

std::string testSection(const TestResult& r, const RequirementCatalogue* catalogue) {
  const bool open = r.outcome == Outcome::kFail || r.outcome == Outcome::kError;
  std::string out =
      "<details class=\"test\" id=\"" + anchorOf(r.test.id) + "\"" + (open ? " open" : "") +
      "><summary>" + badge(outcomeName(r.outcome), outcomeLabel(r.outcome)) + " <code>" +
      htmlEscape(r.test.id) + "</code> — " + htmlEscape(r.test.title) + "</summary>\n";
  if (!r.test.description.empty()) out += "<p>" + htmlEscape(r.test.description) + "</p>\n";
  out += "<p class=\"message\">" + htmlEscape(r.message) + "</p>\n";
  out += "<p class=\"muted\">" +
         std::string(r.test.required ? "Requis (required)" : "Facultatif (optional)") + " · " +
         std::to_string(r.durationMs) + " ms</p>\n";
  if (!r.test.requirements.empty()) {
    out += "<h4>Exigences vérifiées / requirements verified</h4>\n<ul>\n";
    for (const std::string& id : r.test.requirements) {
      out += "<li><code>" + htmlEscape(id) + "</code>";
      if (const Requirement* req = catalogue != nullptr ? catalogue->find(id) : nullptr) {
        out += " — " + htmlEscape(req->statementFr) + "<br/><span class=\"muted\">" +
               htmlEscape(req->statementEn) + "</span>";
      }
      out += "</li>\n";
    }
    out += "</ul>\n";
  }
  out += "<h4>Déroulement / steps</h4>\n<ol class=\"checks\">\n";
  for (const Action& action : r.actions) {
    out += "<li>" + badge(actionResultName(action.result), actionResultName(action.result)) + " ";
    if (action.kind == Action::Kind::kOperation && action.exchange) {
      const Exchange shown = redact(r.exchanges[*action.exchange]);
      out += "<details class=\"exchange\"><summary>" + htmlEscape(exchangeLine(shown)) +
             "</summary><pre>" + htmlEscape(exchangeText(shown)) + "</pre></details>";
    } else {
      out += htmlEscape(action.message);
    }
    out += "</li>\n";
  }
  out += "</ol>\n</details>\n";
  return out;
}

}  // namespace

std::string htmlEscape(std::string_view text) {
  return xmlEscape(text);
}

std::string toHtml(const RunReport& report, const RequirementCatalogue* catalogue) {
  const RunSummary s = summarize(report);
  std::string out = "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\"/>\n";
  out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'\"/>\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n";
  out += "<title>" + htmlEscape("Rapport de conformité — " + report.title) + "</title>\n";
  out += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  out += "<h1>Rapport de conformité <span class=\"muted\">(conformance report)</span></h1>\n";
  out += "<p>" + htmlEscape(report.title) + "</p>\n";
  out += verdictBlock(report, s);
  out += summaryTable(report);
  out += "<h2>Détail des tests / test details</h2>\n";
  for (const TestResult& r : report.results) out += testSection(r, catalogue);
  out +=
      "<p class=\"muted\">Les jetons, mots de passe et codes sont masqués ([redacted]). "
      "Tokens, passwords and codes are redacted.</p>\n";
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace mes::conformance
