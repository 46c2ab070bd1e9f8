#include "admin/admin_server.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/ServerSocketImpl.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "config/config.hpp"
#include "http/path_normalizer.hpp"
#include "runtime/module_manager.hpp"
#include "runtime/module_name.hpp"
#include "runtime/module_table.hpp"
#include "services/metrics.hpp"
#include "util/thread_priority.hpp"

namespace codestats::host {
namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

constexpr size_t kMaxAdminBody = 1 << 20;

void reply(HTTPServerResponse& resp, int status, const std::string& body,
           const std::string& type = "application/json") {
  resp.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status));
  resp.setContentType(type);
  resp.sendBuffer(body.data(), body.size());
}

// reply(), but on the wire when it returns: Poco's sendBuffer leaves the bytes in the
// response's stream buffer until the handler returns, and after an upgrade's answer the
// host may stop this server (shutting its connections down) before that.
void replyAndFlush(HTTPServerResponse& resp, int status, const std::string& body) {
  resp.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status));
  resp.setContentType("application/json");
  resp.setContentLength(static_cast<std::streamsize>(body.size()));
  std::ostream& out = resp.send();
  out << body;
  out.flush();
}

std::string errorJson(const std::string& msg) {
  Poco::JSON::Object o;
  o.set("error", msg);
  std::ostringstream s;
  o.stringify(s);
  return s.str();
}

std::string resultJson(const OperationResult& r) {
  Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
  o.set("outcome", r.outcome);
  o.set("module", r.module);
  if (r.generation) o.set("generation", r.generation);
  if (r.previousGeneration) o.set("previous_generation", r.previousGeneration);
  if (!r.version.empty()) o.set("version", r.version);
  if (r.drainMs >= 0) o.set("drain_ms", r.drainMs);
  if (!r.message.empty()) o.set(r.httpStatus >= 400 ? "error" : "message", r.message);
  std::ostringstream s;
  o.stringify(s);
  return s.str();
}

Poco::JSON::Object::Ptr parseBody(HTTPServerRequest& req) {
  std::string body;
  if (req.getContentLength64() > static_cast<int64_t>(kMaxAdminBody)) throw std::invalid_argument("body too large");
  Poco::StreamCopier::copyToString(req.stream(), body, kMaxAdminBody + 1);
  if (body.size() > kMaxAdminBody) throw std::invalid_argument("body too large");
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return new Poco::JSON::Object;
  Poco::JSON::Parser parser;
  auto v = parser.parse(body);
  auto obj = v.extract<Poco::JSON::Object::Ptr>();
  if (!obj) throw std::invalid_argument("body must be a JSON object");
  return obj;
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(AdminContext& c) : c_(c) {}

  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
    lowerThreadPriority();  // loading a module must not steal CPU from serving
    try {
      if (!tokenMatches(c_.token, req.get("Authorization", ""))) {
        resp.set("WWW-Authenticate", "Bearer");
        reply(resp, 401, errorJson("unauthorized: send Authorization: Bearer <admin token>"));
        return;
      }
      route(req, resp);
    } catch (const Poco::Exception& e) {
      if (!resp.sent()) reply(resp, 400, errorJson(e.displayText()));
    } catch (const std::invalid_argument& e) {
      if (!resp.sent()) reply(resp, 400, errorJson(e.what()));
    } catch (const std::exception& e) {
      spdlog::error("[admin] {} {} failed: {}", req.getMethod(), req.getURI(), e.what());
      if (!resp.sent()) reply(resp, 500, errorJson(e.what()));
    }
  }

 private:
  void route(HTTPServerRequest& req, HTTPServerResponse& resp) {
    auto target = splitTarget(req.getURI());
    if (!target) return reply(resp, 400, errorJson("bad request target"));
    const std::string& path = target->path;
    const std::string& method = req.getMethod();
    std::vector<std::string> seg;
    {
      std::stringstream ss(path.substr(1));
      std::string part;
      while (std::getline(ss, part, '/')) seg.push_back(part);
    }
    auto is = [&](const char* m, size_t n) { return method == m && seg.size() == n; };

    if (path == "/metrics" && method == "GET")
      return reply(resp, 200, c_.metrics.renderPrometheus() + (c_.gauges ? c_.gauges() : std::string()),
                   "text/plain; version=0.0.4");
    if (seg.empty() || seg[0] != "admin") return reply(resp, 404, errorJson("not found"));

    if (is("GET", 2) && seg[1] == "modules") return reply(resp, 200, c_.manager.describeJson());
    if (is("GET", 3) && seg[1] == "modules") {
      // load, reload and unload get the same 400 from the module manager
      if (!isValidModuleName(seg[2])) return reply(resp, 400, errorJson(invalidModuleNameMessage(seg[2])));
      std::string json = c_.manager.describeJson(seg[2]);
      if (json.find("\"name\"") == std::string::npos) return reply(resp, 404, errorJson("unknown module " + seg[2]));
      return reply(resp, 200, json);
    }
    if (is("POST", 2) && seg[1] == "upgrade") {
      if (!c_.upgrade) return reply(resp, 404, errorJson("not found"));
      auto body = parseBody(req);
      auto r = c_.upgrade(body->optValue<std::string>("binary", ""));
      resp.setKeepAlive(false);  // this host may be about to exit
      replyAndFlush(resp, r.status, r.json);
      if (r.then) r.then();
      return;
    }
    if (is("POST", 3) && seg[1] == "modules" && seg[2] == "load") {
      auto body = parseBody(req);
      std::string name = body->optValue<std::string>("name", "");
      if (name.empty()) return reply(resp, 400, errorJson("\"name\" is required"));
      auto r = c_.manager.load(name, body->optValue<std::string>("artifact", ""));
      return reply(resp, r.httpStatus, resultJson(r));
    }
    if (is("POST", 4) && seg[1] == "modules" && seg[3] == "reload") {
      auto body = parseBody(req);
      auto r =
          c_.manager.reload(seg[2], body->optValue<std::string>("artifact", ""), body->optValue<bool>("wait", false));
      return reply(resp, r.httpStatus, resultJson(r));
    }
    if (is("POST", 4) && seg[1] == "modules" && seg[3] == "unload") {
      auto r = c_.manager.unload(seg[2]);
      return reply(resp, r.httpStatus, resultJson(r));
    }
    if (is("POST", 2) && seg[1] == "reconcile") return reply(resp, 200, c_.reconcile());
    if (is("GET", 2) && seg[1] == "commands") {
      Poco::JSON::Array list;
      for (const auto& c : c_.table.commands()) {
        Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
        o.set("name", c.name);
        o.set("module", c.module);
        o.set("help", c.help);
        list.add(o);
      }
      Poco::JSON::Object root;
      root.set("commands", list);
      std::ostringstream s;
      root.stringify(s);
      return reply(resp, 200, s.str());
    }
    if (is("POST", 3) && seg[1] == "commands") {
      auto body = parseBody(req);
      std::vector<std::string> args;
      if (auto arr = body->getArray("args")) {
        for (size_t i = 0; i < arr->size(); ++i) {
          if (!arr->get(i).isString()) throw std::invalid_argument("\"args\" must be an array of strings");
          args.push_back(arr->getElement<std::string>(static_cast<unsigned>(i)));
        }
      }
      std::string out, err;
      cs_status rc = c_.table.runCommand(seg[2], args, out, err);
      Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
      o.set("command", seg[2]);
      o.set("output", out);
      int status = 200;
      if (rc != CS_OK) {
        o.set("error", err.empty() ? "command failed with status " + std::to_string(rc) : err);
        status = rc == CS_E_NOT_FOUND ? 404 : rc == CS_E_UNAVAILABLE ? 503 : rc == CS_E_INVALID ? 400 : 500;
      }
      std::ostringstream s;
      o.stringify(s);
      return reply(resp, status, s.str());
    }
    reply(resp, 404, errorJson("not found: " + method + " " + path));
  }

  AdminContext& c_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(std::shared_ptr<AdminContext> c) : c_(std::move(c)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override { return new Handler(*c_); }

 private:
  std::shared_ptr<AdminContext> c_;
};

}  // namespace

namespace {

// Poco 1.11 makes a ServerSocket from a descriptor only through these protected members.
class InheritedServerSocketImpl : public Poco::Net::ServerSocketImpl {
 public:
  explicit InheritedServerSocketImpl(int fd) { reset(fd); }
};

class InheritedServerSocket : public Poco::Net::ServerSocket {
 public:
  explicit InheritedServerSocket(int fd) : ServerSocket(new InheritedServerSocketImpl(fd), true) {}
};

}  // namespace

bool tokenMatches(const std::string& expected, const std::string& header) {
  const std::string prefix = "Bearer ";
  if (expected.empty() || header.size() < prefix.size() || header.compare(0, prefix.size(), prefix) != 0) return false;
  std::string_view presented(header.data() + prefix.size(), header.size() - prefix.size());
  // Length leaks nothing useful: tokens are fixed-length random strings.
  if (presented.size() != expected.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < expected.size(); ++i) diff |= static_cast<unsigned char>(presented[i] ^ expected[i]);
  return diff == 0;
}

AdminServer::AdminServer(const HostConfig& config, AdminContext context, int inheritedListenFd) {
  auto ctx = std::make_shared<AdminContext>(std::move(context));
  auto params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(8);
  params->setKeepAlive(true);
  params->setTimeout(Poco::Timespan(120, 0));  // reload with wait=true may take a drain timeout
  Poco::Net::ServerSocket socket;
  if (inheritedListenFd >= 0) {
    socket = InheritedServerSocket(inheritedListenFd);
  } else {
    socket.bind(Poco::Net::SocketAddress(config.adminHost, static_cast<uint16_t>(config.adminPort)), true);
    socket.listen(64);
  }
  listenFd_ = socket.impl()->sockfd();
  threads_ = std::make_unique<Poco::ThreadPool>(1, 8, 60);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(ctx), *threads_, socket, params);
}

AdminServer::~AdminServer() {
  stop();
  server_.reset();
  if (threads_) threads_->joinAll();
}

void AdminServer::start() { server_->start(); }

void AdminServer::stopAccepting() {
  if (server_) server_->stop();
}

void AdminServer::stop() {
  if (server_) server_->stopAll(true);
}

uint16_t AdminServer::port() const { return server_->port(); }

}  // namespace codestats::host
