// "Følg facilitator": what the facilitator shows travels in their presence (awareness on the wall
// connection), never in a document; a follower's presence says that it follows.
//   facilitator: { showing: { view, cell: {row, column} | null, card | null, sagsomraade | null, at } }
//   follower:    { following: true }
// The server stamps a seat's `user` (name, group, seat id) but keeps `role` as the client sent it,
// so a presence that says "facilitator" proves nothing. Who may lead is therefore said where only
// the facilitator can write: the control document's `meta.follow_leaders`, the presence ids of the
// facilitator's leading pages (the server lets a presence id be set only by the connection that set
// it first while that connection is open). A follower follows only a listed id, with role
// facilitator and no seat; of several (the facilitator's laptop and phone), the latest `at`.
import type { RoomSession } from './room';
import { metaMap } from './schema';
import { readPresence } from './presence';
import { serverNow } from '../api';

/** The pages a follower can be taken to (the console and the review are the facilitator's own). */
export type FollowView = 'wall' | 'sheet' | 'priority' | 'note';
export const FOLLOW_VIEWS: FollowView[] = ['wall', 'sheet', 'priority', 'note'];

export interface ShownCell { row: string; column: string }
export interface Showing {
  /** The page the facilitator is on; null on the console (followers stay where they are). */
  view: FollowView | null;
  cell: ShownCell | null;
  card: string | null;
  sagsomraade: string | null;
  /** When it last changed (server-corrected ms): the latest of several leading pages wins. */
  at: number;
}

/** `meta.follow_leaders` holds at most this many presence ids (stale ones are dropped when a page registers). */
const MAX_LEADERS = 8;
const LEADERS = 'follow_leaders';
const MAX_ID_CHARS = 200;

const idStr = (v: unknown) => (typeof v === 'string' && v && v.length <= MAX_ID_CHARS ? v : null);

function readShowing(v: unknown): Showing | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  const view = (FOLLOW_VIEWS as unknown[]).includes(o.view) ? (o.view as FollowView) : null;
  const c = o.cell as Record<string, unknown> | null;
  const cell = c && typeof c === 'object' && idStr(c.row) && idStr(c.column) ? { row: c.row as string, column: c.column as string } : null;
  return { view, cell, card: idStr(o.card), sagsomraade: idStr(o.sagsomraade), at: typeof o.at === 'number' ? o.at : 0 };
}

/** The presence ids the facilitator has listed as leading pages (`meta.follow_leaders`). */
export function readLeaders(session: RoomSession): Set<number> {
  const v = metaMap(session.control.doc).get(LEADERS);
  return new Set(typeof v === 'string' ? v.split(' ').filter(Boolean).map(Number).filter(Number.isSafeInteger) : []);
}

/**
 * Lists this page as a leading page (facilitator only), once: stale ids (no presence now) go, and
 * the list stays short. Written only after the wall has its presence states, so a live page of the
 * facilitator's is not taken for stale; a page whose write lost to another's registers again.
 */
export function registerLeader(session: RoomSession) {
  if (session.role !== 'facilitator' || !session.wall.synced || !session.control.everSynced) return;
  const self = session.awareness.clientID;
  const list = readLeaders(session);
  if (list.has(self)) return;
  const live = session.awareness.getStates();
  const keep = [...list].filter((id) => live.has(id)).slice(-(MAX_LEADERS - 1));
  metaMap(session.control.doc).set(LEADERS, [...keep, self].join(' '));
}

/** Is this page following the facilitator? */
export const isFollowing = (session: RoomSession) => session.awareness.getLocalState()?.following === true;

/** Starts or stops following. A facilitator's page that follows (the projector) shows nothing itself. */
export function setFollowing(session: RoomSession, on: boolean) {
  if (on === isFollowing(session)) return;
  session.awareness.setLocalStateField('following', on ? true : null);
  if (on && session.awareness.getLocalState()?.showing) session.awareness.setLocalStateField('showing', null);
}

/** What this page shows (its own `showing`), or null. */
export const ownShowing = (session: RoomSession): Showing | null => readShowing(session.awareness.getLocalState()?.showing);

const same = (a: Showing | null, b: Omit<Showing, 'at'>) =>
  !!a && a.view === b.view && a.card === b.card && a.sagsomraade === b.sagsomraade && a.cell?.row === b.cell?.row && a.cell?.column === b.cell?.column;

/**
 * The facilitator shows something: `patch` is merged into what this page shows. Nothing on a page
 * that follows, or that is not the facilitator's; an unchanged state is not sent again.
 */
export function show(session: RoomSession, patch: Partial<Omit<Showing, 'at'>>) {
  if (session.role !== 'facilitator' || isFollowing(session)) return;
  const cur = ownShowing(session);
  const next = { view: null, cell: null, card: null, sagsomraade: null, ...(cur ?? {}), ...patch };
  registerLeader(session);
  if (same(cur, next)) return;
  session.awareness.setLocalStateField('showing', { view: next.view, cell: next.cell, card: next.card, sagsomraade: next.sagsomraade, at: serverNow() });
}

/** What the facilitator shows now (see the top of this file), or null when no leading page is here. */
export function leaderShowing(session: RoomSession): Showing | null {
  const leaders = readLeaders(session);
  const self = session.awareness.clientID;
  let best: Showing | null = null;
  session.awareness.getStates().forEach((state, id) => {
    if (id === self || !leaders.has(id) || state?.following === true) return;
    const u = state?.user;
    if (!u || u.role !== 'facilitator' || u.seat_id) return;
    const s = readShowing(state.showing);
    if (s && (!best || s.at > best.at)) best = s;
  });
  return best;
}

/** The names of those following (for the facilitator's console and wall), sorted. */
export function followerNames(session: RoomSession): string[] {
  const self = session.awareness.clientID;
  const out: string[] = [];
  // In an anonymous room presence carries no names: by the seat's name to whom the room shows them, else '' ("Deltager").
  const named = new Map(readPresence(session).map((p) => [p.clientId, p.user.name]));
  session.awareness.getStates().forEach((state, id) => {
    if (id !== self && state?.following === true && named.has(id)) out.push(named.get(id) ?? '');
  });
  return out.sort((a, b) => a.localeCompare(b, 'da'));
}
