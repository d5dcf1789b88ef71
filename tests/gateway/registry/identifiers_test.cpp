// SIRET, OID and e-mail checks of the registry (gateway/registry/identifiers.h).
#include "gateway/registry/identifiers.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <ostream>
#include <string>

using namespace mes::gateway::registry;
namespace bdata = boost::unit_test::data;

namespace {

struct SiretCase {
  const char* text;
  bool valid;
};
std::ostream& operator<<(std::ostream& os, const SiretCase& c) {
  return os << c.text;
}

const SiretCase kSirets[] = {
    {"73282932000074", true},                              // a real SIRET (Luhn)
    {"44306184100047", true},   {"35600000000048", true},  // La Poste's head office passes Luhn
    {"35600000049837", true},   // a La Poste establishment: fails Luhn, digit sum 35
    {"35600000049838", false},  // neither rule
    {"73282932000075", false},  // one digit off
    {"12345678901234", false},  {"7328293200007", false},  // 13 digits
    {"732829320000741", false},                            // 15 digits
    {"7328293200007A", false},  {"", false},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_identifiers)

BOOST_DATA_TEST_CASE(siret_table, bdata::make(kSirets), c) {
  BOOST_TEST(siretValid(c.text) == c.valid);
}

BOOST_AUTO_TEST_CASE(luhn_and_normalisation) {
  BOOST_TEST(luhnValid("732829320"));  // the SIREN of 73282932000074
  BOOST_TEST(!luhnValid("732829321"));
  BOOST_TEST(!luhnValid(""));
  BOOST_TEST(!luhnValid("12a4"));
  BOOST_TEST(normalizeSiret("732 829 320 00074") == "73282932000074");
  BOOST_TEST(normalizeSiret("732-829-320-00074").empty());
  BOOST_TEST(normalizeSiret("732 829 320").empty());
}

BOOST_AUTO_TEST_CASE(oid_urns) {
  BOOST_TEST(oidUrnValid("urn:oid:1.2.250.1.999.42"));
  BOOST_TEST(oidUrnValid("urn:oid:2.0"));
  BOOST_TEST(!oidUrnValid("urn:oid:1"));     // one arc
  BOOST_TEST(!oidUrnValid("urn:oid:1.02"));  // leading zero
  BOOST_TEST(!oidUrnValid("urn:oid:1..2"));
  BOOST_TEST(!oidUrnValid("urn:oid:1.2."));
  BOOST_TEST(!oidUrnValid("1.2.250"));
  BOOST_TEST(!oidUrnValid("urn:oid:1.2a"));
}

BOOST_AUTO_TEST_CASE(email_addresses) {
  BOOST_TEST(emailLike("dpo@tensio.example"));
  BOOST_TEST(emailLike("Jean.Dupont+mes@ans.sante.fr"));
  BOOST_TEST(!emailLike("dpo@localhost"));
  BOOST_TEST(!emailLike("@tensio.example"));
  BOOST_TEST(!emailLike("dpo@@tensio.example"));
  BOOST_TEST(!emailLike("dpo tensio@x.example"));
  BOOST_TEST(!emailLike("dpo@.example"));
  BOOST_TEST(!emailLike("dpo@example."));
  BOOST_TEST(!emailLike("dpo@exämple.fr"));
}

BOOST_AUTO_TEST_SUITE_END()
