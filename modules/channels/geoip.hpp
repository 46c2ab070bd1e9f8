// Client coordinates for the front page map, from a MaxMind-format database (libmaxminddb).
// Reads MaxMind's layout (location.latitude) and DB-IP's flat one (latitude).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace channels {

class GeoIp {
 public:
  // Throws std::runtime_error naming the file when it cannot be opened.
  explicit GeoIp(const std::string& path);
  ~GeoIp();
  GeoIp(const GeoIp&) = delete;
  GeoIp& operator=(const GeoIp&) = delete;

  // (lat, lon) for an IPv4/IPv6 address, or nullopt (unknown, no location, malformed).
  std::optional<std::pair<double, double>> lookup(const std::string& ip) const;

 private:
  struct Db;
  std::unique_ptr<Db> db_;
};

}  // namespace channels
