#include "state_codec.hpp"

#include <cstring>
#include <stdexcept>

namespace codestats::cache {
namespace {

class Writer {
 public:
  void u8(uint8_t v) { out.push_back(static_cast<char>(v)); }
  void i64(int64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void i32(int32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(std::string_view s) {
    i64(static_cast<int64_t>(s.size()));
    out.append(s);
  }
  template <typename T>
  void raw(const std::vector<T>& v) {
    i64(static_cast<int64_t>(v.size()));
    out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  std::string out;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  uint8_t u8() { return static_cast<uint8_t>(take(1)[0]); }
  int64_t i64() { return pod<int64_t>(); }
  int32_t i32() { return pod<int32_t>(); }
  std::string str() { return std::string(take(count(1))); }
  template <typename T>
  std::vector<T> raw() {
    size_t n = count(sizeof(T));
    std::vector<T> v(n);
    if (n) std::memcpy(static_cast<void*>(v.data()), take(n * sizeof(T)).data(), n * sizeof(T));
    return v;
  }
  size_t count(size_t elementSize) {
    int64_t n = i64();
    if (n < 0 || static_cast<uint64_t>(n) * elementSize > in_.size() - pos_)
      throw std::runtime_error("cache state: bad length");
    return static_cast<size_t>(n);
  }
  bool done() const { return pos_ == in_.size(); }

 private:
  template <typename T>
  T pod() {
    T v;
    std::memcpy(&v, take(sizeof v).data(), sizeof v);
    return v;
  }
  std::string_view take(size_t n) {
    if (n > in_.size() - pos_) throw std::runtime_error("cache state: truncated");
    auto s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string_view in_;
  size_t pos_ = 0;
};

void writeCounts(Writer& w, const std::vector<std::pair<int64_t, int64_t>>& c) { w.raw(c); }

void writeMinutes(Writer& w, const std::vector<std::pair<int64_t, std::vector<std::pair<int64_t, int64_t>>>>& m) {
  w.i64(static_cast<int64_t>(m.size()));
  for (const auto& [minute, langs] : m) {
    w.i64(minute);
    writeCounts(w, langs);
  }
}

std::vector<std::pair<int64_t, std::vector<std::pair<int64_t, int64_t>>>> readMinutes(Reader& r) {
  std::vector<std::pair<int64_t, std::vector<std::pair<int64_t, int64_t>>>> m(r.count(8));
  for (auto& [minute, langs] : m) {
    minute = r.i64();
    langs = r.raw<std::pair<int64_t, int64_t>>();
  }
  return m;
}

}  // namespace

std::string encodeFull(const FullState& s) {
  Writer w;
  w.u8('F');
  w.u8(s.warmupDone ? 1 : 0);
  w.i64(static_cast<int64_t>(s.users.size()));
  for (const auto& u : s.users) {
    w.i64(u.id);
    w.str(u.username);
    w.u8(u.isPrivate ? 1 : 0);
    w.i64(u.insertedAt);
    w.u8(u.avatar ? 1 : 0);
  }
  w.i64(static_cast<int64_t>(s.languages.size()));
  for (const auto& [id, name] : s.languages) {
    w.i64(id);
    w.str(name);
  }
  w.i64(static_cast<int64_t>(s.warm.size()));
  for (const auto& a : s.warm) {
    w.i64(a.userId);
    w.i64(a.total);
    w.i64(a.lastPulseAt);
    w.i64(a.rebuiltAt);
    w.i64(a.lastUsed);
    w.i64(static_cast<int64_t>(a.appliedSeq));
    writeCounts(w, a.languages);
    writeCounts(w, a.machines);
    w.raw(a.days);
    for (int64_t h : a.hours) w.i64(h);
    w.raw(a.recent);
    w.i64(static_cast<int64_t>(a.machineInfo.size()));
    for (const auto& m : a.machineInfo) {
      w.i64(m.id);
      w.str(m.name);
      w.u8(m.active ? 1 : 0);
    }
  }
  const auto& f = s.frontpage;
  w.u8(f.loaded ? 1 : 0);
  w.i64(f.total);
  writeMinutes(w, f.minutes);
  writeMinutes(w, f.capped);
  writeCounts(w, f.seen);
  w.i64(static_cast<int64_t>(f.appliedSeq));
  return std::move(w.out);
}

std::string encodeJournal(const Journal& j) {
  Writer w;
  w.u8('J');
  w.i64(static_cast<int64_t>(j.size()));
  for (const auto& e : j) {
    w.i64(static_cast<int64_t>(e.seq));
    w.str(e.topic);
    w.str(e.payload);
  }
  return std::move(w.out);
}

DecodedState decodeState(std::string_view blob) {
  Reader r(blob);
  DecodedState d;
  uint8_t kind = r.u8();
  if (kind == 'J') {
    d.isJournal = true;
    d.journal.resize(r.count(24));
    for (auto& e : d.journal) {
      e.seq = static_cast<uint64_t>(r.i64());
      e.topic = r.str();
      e.payload = r.str();
    }
  } else if (kind == 'F') {
    FullState& s = d.full;
    s.warmupDone = r.u8() != 0;
    s.users.resize(r.count(17));
    for (auto& u : s.users) {
      u.id = r.i64();
      u.username = r.str();
      u.isPrivate = r.u8() != 0;
      u.insertedAt = r.i64();
      u.avatar = r.u8() != 0;
    }
    s.languages.resize(r.count(16));
    for (auto& [id, name] : s.languages) {
      id = r.i64();
      name = r.str();
    }
    s.warm.resize(r.count(40));
    for (auto& a : s.warm) {
      a.userId = r.i64();
      a.total = r.i64();
      a.lastPulseAt = r.i64();
      a.rebuiltAt = r.i64();
      a.lastUsed = r.i64();
      a.appliedSeq = a.baseSeq = static_cast<uint64_t>(r.i64());
      a.languages = r.raw<std::pair<int64_t, int64_t>>();
      a.machines = r.raw<std::pair<int64_t, int64_t>>();
      a.days = r.raw<std::pair<int32_t, int64_t>>();
      for (int64_t& h : a.hours) h = r.i64();
      a.recent = r.raw<RecentXp>();
      a.machineInfo.resize(r.count(17));
      for (auto& m : a.machineInfo) {
        m.id = r.i64();
        m.name = r.str();
        m.active = r.u8() != 0;
      }
    }
    auto& f = s.frontpage;
    f.loaded = r.u8() != 0;
    f.total = r.i64();
    f.minutes = readMinutes(r);
    f.capped = readMinutes(r);
    f.seen = r.raw<std::pair<int64_t, int64_t>>();
    f.appliedSeq = static_cast<uint64_t>(r.i64());
  } else {
    throw std::runtime_error("cache state: unknown kind");
  }
  if (!r.done()) throw std::runtime_error("cache state: trailing bytes");
  return d;
}

}  // namespace codestats::cache
