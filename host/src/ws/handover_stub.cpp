// TEMPORARY until the ws-handover branch lands
#include <unistd.h>

#include "ws/channel_hub.hpp"

namespace codestats::host {
std::vector<ChannelHub::DetachedSocket> ChannelHub::detachAll(std::chrono::milliseconds) { return {}; }
bool ChannelHub::adopt(int fd, std::string_view) {
  ::close(fd);
  return false;
}
}  // namespace codestats::host
