// Presence (y-protocols awareness on the wall connection): who is online, in which group, and in
// which cell they are typing. State: { user: { name, color, role, group }, typing?: cellKey }.
// In an anonymous room the server takes `user.name` out of every participant's state (and leaves
// `user.seat_id` only where the room shows names to the facilitator): such a person is shown
// without a name, or by the seat's name from `GET /people` to whom the room shows names.
import type { RoomSession } from './room';
import { readAnonymity, showsNames, stricter } from './anonymity';
import { serverNow } from '../api';

/**
 * "… skriver" is true only while the person types: each keystroke renews `typing_at` (at most every
 * `TYPING_RENEW_MS`), and a `typing` not renewed for `TYPING_FRESH_MS` is not shown. So the typing
 * of someone whose network dropped — whose presence the server removes only once it notices, up to
 * two ping intervals later — goes within seconds; a closed connection's goes at once, with its presence.
 */
export const TYPING_RENEW_MS = 1500;
export const TYPING_FRESH_MS = 4000;

/** `name` '' — not told (an anonymous room): the views say "Deltager". */
export interface PresenceUser { name: string; color: string; role: string; group: string }
export interface Presence { clientId: number; self: boolean; user: PresenceUser; typing: string | null }

const COLORS = ['#1f6feb', '#c2410c', '#15803d', '#7c3aed', '#be123c', '#0e7490', '#a16207', '#4338ca', '#b91c1c', '#047857'];

export function colorFor(seed: string): string {
  let h = 0;
  for (const ch of seed) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return COLORS[h % COLORS.length];
}

/** The key of a cell someone is typing in: question, fagområde and sagsområde. */
export const cellKey = (row: string, column: string, sags = '') => `${row}|${column}|${sags}`;

export function setUser(session: RoomSession, user: PresenceUser) {
  session.awareness.setLocalStateField('user', user);
}

export function setTyping(session: RoomSession, key: string | null) {
  setLocalTyping(session.awareness, key);
}

/**
 * Sets this page's `typing` and `typing_at` (server-corrected ms): only when it changes, or to
 * renew it while typing goes on (each change is a presence message).
 */
export function setLocalTyping(awareness: RoomSession['awareness'], key: string | null) {
  const state = awareness.getLocalState();
  const cur = state?.typing ?? null;
  const at = typeof state?.typing_at === 'number' ? state.typing_at : 0;
  const now = serverNow();
  if (cur === key && (key === null || now - at < TYPING_RENEW_MS)) return;
  awareness.setLocalState({ ...(state ?? {}), typing: key, typing_at: key === null ? null : now });
}

/**
 * Who is here now, by presence. While this page is not connected nobody else's "… skriver" is
 * shown: what it last heard may no longer be true (their presence itself goes with the socket).
 */
export function readPresence(session: RoomSession): Presence[] {
  const self = session.awareness.clientID;
  const live = session.overall === 'online';
  const now = serverNow();
  // A `typing` without `typing_at` comes from a page from before it: shown as it always was.
  const fresh = (state: Record<string, unknown>) => typeof state.typing_at !== 'number' || now - state.typing_at < TYPING_FRESH_MS;
  const out: Presence[] = [];
  const shown = showsNames(stricter(session.anonymity, readAnonymity(session.control.doc)), session.role);
  session.awareness.getStates().forEach((state, clientId) => {
    const u = state?.user;
    if (!u || typeof u !== 'object') return;
    const seat = typeof u.seat_id === 'string' ? u.seat_id : '';
    const name = typeof u.name === 'string' ? u.name : shown ? session.people.get(seat) ?? '' : '';
    // Neither a name nor a group nor a role: not a person's presence.
    if (typeof u.name !== 'string' && typeof u.group !== 'string' && typeof u.role !== 'string') return;
    out.push({
      clientId,
      self: clientId === self,
      user: { name, color: typeof u.color === 'string' ? u.color : colorFor(name || seat), role: String(u.role ?? ''), group: String(u.group ?? '') },
      typing: typeof state.typing === 'string' && (clientId === self || (live && fresh(state))) ? state.typing : null,
    });
  });
  return out.sort((a, b) => a.user.name.localeCompare(b.user.name, 'da'));
}
