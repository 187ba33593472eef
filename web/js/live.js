// The WebSocket: one connection per signed-in session carries the frames of all the user's groups.
// It reconnects after a drop (with a growing pause) and tells the app, which then catches up with
// `after_seq`; a ping every few minutes keeps API Gateway from closing an idle socket.
// A browser never sees why a handshake failed (the 429 of the per-user connection limit looks like a
// network error), so when one fails while the REST API answers, the server refused it: most likely
// too many connections. Those retries back off much further.

const PING_SECONDS = 240;
const RETRY_SECONDS = [0.5, 1, 2, 5, 10, 15];
const REFUSED_RETRY_SECONDS = [30, 60, 120, 300];

export class Live {
  #socket = null;
  #stopped = true;
  #failures = 0;
  #refusals = 0;
  #pinger = null;
  #retry = null;

  /**
   * handlers: onItem(item), onRevoked(frame), onOpen(), onStatus("connecting" | "live" | "offline" | "refused",
   * seconds to the next try when refused), apiAnswers(): a promise of whether the REST API accepts this user now.
   */
  constructor(url, tokenOf, handlers) {
    this.url = url;
    this.tokenOf = tokenOf;
    this.handlers = handlers;
  }

  start() {
    this.#stopped = false;
    this.#failures = 0;
    this.#refusals = 0;
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
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      this.#failures = 0;
      this.#refusals = 0;
      this.handlers.onStatus("live");
      clearInterval(this.#pinger);
      this.#pinger = setInterval(() => socket.send(JSON.stringify({ action: "ping" })), PING_SECONDS * 1000);
      this.handlers.onOpen();
    });
    socket.addEventListener("message", (event) => this.#frame(event.data));
    socket.addEventListener("close", async () => {
      if (this.#socket !== socket) return;
      clearInterval(this.#pinger);
      this.handlers.onStatus("offline");
      const refused = !opened && !this.#stopped && (await this.handlers.apiAnswers());
      if (this.#stopped || this.#socket !== socket) return;
      let pause;
      if (refused) {
        pause = REFUSED_RETRY_SECONDS[Math.min(this.#refusals, REFUSED_RETRY_SECONDS.length - 1)];
        this.#refusals += 1;
        this.handlers.onStatus("refused", pause);
      } else {
        pause = RETRY_SECONDS[Math.min(this.#failures, RETRY_SECONDS.length - 1)];
        this.#failures += 1;
      }
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
