#include "runtime/module_table.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "abi/exchange.hpp"
#include "services/metrics.hpp"

namespace codestats::host {

std::shared_ptr<const ModuleTable::Slots> ModuleTable::snapshot() const {
  auto out = std::make_shared<Slots>();
  for (size_t i = 0, n = count(); i < n; ++i) out->push_back(slots_[i]);
  return out;
}

ModuleSlotPtr ModuleTable::find(std::string_view name) const {
  for (size_t i = 0, n = count(); i < n; ++i)
    if (slots_[i]->name == name) return slots_[i];
  return nullptr;
}

void ModuleTable::add(ModuleSlotPtr slot) {
  size_t n = count_.load(std::memory_order_relaxed);
  if (n == kMaxModules) throw std::runtime_error("too many modules (at most " + std::to_string(kMaxModules) + ")");
  slots_[n] = std::move(slot);
  count_.store(n + 1, std::memory_order_release);
}

RouteResult ModuleTable::route(std::string_view method, const PathSegments& path, RouteMatch& out,
                               std::string& allow) const {
  int best = -1;
  bool pathMatched = false;  // by a route (not a fallback) for other methods
  RouteParams params;
  for (size_t i = 0, n = count(); i < n; ++i) {
    GenerationPtr lease = slots_[i]->current.load();
    if (!lease) continue;
    for (const auto& r : lease->routes) {
      auto score = r.pattern.match(path, params);
      if (!score) continue;
      bool methodOk = r.method == "*" || r.method == method || (method == "HEAD" && r.method == "GET");
      if (!methodOk) {
        if (r.pattern.fallback()) continue;  // a fallback for some methods: the others stay 404
        pathMatched = true;
        if (allow.find(r.method) == std::string::npos) allow += (allow.empty() ? "" : ", ") + r.method;
        continue;
      }
      // an exact method beats "*"; a HEAD route beats GET for HEAD
      int s = *score * 4 + (r.method == method ? 2 : 0);
      if (s > best) {
        best = s;
        out.lease = lease;
        out.route = &r;
        out.params.swap(params);
      }
    }
  }
  // A fallback answers only paths no route knows: a known path with another method is a 405.
  if (best >= 0 && !(pathMatched && out.route->pattern.fallback())) return RouteResult::Found;
  out = RouteMatch{};
  return pathMatched ? RouteResult::MethodNotAllowed : RouteResult::NotFound;
}

void ModuleTable::deliver(const std::string& module, uint64_t seq, std::string_view topic, std::string_view payload,
                          Metrics& metrics) const {
  ModuleSlotPtr slot = find(module);
  GenerationPtr gen = slot ? slot->current.load() : nullptr;  // the lease for the delivery
  if (!gen) return;
  const cs_str t{topic.data(), topic.size()}, p{payload.data(), payload.size()};
  for (const auto& s : gen->subscriptions) {
    if (!topicMatches(s.pattern, topic)) continue;
    cs_buf err;
    cs_status rc = CS_E_MODULE;
    try {
      rc = s.seqFn ? s.seqFn(s.ud, seq, t, p, &err) : s.fn(s.ud, t, p, &err);
    } catch (...) {
      err.data = "exception escaped the module boundary";
    }
    if (rc != CS_OK) {
      metrics.counter("codestats_event_failures_total", Metrics::label("module", gen->module))++;
      uint64_t suppressed = 0;
      if (eventFailures_.allow(suppressed))
        spdlog::warn("{} event '{}' (#{}) failed ({} similar lines left out): {}", gen->logPrefix(), topic, seq,
                     suppressed, err.data);
    }
  }
}

cs_status ModuleTable::callService(std::string_view name, uint32_t major, std::string_view method,
                                   std::string_view request, cs_buf* out, cs_buf* err) const {
  for (size_t i = 0, n = count(); i < n; ++i) {
    GenerationPtr lease = slots_[i]->current.load();
    if (!lease) continue;
    for (const auto& s : lease->services) {
      if (s.name != name || s.major != major) continue;
      try {
        return s.fn(s.ud, cs_str{method.data(), method.size()}, cs_str{request.data(), request.size()}, out, err);
      } catch (...) {
        err->data = "exception escaped the module boundary";
        return CS_E_MODULE;
      }
    }
  }
  err->data = "no module provides service " + std::string(name) + "@" + std::to_string(major);
  return CS_E_UNAVAILABLE;
}

cs_status ModuleTable::runCommand(std::string_view name, const std::vector<std::string>& args, std::string& out,
                                  std::string& err) const {
  size_t dot = name.find('.');
  if (dot == std::string_view::npos) {
    err = "command names look like <module>.<command>";
    return CS_E_NOT_FOUND;
  }
  auto slot = find(name.substr(0, dot));
  GenerationPtr lease = slot ? slot->current.load() : nullptr;
  if (!lease) {
    err = "module '" + std::string(name.substr(0, dot)) + "' is not loaded";
    return CS_E_UNAVAILABLE;
  }
  for (const auto& c : lease->commands) {
    if (c.name != name) continue;
    std::vector<cs_str> argv;
    for (const auto& a : args) argv.push_back(cs_str{a.data(), a.size()});
    cs_buf o, e;
    cs_status rc = CS_E_MODULE;
    try {
      rc = c.fn(c.ud, argv.data(), argv.size(), &o, &e);
    } catch (...) {
      e.data = "exception escaped the module boundary";
    }
    out = std::move(o.data);
    err = std::move(e.data);
    return rc;
  }
  err = "unknown command '" + std::string(name) + "'";
  return CS_E_NOT_FOUND;
}

std::vector<CommandInfo> ModuleTable::commands() const {
  std::vector<CommandInfo> all;
  for (size_t i = 0, n = count(); i < n; ++i) {
    GenerationPtr lease = slots_[i]->current.load();
    if (!lease) continue;
    for (const auto& c : lease->commands) all.push_back({c.name, c.help, slots_[i]->name});
  }
  return all;
}

}  // namespace codestats::host
