// A real HTTP server on loopback standing in for a remote API (Gravatar for the avatar
// proxy): answers every request with what `answer` returns and counts requests per target.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace codestats::test {

struct StubAnswer {
  int status = 200;
  std::string contentType = "application/octet-stream";
  std::string body;
  std::chrono::milliseconds delay{0};  // before answering (to make requests overlap)
};

class HttpStub {
 public:
  using Answer = std::function<StubAnswer(const std::string& target)>;

  explicit HttpStub(Answer answer) : answer_(std::move(answer)) {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true);
    socket.listen(64);
    port_ = socket.address().port();
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(32);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), pool_, socket, params);
    server_->start();
  }
  // Waits for the connection threads: one still answering after the test (or the process)
  // ended used freed memory (ASan, in Poco's error response at exit).
  ~HttpStub() {
    server_->stopAll(true);
    pool_.joinAll();
    server_.reset();
  }
  std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int hits(const std::string& target) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = hits_.find(target);
    return it == hits_.end() ? 0 : it->second;
  }
  int totalHits() {
    std::lock_guard<std::mutex> l(mu_);
    int n = 0;
    for (const auto& [t, h] : hits_) n += h;
    return n;
  }

 private:
  void handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    {
      std::lock_guard<std::mutex> l(mu_);
      ++hits_[req.getURI()];
    }
    StubAnswer a = answer_(req.getURI());
    if (a.delay.count()) std::this_thread::sleep_for(a.delay);
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(a.status));
    resp.setContentType(a.contentType);
    resp.sendBuffer(a.body.data(), a.body.size());
  }
  struct Handler : Poco::Net::HTTPRequestHandler {
    HttpStub* self;
    explicit Handler(HttpStub* s) : self(s) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
      self->handle(req, resp);
    }
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    HttpStub* self;
    explicit Factory(HttpStub* s) : self(s) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Handler(self);
    }
  };
  Answer answer_;
  int port_ = 0;
  std::mutex mu_;
  std::map<std::string, int> hits_;
  Poco::ThreadPool pool_{2, 32};  // this stub's own, joined before the server goes
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace codestats::test
