// Connection status and server close codes (docs/API.md, "Close codes"), as data the views show.

/** `group`: one group's document (CONTRACT.md v2, "Group documents"). */
export type DocKind = 'wall' | 'control' | 'group';

/** Keys into the i18n dictionary (`err.*`). */
export type ProblemKey =
  | 'err.denied'
  | 'err.seatRemoved'
  | 'err.roomDeleted'
  | 'err.noToken'
  | 'err.gone'
  | 'err.forbiddenControl'
  | 'err.wallClosed'
  | 'err.readOnly'
  | 'err.anonymous'
  | 'err.storeFailed'
  | 'err.busy'
  | 'err.tooBig'
  | 'err.badMessage'
  | 'err.full'
  | 'err.behind'
  | 'err.unavailable'
  | 'err.closed';

export interface Problem {
  key: ProblemKey;
  doc?: DocKind;
  code?: number;
  reason?: string;
  /** The connection stays down until the page is reloaded (or, for a closed wall, reopened). */
  fatal: boolean;
  at: number;
}

/** The overall state the status pill shows. */
export type Overall = 'connecting' | 'online' | 'offline' | 'error';

/** What a close code from the server means for `doc`, given the connection's role. */
export function problemForClose(code: number, reason: string, doc: DocKind, role: string): Problem | null {
  const at = Date.now();
  switch (code) {
    case 4401:
      return { key: 'err.noToken', doc, code, reason, fatal: true, at };
    case 4404:
      // The wall or control document of a room that was there when the page opened: deleted.
      return roomDeleted(code, reason);
    case 4403:
      if (anonymityRefusal(reason)) return { key: 'err.anonymous', doc, code, reason, fatal: true, at };
      if (role === 'review') return { key: 'err.readOnly', doc, code, reason, fatal: true, at };
      if (doc === 'control') return { key: 'err.forbiddenControl', doc, code, reason, fatal: true, at };
      return { key: 'err.wallClosed', doc, code, reason, fatal: true, at };
    case 4400:
      return { key: 'err.badMessage', doc, code, reason, fatal: true, at };
    case 4413:
      return { key: 'err.full', doc, code, reason, fatal: true, at };
    case 1011:
      return { key: 'err.storeFailed', doc, code, reason, fatal: false, at };
    case 1013:
      return { key: 'err.busy', doc, code, reason, fatal: false, at };
    case 1009:
      return { key: 'err.tooBig', doc, code, reason, fatal: false, at };
    case 4408:
      return { key: 'err.behind', doc, code, reason, fatal: false, at };
    default:
      if (code >= 4400 && code < 4500) return { key: 'err.closed', doc, code, reason, fatal: true, at };
      return null;
  }
}

/**
 * A close reason that says a change named its writer in an anonymous room (docs/API.md,
 * "Anonymity": "this workshop is anonymous…", "…fully anonymous…"). Not a loss of the right to read.
 */
export const anonymityRefusal = (reason: string) => /\banonymous\b/i.test(reason);

/** A close reason that says this person's seat was removed (the server closes with 4403 and a reason). */
export const seatRemovedReason = (reason: string) => /removed you|seat (was )?removed|fjernet/i.test(reason);

/** The facilitator removed this device's seat: its token is refused from now on. */
export const seatRemoved = (code?: number, reason?: string): Problem => ({ key: 'err.seatRemoved', code, reason, fatal: true, at: Date.now() });

/**
 * The facilitator deleted the room (or the server did, idle): every document, snapshot and seat
 * is gone, so nothing is to be reconnected to. The server closes with 4404 and a reason; REST
 * answers 404 for a room this page had.
 */
export const roomDeleted = (code?: number, reason?: string): Problem => ({ key: 'err.roomDeleted', code, reason, fatal: true, at: Date.now() });

/**
 * What an HTTP status from `GET /api/rooms/{id}` means (the browser hides the upgrade's status).
 * With a seat's token a refusal (401/403) means the seat was removed.
 */
export function problemForHttp(status: number, seated = false): Problem | null {
  const at = Date.now();
  if (seated && (status === 401 || status === 403)) return seatRemoved(status);
  if (status === 404) return { key: 'err.gone', code: status, fatal: true, at };
  if (status === 401) return { key: 'err.noToken', code: status, fatal: true, at };
  if (status === 403) return { key: 'err.denied', code: status, fatal: true, at };
  if (status === 503) return { key: 'err.unavailable', code: status, fatal: false, at };
  return null;
}
