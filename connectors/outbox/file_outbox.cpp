#include "connectors/outbox/file_outbox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace mes::outbox {
namespace {

// JSON string literal (RFC 8259): quotes, backslash and control characters escaped; UTF-8 is
// passed through as is.
void appendJsonString(std::string& out, const std::string& text) {
  out.push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

std::string instant(int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

Error unavailable(const std::string& what, int err) {
  Error e = Error::make(ErrorKind::kUnavailable, "outbox-unavailable",
                        "The notification could not be queued.");
  e.detail = what + ": " + std::strerror(err);
  return e;
}

}  // namespace

Result<std::unique_ptr<FileOutbox>> FileOutbox::open(const std::filesystem::path& directory,
                                                     const Clock& clock, IdGenerator& ids) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) {
    Error e = Error::make(ErrorKind::kUnavailable, "outbox-unavailable",
                          "Cannot create the outbox directory " + directory.string() + ".");
    e.detail = ec.message();
    return e;
  }
  std::filesystem::permissions(directory, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  return std::unique_ptr<FileOutbox>(new FileOutbox(directory, clock, ids));
}

Result<std::string> FileOutbox::send(const Notification& n) {
  const int64_t now = clock_.nowMs();
  const std::string id = ids_.next();
  std::string json = "{\"id\":";
  appendJsonString(json, id);
  json += ",\"created\":";
  appendJsonString(json, instant(now));
  for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"recipient", &n.recipient},
                                   {"kind", &n.kind},
                                   {"subject", &n.subject},
                                   {"body", &n.body}}) {
    json += ",\"";
    json += key;
    json += "\":";
    appendJsonString(json, *value);
  }
  json += ",\"data\":{";
  for (size_t i = 0; i < n.data.size(); ++i) {
    if (i > 0) json.push_back(',');
    appendJsonString(json, n.data[i].first);
    json.push_back(':');
    appendJsonString(json, n.data[i].second);
  }
  json += "}}\n";

  char prefix[48];
  std::snprintf(prefix, sizeof prefix, "%013lld-%06llu-", static_cast<long long>(now),
                static_cast<unsigned long long>(sequence_.fetch_add(1) % 1000000));
  const std::filesystem::path final = directory_ / (prefix + id + ".json");
  const std::filesystem::path temp = directory_ / ("." + id + ".tmp");

  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return unavailable("open " + temp.string(), errno);
  size_t written = 0;
  while (written < json.size()) {
    ssize_t w = ::write(fd, json.data() + written, json.size() - written);
    if (w < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return unavailable("write " + temp.string(), err);
    }
    written += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return unavailable("fsync " + temp.string(), err);
  }
  if (::rename(temp.c_str(), final.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return unavailable("rename " + final.string(), err);
  }
  return id;
}

}  // namespace mes::outbox
