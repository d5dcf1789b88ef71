// Escaping text for HTML and XML (element content and quoted attribute values): the one
// function the gateway's pages and the conformance harness's reports share.
#pragma once

#include <string>
#include <string_view>

namespace mes {

// & < > " ' become &amp; &lt; &gt; &quot; &#39; (a numeric reference, valid in HTML and XML
// alike). Other bytes are copied as they are: the caller keeps the text valid UTF-8.
std::string escapeMarkup(std::string_view text);

}  // namespace mes
