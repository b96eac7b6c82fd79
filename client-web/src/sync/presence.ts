// Presence (y-protocols awareness on the wall connection): who is online, in which group, and in
// which cell they are typing. State: { user: { name, color, role, group }, typing?: cellKey }.
// In an anonymous room the server takes `user.name` out of every participant's state (and leaves
// `user.seat_id` only where the room shows names to the facilitator): such a person is shown
// without a name, or by the seat's name from `GET /people` to whom the room shows names.
import type { RoomSession } from './room';
import { readAnonymity, showsNames, stricter } from './anonymity';

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
  const cur = session.awareness.getLocalState()?.typing ?? null;
  if (cur !== key) session.awareness.setLocalStateField('typing', key);
}

export function readPresence(session: RoomSession): Presence[] {
  const self = session.awareness.clientID;
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
      typing: typeof state.typing === 'string' ? state.typing : null,
    });
  });
  return out.sort((a, b) => a.user.name.localeCompare(b.user.name, 'da'));
}
