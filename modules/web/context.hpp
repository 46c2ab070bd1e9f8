// One request's state (Ctx), the user it is for, and the rules a page declares (Access,
// Format). Built by App::handle, passed to every handler.
#pragma once

#include <codestats/sdk.hpp>
#include <kainjow/mustache.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "forms.hpp"

namespace codestats::web {

using Data = kainjow::mustache::basic_data<std::string>;

struct User {
  int64_t id = 0;
  std::string username;
  std::optional<std::string> email, gravatarEmail, passwordHash;
  bool privateProfile = false;
  std::string termsVersion;
  int64_t insertedAt = 0;
};

struct Flash {
  std::string kind;  // info | success | error
  std::string text;
};

// One request's state. Built by App::handle, passed to every handler.
struct Ctx {
  const Request& req;
  Response& resp;
  std::string method;  // after the _method override
  Form query, form;
  std::optional<User> user;
  std::string sessionHash;  // SHA-256 of the session cookie; empty = no session yet
  std::string csrf;
  std::vector<Flash> flashes;  // shown on the next rendered page
  std::vector<std::string> cookies;

  std::optional<std::string> field(const std::string& name) const;  // form field
  std::string clientIp() const;
};

enum class Access { Anyone, LoggedIn, LoggedOut };
enum class Format { Html, Csv };

}  // namespace codestats::web
