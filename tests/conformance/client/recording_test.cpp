// The sandbox recording (conformance/client/recording.h): bodies kept whole or bounded, lines
// and session.json that read back as written, a torn last line overlooked with a warning, any
// other broken line refused, and the writer's files private.
#include "conformance/client/recording.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "oauth/crypto/digest.h"

using namespace mes;
using namespace mes::conformance::client;

namespace {

RecordedExchange sample(uint64_t seq) {
  RecordedExchange e;
  e.seq = seq;
  e.startedMs = 1'764'000'000'000 + static_cast<int64_t>(seq);
  e.finishedMs = e.startedMs + 12;
  e.remote = "127.0.0.1";
  e.method = "POST";
  e.target = "/fhir/Observation?x=%7C1";
  e.requestHeaders.add("Content-Type", "application/fhir+json");
  e.requestHeaders.add("If-None-Exist", "identifier=s|v");
  e.requestBody = keepBody(R"({"resourceType":"Observation","note":"é"})", 1024, 16);
  e.status = 201;
  e.reason = "Created";
  e.responseHeaders.add("Location", "http://gw/fhir/Observation/1/_history/1");
  e.responseBody = keepBody(std::string("\x00\xff\x10pdf", 6), 1024, 16);
  return e;
}

std::string hexOf(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// A fresh directory, removed at the end.
struct ScratchDir {
  ScratchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "mes-recording-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir = pattern;
  }
  ~ScratchDir() { std::filesystem::remove_all(dir); }
  const std::filesystem::path& path() const { return dir; }
  std::filesystem::path dir;
};

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sandbox_recording)

BOOST_AUTO_TEST_CASE(bodies_are_kept_whole_up_to_the_limit_then_as_size_digest_and_prefix) {
  const RecordedBody whole = keepBody("0123456789", 10, 4);
  BOOST_TEST(!whole.truncated);
  BOOST_TEST(whole.bytes == "0123456789");
  BOOST_TEST(whole.size == 10u);

  const std::string big(5000, 'a');
  const RecordedBody cut = keepBody(big, 4096, 100);
  BOOST_TEST(cut.truncated);
  BOOST_TEST(cut.size == 5000u);
  BOOST_TEST(cut.bytes == std::string(100, 'a'));
  BOOST_TEST(cut.sha256 == hexOf(oauth::sha256(big)));

  // A prefix never cuts a UTF-8 character in two.
  const RecordedBody text = keepBody("ééééé", 4, 5);
  BOOST_TEST(text.bytes == "éé");
}

BOOST_AUTO_TEST_CASE(an_exchange_line_reads_back_as_written) {
  RecordedExchange e = sample(7);
  e.injected = Injected::kUnavailable;
  e.failure = "";
  const std::string line = exchangeToJsonLine(e);
  BOOST_TEST(line.find('\n') == std::string::npos);
  Result<RecordedExchange> back = exchangeFromJsonLine(line);
  BOOST_REQUIRE(back.isOk());
  BOOST_TEST(back->seq == 7u);
  BOOST_TEST(back->method == "POST");
  BOOST_TEST(back->target == e.target);
  BOOST_TEST(back->requestHeaders.get("If-None-Exist") == "identifier=s|v");
  BOOST_TEST(back->requestBody.bytes == e.requestBody.bytes);
  BOOST_TEST(back->responseBody.bytes == e.responseBody.bytes);  // binary, as base64
  BOOST_TEST(line.find("\"base64\"") != std::string::npos);
  BOOST_TEST(back->status == 201);
  BOOST_TEST((back->injected == Injected::kUnavailable));
  BOOST_TEST(back->finishedMs - back->startedMs == 12);

  RecordedExchange big = sample(8);
  big.requestBody = keepBody(std::string(300, 'x'), 100, 10);
  Result<RecordedExchange> cut = exchangeFromJsonLine(exchangeToJsonLine(big));
  BOOST_REQUIRE(cut.isOk());
  BOOST_TEST(cut->requestBody.truncated);
  BOOST_TEST(cut->requestBody.size == 300u);
  BOOST_TEST(cut->requestBody.sha256 == big.requestBody.sha256);

  for (const char* bad : {"{", "[]", R"({"seq":1})", R"({"seq":"1","method":"GET"})"}) {
    Result<RecordedExchange> refused = exchangeFromJsonLine(bad);
    BOOST_TEST(!refused.isOk(), bad);
  }
}

BOOST_AUTO_TEST_CASE(a_session_is_written_and_read_back_sorted_with_its_warnings) {
  ScratchDir dir;
  SessionInfo info;
  info.tool = "mes-conformance 0.1.0";
  info.publicUrl = "http://127.0.0.1:8090";
  info.fhirBase = "http://127.0.0.1:8090/fhir";
  info.clientId = "carnet";
  info.clientName = "Carnet";
  info.clientType = "public";
  info.redirectUris = {"com.example.carnet:/cb"};
  info.accesses = {"mesures.read"};
  info.allowedScopes = "patient/Observation.rs patient/Device.rs";
  info.patients = {{"demo", "camille@demo.invalid"}};
  info.accessTokenSeconds = 60;
  info.refuseTokenAt = 3;
  info.unavailableAt = 2;
  info.retryAfterSeconds = 3;
  info.keepBodyBytes = 1024;
  info.startedMs = 1'764'000'000'000;
  BOOST_REQUIRE(writeSessionInfo(dir.path(), info).isOk());
  {
    Result<std::unique_ptr<RecordingWriter>> writer = RecordingWriter::open(dir.path());
    BOOST_REQUIRE(writer.isOk());
    for (uint64_t seq : {2, 1, 3}) BOOST_REQUIRE((*writer)->append(sample(seq)).isOk());
    BOOST_TEST((*writer)->written() == 3u);
    BOOST_REQUIRE((*writer)->close().isOk());
    BOOST_TEST(!(*writer)->append(sample(4)).isOk());
  }
  struct stat st {};
  BOOST_REQUIRE(::stat((dir.path() / kExchangesFile).c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_REQUIRE(::stat((dir.path() / kSessionFile).c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);

  Result<Recording> read = readRecording(dir.path());
  BOOST_REQUIRE(read.isOk());
  BOOST_TEST(read->info.clientId == "carnet");
  BOOST_TEST(read->info.redirectUris == info.redirectUris);
  BOOST_TEST(read->info.patients.front().login == "camille@demo.invalid");
  BOOST_TEST(read->info.retryAfterSeconds == 3);
  BOOST_TEST(read->exchanges.size() == 3u);
  BOOST_TEST(read->exchanges.front().seq == 1u);
  BOOST_TEST(read->exchanges.back().seq == 3u);
  // Not closed: said so.
  BOOST_REQUIRE(read->warnings.size() == 1u);
  BOOST_TEST(read->warnings.front().find("not closed") != std::string::npos);

  // Closed, with a torn last line: that exchange is left out, with a warning.
  info.stoppedMs = info.startedMs + 60'000;
  info.exchanges = 3;
  BOOST_REQUIRE(writeSessionInfo(dir.path(), info).isOk());
  std::ofstream(dir.path() / kExchangesFile, std::ios::app) << R"({"seq": 4, "started)";
  read = readRecording(dir.path());
  BOOST_REQUIRE(read.isOk());
  BOOST_TEST(read->exchanges.size() == 3u);
  BOOST_REQUIRE(read->warnings.size() == 1u);
  BOOST_TEST(read->warnings.front().find("last line") != std::string::npos);

  // A broken line in the middle is no recording of ours.
  std::ofstream(dir.path() / kExchangesFile, std::ios::app)
      << "\n"
      << exchangeToJsonLine(sample(5)) << "\n";
  read = readRecording(dir.path());
  BOOST_REQUIRE(!read.isOk());
  BOOST_TEST(read.error().problems.front().code == "session-invalid");
  BOOST_TEST(read.error().problems.front().message.find("line 4") != std::string::npos,
             read.error().problems.front().message);
}

BOOST_AUTO_TEST_CASE(a_directory_without_a_session_is_refused_saying_so) {
  ScratchDir dir;
  Result<Recording> none = readRecording(dir.path());
  BOOST_REQUIRE(!none.isOk());
  BOOST_TEST(none.error().problems.front().message.find("is no sandbox session") !=
             std::string::npos);
  write(dir.path() / kSessionFile, R"({"format": "something-else/1"})");
  Result<Recording> other = readRecording(dir.path());
  BOOST_REQUIRE(!other.isOk());
  BOOST_TEST(other.error().problems.front().message.find("$.format must be") != std::string::npos,
             other.error().problems.front().message);
}

BOOST_AUTO_TEST_SUITE_END()
