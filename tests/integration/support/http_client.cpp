#include "integration/support/http_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <utility>

namespace mes::itest {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxHeaderBytes = std::size_t{1024} * 1024;
constexpr std::size_t kMaxChunkSize = std::size_t{1} << 30;

char lowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lowerAscii(x) == lowerAscii(y);
         });
}

bool hasHeader(const HeaderList& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [name](const auto& h) { return equalsIgnoreCase(h.first, name); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Printable excerpt of received bytes for error messages.
std::string excerpt(std::string_view bytes) {
  constexpr std::size_t kMax = 300;
  std::string out;
  for (char c : bytes.substr(0, kMax)) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += '?';
    } else {
      out += c;
    }
  }
  if (bytes.size() > kMax) {
    out += "...";
  }
  return out;
}

std::string errnoText(int err) {
  return std::strerror(err);
}

class SocketFd {
 public:
  SocketFd() = default;
  explicit SocketFd(int fd) : fd_(fd) {}
  ~SocketFd() { reset(); }
  SocketFd(const SocketFd&) = delete;
  SocketFd& operator=(const SocketFd&) = delete;
  void reset(int fd = -1) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = fd;
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

// One connection and one request/response, all under one deadline. Every I/O wait goes
// through poll() with the time left, so nothing blocks past the deadline.
class Exchange {
 public:
  Exchange(std::string label, int timeoutMs)
      : label_(std::move(label)),
        timeoutMs_(timeoutMs),
        deadline_(Clock::now() + std::chrono::milliseconds(timeoutMs)) {}

  void connectTo(const std::string& host, uint16_t port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* list = nullptr;
    const std::string service = std::to_string(port);
    const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
    if (rc != 0) {
      fail(std::string("cannot resolve host: ") + ::gai_strerror(rc));
    }
    const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> found(list, &::freeaddrinfo);
    std::string lastError = "no address";
    for (addrinfo* ai = found.get(); ai != nullptr; ai = ai->ai_next) {
      SocketFd fd(
          ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
      if (fd.get() < 0) {
        lastError = errnoText(errno);
        continue;
      }
      int err = 0;
      if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
        err = errno;
        if (err == EINPROGRESS) {
          if (!waitFor(fd.get(), POLLOUT)) {
            fail("connection not established within the timeout");
          }
          socklen_t len = sizeof(err);
          if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
            err = errno;
          }
        }
      }
      if (err == 0) {
        fd_.reset(fd.release());
        break;
      }
      lastError = errnoText(err);
    }
    if (fd_.get() < 0) {
      fail("connection failed: " + lastError);
    }
  }

  // Sends all bytes. Returns an empty string on success, or why sending stopped when the peer
  // closed or reset the connection (its response may still be readable).
  std::string sendAll(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n > 0) {
        bytes.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      const int err = errno;
      if (n < 0 && err == EINTR) {
        continue;
      }
      if (n < 0 && (err == EAGAIN || err == EWOULDBLOCK)) {
        if (!waitFor(fd_.get(), POLLOUT)) {
          fail("request not sent within the timeout");
        }
        continue;
      }
      if (n < 0 && (err == EPIPE || err == ECONNRESET)) {
        return "sending stopped: " + errnoText(err);
      }
      fail("send failed: " + errnoText(err));
    }
    return {};
  }

  HttpResponse readResponse(bool headRequest) {
    for (;;) {
      HttpResponse response;
      readHead(response);
      const int s = response.status;
      if (s >= 100 && s < 200 && s != 101) {
        continue;  // interim response; the final one follows
      }
      if (headRequest || s < 200 || s == 204 || s == 304) {
        return response;
      }
      const std::string te = response.header("Transfer-Encoding");
      const std::string cl = response.header("Content-Length");
      if (!te.empty()) {
        std::string_view last = te;
        if (const auto comma = last.rfind(','); comma != std::string_view::npos) {
          last = last.substr(comma + 1);
        }
        if (equalsIgnoreCase(trim(last), "chunked")) {
          readChunked(response);
        } else {
          readUntilClose(response);
        }
      } else if (!cl.empty()) {
        readSized(response, parseContentLength(cl));
      } else {
        readUntilClose(response);
      }
      return response;
    }
  }

  // Whether any response bytes arrived (used to decide which error to report).
  bool receivedAny() const { return !buf_.empty(); }

  [[noreturn]] void fail(const std::string& what) const {
    std::string message = label_ + ": " + what;
    if (!buf_.empty()) {
      message += " (received " + std::to_string(buf_.size()) + " bytes: \"" + excerpt(buf_) + "\")";
    }
    throw std::runtime_error(message);
  }

 private:
  // Waits until `events` are ready on fd; false when the deadline passed first.
  bool waitFor(int fd, short events) const {
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
      if (left.count() <= 0) {
        return false;
      }
      pollfd p{fd, events, 0};
      const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
      if (rc > 0) {
        return true;  // ready, or an error/hang-up the next call will report
      }
      if (rc < 0 && errno != EINTR) {
        fail("poll failed: " + errnoText(errno));
      }
    }
  }

  // Reads more bytes into buf_; false at end of stream.
  bool fill() {
    std::array<char, 16384> chunk{};
    for (;;) {
      const ssize_t n = ::recv(fd_.get(), chunk.data(), chunk.size(), 0);
      if (n > 0) {
        buf_.append(chunk.data(), static_cast<std::size_t>(n));
        return true;
      }
      if (n == 0) {
        return false;
      }
      const int err = errno;
      if (err == EINTR) {
        continue;
      }
      if (err == EAGAIN || err == EWOULDBLOCK) {
        if (!waitFor(fd_.get(), POLLIN)) {
          fail("no complete response within " + std::to_string(timeoutMs_) + " ms");
        }
        continue;
      }
      fail("receive failed: " + errnoText(err));
    }
  }

  void need(std::size_t n, std::string_view what) {
    while (buf_.size() - pos_ < n) {
      if (!fill()) {
        fail("connection closed before the end of the " + std::string(what));
      }
    }
  }

  // One line without its line ending (CRLF, or a bare LF).
  std::string readLine(std::string_view what) {
    std::size_t searchFrom = pos_;
    for (;;) {
      const auto nl = buf_.find('\n', searchFrom);
      if (nl != std::string::npos) {
        std::size_t end = nl;
        if (end > pos_ && buf_[end - 1] == '\r') {
          --end;
        }
        std::string line = buf_.substr(pos_, end - pos_);
        pos_ = nl + 1;
        return line;
      }
      if (buf_.size() - pos_ > kMaxHeaderBytes) {
        fail("line longer than " + std::to_string(kMaxHeaderBytes) + " bytes in the " +
             std::string(what));
      }
      searchFrom = buf_.size();
      if (!fill()) {
        fail(buf_.empty() ? "connection closed without a response"
                          : "connection closed before the end of the " + std::string(what));
      }
    }
  }

  void readHead(HttpResponse& response) {
    const std::size_t start = pos_;
    const std::string statusLine = readLine("status line");
    // HTTP/1.x SSS[ reason]
    if (statusLine.size() < 12 || statusLine.compare(0, 7, "HTTP/1.") != 0 ||
        statusLine[8] != ' ' ||
        !std::all_of(statusLine.begin() + 9, statusLine.begin() + 12,
                     [](char c) { return c >= '0' && c <= '9'; }) ||
        (statusLine.size() > 12 && statusLine[12] != ' ')) {
      fail("malformed status line \"" + excerpt(statusLine) + "\"");
    }
    response.status = std::stoi(statusLine.substr(9, 3));
    for (;;) {
      const std::string line = readLine("response headers");
      if (line.empty()) {
        break;
      }
      if (pos_ - start > kMaxHeaderBytes) {
        fail("response headers larger than " + std::to_string(kMaxHeaderBytes) + " bytes");
      }
      response.headers.push_back(parseHeaderLine(line));
    }
  }

  std::pair<std::string, std::string> parseHeaderLine(std::string_view line) const {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || line.front() == ' ' ||
        line.front() == '\t') {
      fail("malformed header line \"" + excerpt(line) + "\"");
    }
    return {std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1)))};
  }

  std::size_t parseContentLength(std::string_view value) const {
    value = trim(value);
    if (value.empty() || value.size() > 15 ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      fail("invalid Content-Length \"" + excerpt(value) + "\"");
    }
    return static_cast<std::size_t>(std::stoull(std::string(value)));
  }

  void readSized(HttpResponse& response, std::size_t length) {
    need(length, "body (Content-Length " + std::to_string(length) + ")");
    response.body.assign(buf_, pos_, length);
    pos_ += length;
  }

  void readUntilClose(HttpResponse& response) {
    while (fill()) {
    }
    response.body.assign(buf_, pos_, std::string::npos);
    pos_ = buf_.size();
  }

  void readChunked(HttpResponse& response) {
    for (;;) {
      const std::string sizeLine = readLine("chunk size line");
      std::string_view digits = sizeLine;
      if (const auto semi = digits.find(';'); semi != std::string_view::npos) {
        digits = digits.substr(0, semi);  // chunk extensions are ignored
      }
      digits = trim(digits);
      std::size_t size = 0;
      if (digits.empty()) {
        fail("malformed chunk size line \"" + excerpt(sizeLine) + "\"");
      }
      for (char c : digits) {
        int v = -1;
        if (c >= '0' && c <= '9') {
          v = c - '0';
        } else if (lowerAscii(c) >= 'a' && lowerAscii(c) <= 'f') {
          v = lowerAscii(c) - 'a' + 10;
        }
        if (v < 0 || size > kMaxChunkSize) {
          fail("malformed chunk size line \"" + excerpt(sizeLine) + "\"");
        }
        size = size * 16 + static_cast<std::size_t>(v);
      }
      if (size == 0) {
        for (;;) {
          const std::string trailer = readLine("chunked trailer");
          if (trailer.empty()) {
            return;
          }
          response.headers.push_back(parseHeaderLine(trailer));
        }
      }
      need(size + 2, "chunk data");
      response.body.append(buf_, pos_, size);
      pos_ += size;
      if (buf_.compare(pos_, 2, "\r\n") != 0) {
        fail("chunk data not followed by CRLF");
      }
      pos_ += 2;
    }
  }

  std::string label_;
  int timeoutMs_;
  Clock::time_point deadline_;
  SocketFd fd_;
  std::string buf_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (equalsIgnoreCase(key, name)) {
      return value;
    }
  }
  return {};
}

HttpClient::HttpClient(std::string host, uint16_t port) : host_(std::move(host)), port_(port) {}

void HttpClient::setTimeoutMs(int timeoutMs) {
  if (timeoutMs <= 0) {
    throw std::invalid_argument("HttpClient::setTimeoutMs: timeout must be positive");
  }
  timeoutMs_ = timeoutMs;
}

HttpResponse HttpClient::request(std::string_view method, std::string_view target,
                                 const HeaderList& headers, std::string_view body) {
  std::string bytes;
  bytes.reserve(256 + body.size());
  bytes.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  if (!hasHeader(headers, "Host")) {
    const bool ipv6 = host_.find(':') != std::string::npos;
    bytes.append("Host: ")
        .append(ipv6 ? "[" + host_ + "]" : host_)
        .append(":")
        .append(std::to_string(port_))
        .append("\r\n");
  }
  if (!hasHeader(headers, "Connection")) {
    bytes.append("Connection: close\r\n");
  }
  for (const auto& [name, value] : headers) {
    bytes.append(name).append(": ").append(value).append("\r\n");
  }
  for (const auto& [name, value] : defaults_) {
    if (!hasHeader(headers, name)) bytes.append(name).append(": ").append(value).append("\r\n");
  }
  const bool bodyMethod = method == "POST" || method == "PUT" || method == "PATCH";
  if ((!body.empty() || bodyMethod) && !hasHeader(headers, "Content-Length") &&
      !hasHeader(headers, "Transfer-Encoding")) {
    bytes.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  bytes.append("\r\n").append(body);
  std::string label = std::string(method) + " http://" + host_ + ":" + std::to_string(port_);
  label.append(target);
  return exchange(label, bytes, method == "HEAD");
}

HttpResponse HttpClient::get(std::string_view target, const HeaderList& headers) {
  return request("GET", target, headers);
}

HttpResponse HttpClient::post(std::string_view target, std::string_view body,
                              std::string_view contentType, const HeaderList& headers) {
  HeaderList all = headers;
  if (!contentType.empty() && !hasHeader(headers, "Content-Type")) {
    all.emplace_back("Content-Type", std::string(contentType));
  }
  return request("POST", target, all, body);
}

HttpResponse HttpClient::put(std::string_view target, std::string_view body,
                             std::string_view contentType, const HeaderList& headers) {
  HeaderList all = headers;
  if (!contentType.empty() && !hasHeader(headers, "Content-Type")) {
    all.emplace_back("Content-Type", std::string(contentType));
  }
  return request("PUT", target, all, body);
}

HttpResponse HttpClient::del(std::string_view target, const HeaderList& headers) {
  return request("DELETE", target, headers);
}

HttpResponse HttpClient::raw(std::string_view bytes) {
  const std::string label = "raw request to " + host_ + ":" + std::to_string(port_);
  return exchange(label, bytes, bytes.substr(0, 5) == "HEAD ");
}

HttpResponse HttpClient::exchange(std::string_view label, std::string_view bytes,
                                  bool headRequest) {
  Exchange ex{std::string(label), timeoutMs_};
  ex.connectTo(host_, port_);
  const std::string sendError = ex.sendAll(bytes);
  if (sendError.empty()) {
    return ex.readResponse(headRequest);
  }
  // The server stopped reading early; it may still have answered (e.g. 413) before closing.
  try {
    return ex.readResponse(headRequest);
  } catch (const std::runtime_error&) {
    if (ex.receivedAny()) {
      throw;
    }
    ex.fail(sendError + ", and no response was received");
  }
}

std::string urlEncode(std::string_view value) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0x0f];
    }
  }
  return out;
}

}  // namespace mes::itest
