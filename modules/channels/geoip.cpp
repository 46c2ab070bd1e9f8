#include "geoip.hpp"

#include <maxminddb.h>

#include <stdexcept>

namespace channels {

struct GeoIp::Db {
  MMDB_s mmdb{};
};

GeoIp::GeoIp(const std::string& path) : db_(std::make_unique<Db>()) {
  int rc = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db_->mmdb);
  if (rc != MMDB_SUCCESS) throw std::runtime_error("cannot open GeoIP database '" + path + "': " + MMDB_strerror(rc));
}

GeoIp::~GeoIp() { MMDB_close(&db_->mmdb); }

std::optional<std::pair<double, double>> GeoIp::lookup(const std::string& ip) const {
  int gaiError = 0, mmdbError = 0;
  MMDB_lookup_result_s r = MMDB_lookup_string(&db_->mmdb, ip.c_str(), &gaiError, &mmdbError);
  if (gaiError != 0 || mmdbError != MMDB_SUCCESS || !r.found_entry) return std::nullopt;
  auto number = [&](const char* const* path) -> std::optional<double> {
    MMDB_entry_data_s data{};
    if (MMDB_aget_value(&r.entry, &data, path) != MMDB_SUCCESS || !data.has_data) return std::nullopt;
    if (data.type == MMDB_DATA_TYPE_DOUBLE) return data.double_value;
    if (data.type == MMDB_DATA_TYPE_FLOAT) return static_cast<double>(data.float_value);
    return std::nullopt;
  };
  static const char* const kLat[] = {"location", "latitude", nullptr};
  static const char* const kLon[] = {"location", "longitude", nullptr};
  static const char* const kFlatLat[] = {"latitude", nullptr};
  static const char* const kFlatLon[] = {"longitude", nullptr};
  auto lat = number(kLat), lon = number(kLon);
  if (!lat || !lon) {
    lat = number(kFlatLat);
    lon = number(kFlatLon);
  }
  if (!lat || !lon) return std::nullopt;
  return std::make_pair(*lat, *lon);
}

}  // namespace channels
