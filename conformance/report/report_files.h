// Writes a run's three reports into a directory (created when missing):
//   testreport.json  the FHIR TestReport (test_report.h), indented
//   junit.xml        JUnit XML (junit.h)
//   report.html      the self-contained page (html_report.h)
// The TestReport is checked with fhir::validateTestReport before anything is written: one that
// does not pass is a bug of the harness (kInternal "testreport-invalid", naming the problems),
// never a file the registry would refuse. Each file is written to a temporary name and renamed,
// so a reader never sees half a report. kUnavailable "report-unwritable" when the directory or a
// file cannot be written.
#pragma once

#include <filesystem>

#include "conformance/requirements.h"
#include "conformance/test_model.h"
#include "core/status.h"

namespace mes::conformance {

inline constexpr const char* kTestReportFile = "testreport.json";
inline constexpr const char* kJUnitFile = "junit.xml";
inline constexpr const char* kHtmlFile = "report.html";

Status writeReports(const RunReport& report, const RequirementCatalogue* catalogue,
                    const std::filesystem::path& directory);

}  // namespace mes::conformance
