// Identifiers the registry checks: an editor's SIRET and OID, e-mail addresses.
//
// SIRET (establishment number: SIREN + NIC, 14 digits) and SIREN (company number, 9 digits)
// checks, as INSEE defines them: the Luhn checksum over the digits. One exception: the
// establishments of La Poste (SIREN 356000000) are too many for the Luhn key, and a SIRET of
// theirs that fails it is valid when the sum of its 14 digits is a multiple of 5 (the head
// office, 356 000 000 00048, passes Luhn).
#pragma once

#include <string>
#include <string_view>

namespace mes::gateway::registry {

// True when `digits` is only ASCII digits and passes the Luhn check (mod 10 of the sum, every
// second digit from the right doubled).
bool luhnValid(std::string_view digits);

// The SIRET with spaces removed ("732 829 320 00074" -> "73282932000074"); empty when what
// remains is not 14 digits.
std::string normalizeSiret(std::string_view text);

// 14 digits passing Luhn, or the La Poste rule for a SIRET of SIREN 356000000.
bool siretValid(std::string_view siret);

// "urn:oid:" then two or more arcs of digits separated by single dots, without leading zeros
// (RFC 3061): what meta.source starts with and what the registry knows an editor by.
bool oidUrnValid(std::string_view text);

// An e-mail address as far as the registry needs: one '@' with text before it, a domain with a
// dot inside (not at an end), printable ASCII without spaces, at most 254 bytes.
bool emailLike(std::string_view text);

}  // namespace mes::gateway::registry
