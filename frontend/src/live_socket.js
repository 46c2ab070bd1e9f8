// The Phoenix socket every live page shares. The page carries the signed channel token of
// the logged-in user (spec §6.1) in <meta name="channel_token">; without it the socket is
// anonymous and may only join public topics.
import { Socket } from "phoenix";

let socket = null;

export function liveSocket() {
  if (socket) return socket;
  const meta = document.querySelector('meta[name="channel_token"]');
  const params = meta && meta.content ? { token: meta.content } : {};
  socket = new Socket("/live_update_socket", { params });
  socket.connect();
  return socket;
}
