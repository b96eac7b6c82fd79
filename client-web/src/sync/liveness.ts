// Honest connection state (issue 16 item 5): a dropped network is shown within 2 s, not after the
// 15–30 s a WebSocket takes to notice by itself.
//
// Two signals. The browser's `offline` / `online` events (the device lost its network: Wi-Fi off,
// flight mode). And a liveness check for a network that drops without the browser knowing (a
// Wi-Fi that stops passing packets): the server pings at the WebSocket level (`--ping-interval-ms`,
// 15 s), but a page never sees those pings, so when a link has been quiet for a moment this sends a
// small probe the server always answers — a y-websocket sync step 1 of the control document, whose
// answer is a step 2 of what the page lacks (nothing, in a quiet room: a few bytes). A probe left
// unanswered for `DEAD_AFTER_MS` means the connection is gone: the links are closed (y-websocket
// then removes the others' presence on this page, their "… skriver" with it, and reconnects with
// its backoff) and the page says "Offline" at once.
import * as Y from 'yjs';
import type { WebsocketProvider } from 'y-websocket';

/** How often the check runs. */
const TICK_MS = 200;
/** A link quiet this long gets a probe. */
export const PROBE_AFTER_MS = 600;
/** A probe unanswered this long: the connection is gone (worst case from the drop: ~1.8 s). */
export const DEAD_AFTER_MS = 1000;
/** A socket still opening after this long (a silent network never fails it) is tried again. */
const CONNECT_TIMEOUT_MS = 8000;

/** What the check needs of a link (sync/room.ts `DocLink`). */
export interface Probed {
  provider: WebsocketProvider;
  stopped: boolean;
}

/** A y-websocket sync step 1 (message 0, step 0, the state vector as a byte string). */
function syncStep1(doc: Y.Doc): Uint8Array<ArrayBuffer> {
  const sv = Y.encodeStateVector(doc);
  const out: number[] = [0, 0];
  let n = sv.length;
  while (n > 0x7f) {
    out.push(0x80 | (n & 0x7f));
    n >>>= 7;
  }
  out.push(n);
  const bytes = new Uint8Array(out.length + sv.length);
  bytes.set(out);
  bytes.set(sv, out.length);
  return bytes;
}

export class Liveness {
  /** The browser says the device has no network (`navigator.onLine` false). */
  browserOffline = typeof navigator !== 'undefined' && navigator.onLine === false;
  private probeSentAt = 0;
  private openingSince = new WeakMap<WebsocketProvider, number>();
  /** Links closed because the browser went offline: opened again when it is back. */
  private paused = new WeakSet<WebsocketProvider>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly onOffline = () => this.setBrowserOffline(true);
  private readonly onOnline = () => this.setBrowserOffline(false);

  /**
   * `links`: every link of the room now; `probe`: the one probed (the control document's: small);
   * `changed`: the state shown may have changed.
   */
  constructor(private links: () => Probed[], private probe: () => Probed & { doc: Y.Doc }, private changed: () => void) {
    addEventListener('offline', this.onOffline);
    addEventListener('online', this.onOnline);
    this.timer = setInterval(() => this.check(), TICK_MS);
  }

  private setBrowserOffline(off: boolean) {
    if (off === this.browserOffline) return;
    this.browserOffline = off;
    // Offline: close every link now (its socket may not notice for a long time). Online: open
    // again at once, instead of after y-websocket's backoff, those that were meant to be open (not
    // one stopped after a refusal, nor one still waiting for this device's copy to load).
    for (const l of this.links()) {
      const p = l.provider;
      if (off) {
        if (!p.shouldConnect) continue;
        this.paused.add(p);
        p.disconnect();
      } else if (this.paused.has(p)) {
        this.paused.delete(p);
        if (!l.stopped) this.restart(p);
      }
    }
    this.probeSentAt = 0;
    this.changed();
  }

  /** Closes the provider's socket at once (y-websocket: status "disconnected", others' presence removed) and opens a new one. */
  private restart(p: WebsocketProvider) {
    p.disconnect();
    p.connect();
  }

  private check() {
    const now = Date.now();
    for (const l of this.links()) {
      const p = l.provider;
      if (l.stopped || p.wsconnected || !p.wsconnecting) {
        this.openingSince.delete(p);
        continue;
      }
      const since = this.openingSince.get(p) ?? now;
      this.openingSince.set(p, since);
      if (now - since > CONNECT_TIMEOUT_MS && !this.browserOffline) {
        this.openingSince.delete(p);
        this.restart(p);
      }
    }
    // A hidden tab's timers are throttled: a late tick is no sign of a dead network.
    if (this.browserOffline || document.hidden) {
      this.probeSentAt = 0;
      return;
    }
    const link = this.probe();
    const p = link.provider;
    const ws = p.ws;
    if (link.stopped || !p.wsconnected || !ws || ws.readyState !== WebSocket.OPEN) {
      this.probeSentAt = 0;
      return;
    }
    const heard = p.wsLastMessageReceived;
    if (this.probeSentAt && heard < this.probeSentAt && now - this.probeSentAt >= DEAD_AFTER_MS) {
      // Nothing came back: the network is gone. Every link shares it.
      this.probeSentAt = 0;
      for (const l of this.links()) if (!l.stopped && l.provider.wsconnected) this.restart(l.provider);
      this.changed();
      return;
    }
    if (heard >= this.probeSentAt) this.probeSentAt = 0;
    if (!this.probeSentAt && now - heard >= PROBE_AFTER_MS) {
      this.probeSentAt = now;
      ws.send(syncStep1(link.doc));
    }
  }

  destroy() {
    removeEventListener('offline', this.onOffline);
    removeEventListener('online', this.onOnline);
    if (this.timer) clearInterval(this.timer);
  }
}
