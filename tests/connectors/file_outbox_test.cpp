#include "connectors/outbox/file_outbox.h"

#include "connectors/temp_dir.h"

#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace mes;

namespace {

struct CountingIds final : IdGenerator {
  int n = 0;
  std::string next() override { return "msg" + std::to_string(++n); }
};

struct OutboxFixture {
  test::TempDir temp{"mes-outbox"};
  std::filesystem::path dir = temp.path();
  ManualClock clock{1'700'000'000'123};
  CountingIds ids;
  static std::string read(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(file_outbox, OutboxFixture)

BOOST_AUTO_TEST_CASE(one_file_per_message_in_creation_order) {
  auto outbox = outbox::FileOutbox::open(dir / "outbox", clock, ids);
  BOOST_REQUIRE(outbox.isOk());
  outbox::Notification n;
  n.recipient = "demo";
  n.kind = "login-code";
  n.subject = "Votre code de connexion";
  n.body = "Votre code est 123456.\nIl expire dans 10 minutes « vite ».";
  n.data = {{"code", "123456"}};
  auto first = (*outbox)->send(n);
  BOOST_REQUIRE(first.isOk());
  clock.advance(5);
  n.kind = "pairing-created";
  n.data.clear();
  BOOST_REQUIRE((*outbox)->send(n).isOk());

  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir / "outbox")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  BOOST_REQUIRE_EQUAL(files.size(), 2u);  // no temporary file left behind
  const std::string text = read(files[0]);
  BOOST_TEST(text.find("\"id\":\"msg1\"") != std::string::npos);
  BOOST_TEST(text.find("\"created\":\"2023-11-14T22:13:20.123Z\"") != std::string::npos);
  BOOST_TEST(text.find("\"kind\":\"login-code\"") != std::string::npos);
  BOOST_TEST(text.find("\"body\":\"Votre code est 123456.\\nIl expire dans 10 minutes « vite ».\"") !=
             std::string::npos);
  BOOST_TEST(text.find("\"data\":{\"code\":\"123456\"}") != std::string::npos);
  BOOST_TEST(read(files[1]).find("\"kind\":\"pairing-created\"") != std::string::npos);

  struct stat st {};
  BOOST_REQUIRE(::stat(files[0].c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);  // messages may hold login codes
}

BOOST_AUTO_TEST_CASE(control_characters_are_escaped) {
  auto outbox = outbox::FileOutbox::open(dir, clock, ids);
  BOOST_REQUIRE(outbox.isOk());
  outbox::Notification n;
  n.recipient = "a\"b\\c";
  n.subject = std::string("x\x01y", 3);
  BOOST_REQUIRE((*outbox)->send(n).isOk());
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string text = read(e.path());
    BOOST_TEST(text.find("\"recipient\":\"a\\\"b\\\\c\"") != std::string::npos);
    BOOST_TEST(text.find("x\\u0001y") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(unwritable_directory_is_unavailable) {
  auto outbox = outbox::FileOutbox::open(dir / "box", clock, ids);
  BOOST_REQUIRE(outbox.isOk());
  std::filesystem::remove_all(dir / "box");
  auto sent = (*outbox)->send(outbox::Notification{});
  BOOST_REQUIRE(!sent.isOk());
  BOOST_TEST(sent.error().code() == "outbox-unavailable");
}

BOOST_AUTO_TEST_SUITE_END()
