// The live sessions of this page: one per room and token, kept while moving between a room's pages
// (console, wall, sheet), and the `GET /api/rooms/{id}` answer each was opened with.
import type { RoomInfo } from './api';
import { RoomSession } from './sync/room';
import * as schema from './sync/schema';
import * as docs from './sync/docs';
import * as voting from './sync/voting';

const sessions = new Map<string, RoomSession>();
/** By `room#token`: the room's answer, so moving between its pages asks once. */
export const infos = new Map<string, RoomInfo>();

export function sessionFor(info: RoomInfo, token: string): RoomSession {
  const key = `${info.id}#${token}`;
  let s = sessions.get(key);
  if (!s) {
    s = new RoomSession(info.id, token, info.role, !!info.seat, info.seat?.group ?? '', info.anonymity);
    sessions.set(key, s);
    // For tests and debugging: the page's own sync layer (it holds nothing the page's link does not).
    (window as unknown as { kortvaeg: unknown }).kortvaeg = { session: s, schema, docs, voting };
  }
  return s;
}

/** Closes a room's sessions opened with a token this device no longer uses (the link's, once seated). */
export function dropStale(room: string, keep: string) {
  for (const [key, s] of sessions) {
    if (s.roomId === room && s.role === 'participant' && s.token !== keep) {
      s.destroy();
      sessions.delete(key);
      infos.delete(key);
    }
  }
}

/** Closes every session of a room that is gone (deleted): nothing of it is to be shown again. */
export function dropRoom(room: string) {
  for (const [key, s] of sessions) {
    if (s.roomId !== room) continue;
    s.destroy();
    sessions.delete(key);
    infos.delete(key);
  }
}
