// "Mine workshops" on the start page as one list: the server's list of the caller's workshops
// (`GET /api/rooms`: title, template, date, no tokens) and this device's list (`local.ts`, with
// the links). The server keeps only the tokens' digests, so a workshop opens from here only if
// this device has its links.
import type { RoomSummary } from './api';
import type { KnownRoom } from './local';

export interface ListedRoom {
  id: string;
  title: string;
  /** The template's id; unknown for workshops this device listed before it kept them. */
  template: string | null;
  /** When it was made (ms since the epoch): the server's time where the server lists it. */
  createdAt: number;
  /** This device's links; `null`: only the facilitator link opens it. */
  links: KnownRoom | null;
  /** The server lists it as the caller's. */
  onServer: boolean;
}

/**
 * One entry per workshop, newest first: the server's title, template and date where it lists the
 * workshop (it is the record), the device's links where it has them, and the device's own entries
 * the server does not list (made before keys, or with another key), so nothing the device could
 * open disappears. `server` is `null` when the server gives no list (no key, no signed-in user).
 */
export function mergeRooms(local: KnownRoom[], server: RoomSummary[] | null): ListedRoom[] {
  const byId = new Map<string, ListedRoom>();
  for (const r of local) {
    if (!r || typeof r.id !== 'string' || byId.has(r.id)) continue;
    byId.set(r.id, { id: r.id, title: r.title, template: r.template ?? null, createdAt: r.created_at, links: r, onServer: false });
  }
  for (const r of server ?? []) {
    const at = Date.parse(r.created_at);
    const mine = byId.get(r.id);
    byId.set(r.id, {
      id: r.id,
      title: r.title,
      template: r.template,
      createdAt: Number.isFinite(at) ? at : mine?.createdAt ?? 0,
      links: mine?.links ?? null,
      onServer: true,
    });
  }
  return [...byId.values()].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
