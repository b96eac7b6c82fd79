// What this device remembers (localStorage): the workshops created here, the creator key, and
// "who I am" per room.
import { colorFor } from './sync/presence';
import { newId } from './sync/schema';

export interface KnownRoom {
  id: string;
  title: string;
  /** The template's id (kept since creator keys; older entries have none). */
  template?: string;
  created_at: number;
  facilitator_url: string;
  join_url: string;
  review_url: string;
}

/** Who I am in a room. `v1`: kept on this device only, for a server without seats. */
export interface Me { id: string; name: string; group: string; color: string; v1?: boolean }

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

const CREATOR_KEY = 'kortvaeg:creatorKey';

/**
 * The operator's creator key (docs/API.md, "Who may create workshops"), kept once the server took
 * it, so this device creates and lists workshops without asking again.
 */
export const creatorKey = (): string => {
  const k = get<string>(CREATOR_KEY);
  return typeof k === 'string' ? k : '';
};

export const rememberCreatorKey = (key: string) => put(CREATOR_KEY, key);

export function forgetCreatorKey() {
  try {
    localStorage.removeItem(CREATOR_KEY);
  } catch {
    /* storage disabled */
  }
}

/**
 * This device's seat in a room (CONTRACT.md, v2 "Seats"): created on the join page, then its token
 * is used for the room instead of the join link's. Name and group are the server's last answer.
 */
export interface StoredSeat { seat_id: string; seat_token: string; name: string; group: string }

const seatKey = (roomId: string) => `kortvaeg:seat:${roomId}`;
const seatListeners = new Set<() => void>();

export const loadSeat = (roomId: string): StoredSeat | null => {
  const s = get<StoredSeat>(seatKey(roomId));
  return s && typeof s.seat_token === 'string' && typeof s.seat_id === 'string' ? s : null;
};

export function saveSeat(roomId: string, seat: StoredSeat) {
  const prev = loadSeat(roomId);
  put(seatKey(roomId), seat);
  if (prev?.seat_token !== seat.seat_token) seatListeners.forEach((fn) => fn());
}

/** Name or group changed (by this person or the facilitator): keep the server's. */
export function updateSeat(roomId: string, patch: { name?: string; group?: string }) {
  const prev = loadSeat(roomId);
  if (prev) put(seatKey(roomId), { ...prev, ...patch });
}

/** The seat was removed (or is given up to join again): forget it, keep the name to suggest it. */
export function forgetSeat(roomId: string) {
  const prev = loadSeat(roomId);
  if (!prev) return;
  try {
    localStorage.removeItem(seatKey(roomId));
  } catch {
    /* storage disabled */
  }
  put(`kortvaeg:me:${roomId}`, { id: prev.seat_id, name: prev.name, group: '', color: colorFor(prev.seat_id) });
  seatListeners.forEach((fn) => fn());
}

/** Called when this device gets or loses a seat in some room (the room's token changes). */
export function onSeat(fn: () => void): () => void {
  seatListeners.add(fn);
  return () => seatListeners.delete(fn);
}

/** Who I am in a room: my seat (its id, the server's name and group), or what an older version kept. */
export const loadMe = (roomId: string): Me | null => {
  const seat = loadSeat(roomId);
  if (seat) return { id: seat.seat_id, name: seat.name, group: seat.group, color: colorFor(seat.seat_id) };
  return get<Me>(`kortvaeg:me:${roomId}`);
};

export function saveMe(roomId: string, name: string, group: string, v1 = false): Me {
  const prev = loadMe(roomId);
  const me: Me = { id: prev?.id ?? newId(10), name, group, color: prev?.color ?? colorFor(name + Math.random()), v1 };
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
