// The WebSocket: one connection per signed-in session carries the frames of all the user's groups.
// It reconnects after a drop (with a growing pause) and tells the app, which then catches up with
// `after_seq`; a ping every few minutes keeps API Gateway from closing an idle socket.

const PING_SECONDS = 240;
const RETRY_SECONDS = [0.5, 1, 2, 5, 10, 15];

export class Live {
  #socket = null;
  #stopped = true;
  #failures = 0;
  #pinger = null;
  #retry = null;

  /** handlers: onItem(item), onRevoked(frame), onOpen(), onStatus("connecting" | "live" | "offline") */
  constructor(url, tokenOf, handlers) {
    this.url = url;
    this.tokenOf = tokenOf;
    this.handlers = handlers;
  }

  start() {
    this.#stopped = false;
    this.#connect();
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#retry);
    clearInterval(this.#pinger);
    this.#socket?.close(1000);
    this.#socket = null;
    this.handlers.onStatus("offline");
  }

  #connect() {
    const token = this.tokenOf();
    if (this.#stopped || !this.url || !token) return;
    this.handlers.onStatus("connecting");
    const socket = new WebSocket(`${this.url}?token=${encodeURIComponent(token)}`);
    this.#socket = socket;
    socket.addEventListener("open", () => {
      this.#failures = 0;
      this.handlers.onStatus("live");
      clearInterval(this.#pinger);
      this.#pinger = setInterval(() => socket.send(JSON.stringify({ action: "ping" })), PING_SECONDS * 1000);
      this.handlers.onOpen();
    });
    socket.addEventListener("message", (event) => this.#frame(event.data));
    socket.addEventListener("close", () => {
      if (this.#socket !== socket) return;
      clearInterval(this.#pinger);
      this.handlers.onStatus("offline");
      if (this.#stopped) return;
      const pause = RETRY_SECONDS[Math.min(this.#failures, RETRY_SECONDS.length - 1)];
      this.#failures += 1;
      this.#retry = setTimeout(() => this.#connect(), pause * 1000);
    });
  }

  #frame(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.type === "message" || frame.type === "notice") this.handlers.onItem(frame);
    else if (frame.type === "batch") frame.items.forEach((item) => this.handlers.onItem(item));
    else if (frame.type === "revoked") this.handlers.onRevoked(frame);
  }
}
