// Presence (y-protocols awareness on the wall connection): who is online, in which group, and in
// which cell they are typing. State: { user: { name, color, role, group }, typing?: cellKey }.
import type { RoomSession } from './room';

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

/** Sets this page's `typing` (only when it changes: each change is a presence message). */
export function setLocalTyping(awareness: RoomSession['awareness'], key: string | null) {
  const cur = awareness.getLocalState()?.typing ?? null;
  if (cur !== key) awareness.setLocalStateField('typing', key);
}

/**
 * Who is here now, by presence. While this page is not connected nobody else's "… skriver" is
 * shown: what it last heard may no longer be true (their presence itself goes with the socket).
 */
export function readPresence(session: RoomSession): Presence[] {
  const self = session.awareness.clientID;
  const live = session.overall === 'online';
  const out: Presence[] = [];
  session.awareness.getStates().forEach((state, clientId) => {
    const u = state?.user;
    if (!u || typeof u !== 'object' || typeof u.name !== 'string') return;
    out.push({
      clientId,
      self: clientId === self,
      user: { name: u.name, color: typeof u.color === 'string' ? u.color : colorFor(u.name), role: String(u.role ?? ''), group: String(u.group ?? '') },
      typing: typeof state.typing === 'string' && (live || clientId === self) ? state.typing : null,
    });
  });
  return out.sort((a, b) => a.user.name.localeCompare(b.user.name, 'da'));
}
