// What this device remembers (localStorage): the workshops created here, and "who I am" per room.
import { colorFor } from './sync/presence';
import { newId } from './sync/schema';

export interface KnownRoom {
  id: string;
  title: string;
  created_at: number;
  facilitator_url: string;
  join_url: string;
  review_url: string;
}

export interface Me { id: string; name: string; group: string; color: string }

function get<T>(key: string): T | null {
  try {
    const v = localStorage.getItem(key);
    return v ? (JSON.parse(v) as T) : null;
  } catch {
    return null;
  }
}
function put(key: string, v: unknown) {
  try {
    localStorage.setItem(key, JSON.stringify(v));
  } catch {
    /* storage full or disabled: nothing to keep */
  }
}

export const knownRooms = (): KnownRoom[] => get<KnownRoom[]>('kortvaeg:rooms') ?? [];

export function rememberRoom(r: KnownRoom) {
  put('kortvaeg:rooms', [r, ...knownRooms().filter((x) => x.id !== r.id)].slice(0, 30));
}

export function forgetRoom(id: string) {
  put('kortvaeg:rooms', knownRooms().filter((x) => x.id !== id));
}

export const knownRoom = (id: string) => knownRooms().find((r) => r.id === id) ?? null;

export const loadMe = (roomId: string): Me | null => get<Me>(`kortvaeg:me:${roomId}`);

export function saveMe(roomId: string, name: string, group: string): Me {
  const prev = loadMe(roomId);
  const me: Me = { id: prev?.id ?? newId(10), name, group, color: prev?.color ?? colorFor(name + Math.random()) };
  put(`kortvaeg:me:${roomId}`, me);
  return me;
}

export function clearGroup(roomId: string) {
  const me = loadMe(roomId);
  if (me) put(`kortvaeg:me:${roomId}`, { ...me, group: '' });
}

/** This device's id for the facilitator role (cards they add on behalf of a group). */
export function deviceId(): string {
  let id = get<string>('kortvaeg:device');
  if (!id) {
    id = newId(10);
    put('kortvaeg:device', id);
  }
  return id;
}
