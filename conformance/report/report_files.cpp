#include "conformance/report/report_files.h"

#include <fstream>
#include <system_error>

#include "conformance/report/html_report.h"
#include "conformance/report/junit.h"
#include "conformance/report/test_report.h"
#include "fhir/json/json.h"
#include "fhir/profiles/test_report_profile.h"

namespace mes::conformance {

namespace {

Error unwritable(const std::filesystem::path& path, const std::string& why) {
  return Error::make(ErrorKind::kUnavailable, "report-unwritable",
                     "Cannot write " + path.string() + ": " + why);
}

Status writeFile(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return unwritable(temporary, "cannot open it");
    out << text;
    out.flush();
    if (!out) return unwritable(temporary, "the write failed");
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) return unwritable(path, ec.message());
  return Status::ok();
}

}  // namespace

Status writeReports(const RunReport& report, const RequirementCatalogue* catalogue,
                    const std::filesystem::path& directory) {
  const fhir::Value testReport = toTestReport(report);
  Result<fhir::TestReportSummary> valid = fhir::validateTestReport(testReport);
  if (!valid) {
    std::string detail = "the TestReport written does not pass validateTestReport:";
    for (const Problem& p : valid.error().problems) detail += " " + p.expression + ": " + p.message;
    Error e = Error::make(ErrorKind::kInternal, "testreport-invalid", detail);
    e.detail = detail;
    return e;
  }
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) return unwritable(directory, ec.message());
  MES_RETURN_IF_ERROR(
      writeFile(directory / kTestReportFile, fhir::toPrettyJson(testReport) + "\n"));
  MES_RETURN_IF_ERROR(writeFile(directory / kJUnitFile, toJUnitXml(report)));
  MES_RETURN_IF_ERROR(writeFile(directory / kHtmlFile, toHtml(report, catalogue)));
  return Status::ok();
}

}  // namespace mes::conformance
