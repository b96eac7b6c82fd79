// y-websocket always answers the server's sync step 1 with a step 2 that carries the document's
// *whole* delete set, even when the client has nothing new. The server refuses any non-empty update
// on a connection that may not write (close 4403), so a read-only client with a non-trivial
// document (reloaded from IndexedDB, or reconnecting) would be thrown out for nothing.
// This WebSocket wrapper rewrites such a step 2 — no new structs — to an empty one on connections
// that may not write. A real local change (new structs) is still sent, and refused by the server.
import * as Y from 'yjs';

const EMPTY_STEP2 = new Uint8Array([0, 1, 2, 0, 0]); // messageSync, syncStep2, varUint8Array([0, 0])

function readVarUint(buf: Uint8Array, pos: number): [number, number] {
  let n = 0;
  let mult = 1;
  for (;;) {
    const b = buf[pos++];
    n += (b & 0x7f) * mult;
    if (b < 0x80) return [n, pos];
    mult *= 128;
    if (pos >= buf.length) return [-1, pos];
  }
}

/** The sync step 2 in `data`, or null when `data` is another message. */
export function step2Update(data: Uint8Array): Uint8Array | null {
  if (data.length < 3 || data[0] !== 0 || data[1] !== 1) return null;
  const [len, start] = readVarUint(data, 2);
  if (len < 0 || start + len > data.length) return null;
  return data.subarray(start, start + len);
}

export function hasNewStructs(update: Uint8Array): boolean {
  try {
    return Y.decodeUpdate(update).structs.length > 0;
  } catch {
    return true;
  }
}

/** A WebSocket class for y-websocket's `WebSocketPolyfill` that applies the rule while `readOnly()`. */
export function readOnlyAwareWebSocket(readOnly: () => boolean): typeof WebSocket {
  return class extends WebSocket {
    send(data: string | ArrayBufferLike | Blob | ArrayBufferView<ArrayBuffer>) {
      if (readOnly() && data instanceof Uint8Array) {
        const update = step2Update(data);
        if (update && !hasNewStructs(update)) data = EMPTY_STEP2;
      }
      super.send(data as ArrayBufferView<ArrayBuffer>);
    }
  };
}
