// The server's REST API (docs/API.md). Every failure becomes an ApiError carrying the HTTP status,
// which the views turn into plain Danish (or English) with `errorText`.
import type { Anonymity } from './sync/anonymity';

export type Role = 'facilitator' | 'participant' | 'review';

export interface TemplateRow { id: string; label: string; number?: string }
export interface Template { id: string; title: string; description?: string; rows: TemplateRow[]; columns: { id: string; label: string }[] }

export interface CreatedRoom {
  id: string;
  facilitator_token: string;
  participant_token: string;
  review_token: string;
  join_url: string;
  facilitator_url?: string;
  review_url?: string;
}

/** A person in the room (CONTRACT.md, v2 "Seats"): their own token, name and group. */
export interface SeatInfo { seat_id: string; name: string; group: string }
export interface CreatedSeat extends SeatInfo { seat_token: string }
export interface SeatListItem extends SeatInfo { online: boolean }

/** `GET /api/rooms/{id}`; `seat` is there when the token is a seat's. */
export interface RoomInfo {
  id: string; title: string; template: string; role: Role; created_at?: string; seat?: SeatInfo;
  /** Facilitator, where the server deletes idle rooms: when it will delete this one (RFC 3339). */
  deletes_at?: string;
  /** Who is told who wrote what (docs/API.md, "Anonymity"); absent from an older server: `none`. */
  anonymity?: Anonymity;
}

/** `GET /api/rooms`: a workshop the caller (creator key or signed-in user) made; no tokens. */
export interface RoomSummary { id: string; title: string; template: string; created_at: string }

/** `name`: what the facilitator called it ("As-is", "To-be", …); absent when it has none. */
export interface SnapshotInfo { seq: number; taken_at: string; name?: string }

/** `GET /api/rooms/{id}/compare` (docs/API.md, "Compare"): two states of the room compared. */
export interface CompareSide { seq: number | null; name?: string; taken_at: string }
export interface CellRef { row: string; column: string }
export interface CompareCard { id: string; text: string; sagsomraade?: string; author?: string; moved_from?: CellRef; moved_to?: CellRef }
export interface CompareCardChange { id: string; before: string; after: string; sagsomraade?: string }
export interface CompareCell {
  row: string; column: string; row_label: string; column_label: string;
  added: CompareCard[]; removed: CompareCard[]; changed: CompareCardChange[];
}
export interface BeforeAfter { key: string | null; before: string | null; after: string | null; changed: boolean }
export interface CompareSagsomraade {
  fagomraade_id: string; fagomraade: string; sagsomraade_id: string; sagsomraade: string; kle: string;
  presence: 'both' | 'added' | 'removed';
  answers: { key: string; question: string; header: string; before: string | null; after: string | null }[];
  brugsmoenster: BeforeAfter; loesningsscenarie: BeforeAfter; changed: boolean;
}
export interface CompareView {
  from: CompareSide; to: CompareSide;
  rows: { id: string; label: string }[]; columns: { id: string; label: string }[];
  cells: CompareCell[]; sagsomraader: CompareSagsomraade[];
  counts: { cards_added: number; cards_removed: number; cards_changed: number; cards_moved: number; answers_changed: number; sagsomraader_changed: number };
}

export interface SnapshotAxis { id: string; label: string; [k: string]: unknown }
export interface SnapshotCard { id: string; row: string; column: string; text: string; [k: string]: unknown }
export interface Snapshot { rows: SnapshotAxis[]; columns: SnapshotAxis[]; cards: SnapshotCard[]; meta?: Record<string, unknown> }

/** `GET /api/rooms/{id}/sheet` (docs/API.md): the documentation sheet as the server computes it. */
export interface SnapshotSheet {
  columns: { key: string; header: string; label: string; kind: string; analysis?: string }[];
  /** Every column in order (docs/API.md, "Cards in the sheet"). */
  layout: { header: string; holds: 'name' | 'answer' | 'answer_and_cards' | 'cards' | 'derived' | 'comments'; key?: string; question?: string }[];
  /** Cards on the sheet's questions that belong to no sagsområde. */
  unplaced: string[];
  rows: {
    /** The text of every layout column, as the CSV holds it. */
    cells: string[];
    fagomraade: string;
    sagsomraade_id: string;
    sagsomraade: string;
    kle: string;
    answers: Record<string, unknown>;
    in_analysis: boolean;
    brugerantal: string | null;
    omfang: number | null;
    prioritet: number | null;
  }[];
}

/** A dot-voting round (docs/API.md, "Dot voting"), as `meta.voting` and the voting API hold it. */
export interface VoteRound {
  id: string;
  target: 'cards' | 'sagsomraader';
  budget: number;
  cap: number;
  anonymous: boolean;
  /** ms since the epoch */
  started_at: number;
  ends_at?: number;
  open: boolean;
}
export interface NewVoteRound { target: VoteRound['target']; budget: number; cap?: number; anonymous?: boolean; minutes?: number }
export interface Voter { seat_id: string; name: string; votes: number }
/** `GET /api/rooms/{id}/votes`: `mine`/`left` for a seat, `voters` only in a round that is not anonymous. */
export interface Votes {
  round: VoteRound | null;
  counts: Record<string, number>;
  mine?: Record<string, number>;
  left?: number;
  voters?: Record<string, Voter[]>;
}

export class ApiError extends Error {
  constructor(public status: number, public serverMessage: string) {
    super(`HTTP ${status}: ${serverMessage}`);
  }
}

/** Milliseconds to add to the local clock to get the server's (from the Date header; ±1 s). */
export let clockOffset = 0;
/** `GET/POST /api/rooms/{id}/join-code`: six characters typed at `/`, and the address to type them at. */
export interface JoinCode { code: string; url: string }
/** `GET /api/join/{code}`: the room, and the code as the server reads it (the participant token). */
export interface CodeRoom { room: string; title: string; code: string }

export const serverNow = () => Date.now() + clockOffset;

async function call<T>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, String(e));
  }
  const date = res.headers.get('date');
  if (date) {
    const t = Date.parse(date);
    if (Number.isFinite(t)) clockOffset = t + 500 - Date.now();
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    const msg = json && typeof json === 'object' && 'error' in json ? String((json as { error: unknown }).error) : text;
    throw new ApiError(res.status, msg);
  }
  return json as T;
}

const enc = encodeURIComponent;

/** `GET /api/server`: what the operator set for this server (`--accessibility-contact`). */
export interface ServerInfo { accessibility_contact?: string | null }

export const api = {
  server: () => call<ServerInfo>('GET', '/api/server'),
  templates: () => call<Template[]>('GET', '/api/templates'),
  /** `creatorKey`: the operator's key, where the server requires one (else `401`). */
  createRoom: (title: string, template: string, creatorKey?: string, anonymity: Anonymity = 'none') =>
    call<CreatedRoom>('POST', '/api/rooms', creatorKey, anonymity === 'none' ? { title, template } : { title, template, anonymity }),
  /**
   * The workshops the caller made: by the creator key, or by the user a single-sign-on proxy in
   * front names (its cookie travels same-origin); `401` with neither.
   */
  myRooms: (creatorKey?: string) => call<RoomSummary[]>('GET', '/api/rooms', creatorKey),
  room: (id: string, token: string) => call<RoomInfo>('GET', `/api/rooms/${enc(id)}`, token),
  snapshots: (id: string, token: string) => call<SnapshotInfo[]>('GET', `/api/rooms/${enc(id)}/snapshots`, token),
  snapshot: (id: string, token: string, seq: number) => call<Snapshot>('GET', `/api/rooms/${enc(id)}/snapshots/${seq}`, token),
  sheet: (id: string, token: string, seq?: number) =>
    call<SnapshotSheet>('GET', `/api/rooms/${enc(id)}/sheet${seq === undefined ? '' : `?snapshot=${seq}`}`, token),
  /** Facilitator; `name` (1–80 characters) names it ("As-is"). */
  takeSnapshot: (id: string, token: string, name?: string) =>
    call<SnapshotInfo>('POST', `/api/rooms/${enc(id)}/snapshots`, token, name ? { name } : undefined),
  /** Snapshot `from` compared with snapshot `to` or `'now'`. */
  compare: (id: string, token: string, from: number, to: number | 'now') =>
    call<CompareView>('GET', `/api/rooms/${enc(id)}/compare?${new URLSearchParams({ from: String(from), to: String(to) })}`, token),
  /** Facilitator: the wall back to snapshot `seq`; answers the snapshot kept of the state before. */
  restoreSnapshot: (id: string, token: string, seq: number) => call<{ seq: number }>('POST', `/api/rooms/${enc(id)}/snapshots/${seq}/restore`, token),
  tree: (id: string) => call<Tree>('GET', `/api/trees/${enc(id)}`),
  createSeat: (id: string, token: string, name: string, group: string) =>
    call<CreatedSeat>('POST', `/api/rooms/${enc(id)}/seats`, token, { name, group }),
  seats: (id: string, token: string) => call<SeatListItem[]>('GET', `/api/rooms/${enc(id)}/seats`, token),
  /** Any token: every seat's id, name and group (cards show their writer by it). */
  people: (id: string, token: string) => call<SeatInfo[]>('GET', `/api/rooms/${enc(id)}/people`, token),
  updateSeat: (id: string, token: string, seatId: string, patch: { name?: string; group?: string }) =>
    call<SeatInfo>('PATCH', `/api/rooms/${enc(id)}/seats/${enc(seatId)}`, token, patch),
  removeSeat: (id: string, token: string, seatId: string) => call<null>('DELETE', `/api/rooms/${enc(id)}/seats/${enc(seatId)}`, token),
  newParticipantToken: (id: string, token: string) =>
    call<{ participant_token: string; join_url: string }>('POST', `/api/rooms/${enc(id)}/participant-token`, token),
  importScreening: (id: string, token: string, file: File) => importFile(id, token, file),
  /** Facilitator: opens a voting round; opening one again is the reset (a new round, no votes). */
  openVoting: (id: string, token: string, round: NewVoteRound) => call<VoteRound>('PUT', `/api/rooms/${enc(id)}/voting`, token, round),
  /** Facilitator: stops (`false`) or reopens (`true`, without a countdown) the round. */
  setVotingOpen: (id: string, token: string, open: boolean) => call<VoteRound>('PATCH', `/api/rooms/${enc(id)}/voting`, token, { open }),
  votes: (id: string, token: string) => call<Votes>('GET', `/api/rooms/${enc(id)}/votes`, token),
  /** A seat: one vote on a card or sagsområde; answers the count as the seat sees it. */
  castVote: (id: string, token: string, target: string) => call<Votes>('POST', `/api/rooms/${enc(id)}/votes`, token, { target }),
  /** A seat: takes back one of its votes on `target`. */
  takeBackVote: (id: string, token: string, target: string) => call<Votes>('DELETE', `/api/rooms/${enc(id)}/votes/${enc(target)}`, token),
  /** Facilitator: the room's join code (`404` when it has none yet). */
  joinCode: (id: string, token: string) => call<JoinCode>('GET', `/api/rooms/${enc(id)}/join-code`, token),
  /** Facilitator: a new join code; the old one stops working. */
  newJoinCode: (id: string, token: string) => call<JoinCode>('POST', `/api/rooms/${enc(id)}/join-code`, token),
  /** No token: the room a typed code belongs to (`404` none, `429` too many tries). */
  findCode: (code: string) => call<CodeRoom>('GET', `/api/join/${enc(code)}`),
  /** Facilitator: the room and everything of it, for good (`204`); open connections close with 4404. */
  deleteRoom: (id: string, token: string) => call<null>('DELETE', `/api/rooms/${enc(id)}`, token),
};

/** A decision tree as data (`GET /api/trees/{id}`): R2, the brugsmønster model. */
export interface TreeOutcome { label: string; description: string; dependence: string }
export interface TreeNode { question: string; ja: string; nej: string }
export interface Tree { id: string; title?: string; start: string; nodes: Record<string, TreeNode>; outcomes: Record<string, TreeOutcome> }

/** One row the server could not read from an imported screening list. */
export interface ImportProblem { row: number | string; problem: string }

/** A refused import: the server's message and its problems per row. */
export class ImportError extends ApiError {
  constructor(status: number, serverMessage: string, public problems: ImportProblem[]) {
    super(status, serverMessage);
  }
}

/**
 * `POST /api/rooms/{id}/import` (facilitator): the screening list's file as the body, its type
 * (text/csv or the XLSX type) as Content-Type. Resolves with the server's JSON answer.
 */
async function importFile(id: string, token: string, file: File): Promise<Record<string, unknown>> {
  const isXlsx = /\.xlsx$/i.test(file.name);
  const type = isXlsx ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv';
  let res: Response;
  try {
    res = await fetch(`/api/rooms/${enc(id)}/import`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': type },
      body: file,
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, String(e));
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  const obj = json && typeof json === 'object' ? (json as Record<string, unknown>) : null;
  if (!res.ok) {
    const problems = Array.isArray(obj?.problems)
      ? (obj!.problems as unknown[]).filter((p): p is Record<string, unknown> => !!p && typeof p === 'object')
          .map((p) => ({ row: typeof p.row === 'number' || typeof p.row === 'string' ? p.row : '?', problem: String(p.problem ?? '') }))
      : [];
    throw new ImportError(res.status, obj && 'error' in obj ? String(obj.error) : text, problems);
  }
  return obj ?? {};
}

/** Download link of the documentation sheet (token in the query: a link cannot carry a header). */
/** `GET /api/rooms/{id}/archive` (facilitator): everything of the room in one JSON file. */
export function archiveUrl(id: string, token: string): string {
  return `/api/rooms/${enc(id)}/archive?${new URLSearchParams({ token })}`;
}

export function exportUrl(id: string, token: string, format: 'csv' | 'xlsx', snapshot?: number, sheet?: string, compare?: [number, number | 'now']): string {
  const q = new URLSearchParams({ token });
  if (snapshot !== undefined) q.set('snapshot', String(snapshot));
  if (sheet) q.set('sheet', sheet);
  if (compare) q.set('compare', compare.join(','));
  return `/api/rooms/${enc(id)}/export.${format}?${q}`;
}
