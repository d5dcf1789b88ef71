// The HTTP server adapter: the only code in the gateway that includes cpprestsdk. It turns a
// wire request into a plain mes::http::Request, calls one Handler, and writes the Response.
//
// Bodies are read asynchronously in chunks; a body over maxBodyBytes is drained and dropped
// (memory stays bounded) and the Request reaches the handler with bodyTooLarge set, so the
// handler answers 413 in the project's error format.
//
// Streaming: when ServerOptions::openStream is set, it is asked, once the head of a request
// with a body has arrived, whether that body should be streamed (a BodyStream, message.h). A
// streamed body is handed over chunk by chunk as it is read (at most 64 KiB at a time, the
// next chunk read only once the stream took the previous one) and never buffered whole; its
// limit is the stream's, not maxBodyBytes. A Content-Length over that limit is refused from the
// head, before any byte reaches the stream. A refused or failed stream still has its body read
// and dropped, because the HTTP library sends a response only once the request was read; the
// connection is then closed.
//
// Responses: a Response with a BodySource is sent with its Content-Length and pulled 64 KiB at
// a time as the connection drains, instead of from one string.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "gateway/http/message.h"

namespace mes::http {

using Handler = std::function<Response(Request&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  size_t maxBodyBytes = 1 << 20;
  size_t threads = 8;              // worker threads of the HTTP library's pool (set once per process)
  int idleTimeoutSeconds = 60;     // a request whose body does not arrive in time is dropped
  // Answer given to requests that arrive while the server drains (e.g. a 503).
  std::function<Response()> drainingResponse;
  // Optional: which request bodies are streamed (see the file comment).
  StreamOpener openStream;
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting. kUnavailable with the reason when the address cannot be bound.
  Status start();
  // Graceful stop: requests arriving from now get drainingResponse (Connection: close); waits up
  // to `grace` for in-flight requests to finish (their responses are fully written), then closes
  // every connection. Returns the number of requests still in flight when the grace ran out.
  size_t shutdown(std::chrono::milliseconds grace);
  size_t inFlight() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace mes::http
