// Typed read/write helpers for the two Yjs documents of a room (docs/API.md, "Document schema").
// Views never touch Y types directly: they read plain objects from here and write through here.
import * as Y from 'yjs';
import { hasAnswer, roundLabel, type Answers } from './analysis';

export type Phase = 'group' | 'plenum' | 'closed';
export const PHASES: Phase[] = ['group', 'plenum', 'closed'];

export interface Field { id: string; label: string; kind: string; analysis?: string }

export interface Row {
  id: string;
  number: string;
  label: string;
  kind: string;
  round?: string;
  scope?: string;
  help?: string;
  fields?: Field[];
  /** The role of the answer in the analysis (docs/API.md, "Structured answers"). */
  analysis?: string;
  /** `false`: answered once for the whole room, no column in the documentation sheet. */
  sheet?: boolean;
}

export interface Sagsomraade { id: string; label: string; kle: string }

export interface Column { id: string; label: string; sagsomraader: Sagsomraade[] }

export interface Meta {
  title: string;
  template: string;
  phase: Phase;
  timer_ends_at: number | null;
  timer_minutes: number | null;
  /** The countdown of the phase now (`timer` below), or null: none, or one of another phase. */
  timer: Timer | null;
  /** The round the groups see now ("as-is", "to-be"); '' = every round (see `rowsInRound`). */
  round: string;
  /** Joining closed by the facilitator (`meta.joining` = "closed"): the server refuses new seats. */
  joiningClosed: boolean;
  /**
   * `meta.group_documents` = true (set by the server when it creates the room): each group's cards,
   * answers and "vi er færdige" live in its own group document (CONTRACT.md v2). Absent: an older
   * room, where everything stays in the wall document.
   */
  groupDocuments: boolean;
  /** `meta.visibility`: "private" = a group's document is read only by its seats and the facilitator until revealed. */
  visibility: Visibility;
}

export type Visibility = 'open' | 'private';

/**
 * The countdown everyone sees (docs/API.md, control `meta.timer_*`). It belongs to the phase it was
 * started in (`timer_phase`) and says what it times (`timer_label`, or that phase's name); paused,
 * it keeps the time left (`timer_left_ms`) and has no end. A timer without `timer_phase` (rooms
 * from before) counts in every phase, as it always did.
 */
export interface Timer {
  /** End (server-corrected ms since epoch); null while paused. */
  endsAt: number | null;
  /** Time left while paused; null while running. */
  pausedLeft: number | null;
  minutes: number | null;
  /** The phase it times; null for a timer from before phases had timers. */
  phase: Phase | null;
  /** What the facilitator said it times ('' = the phase's name). */
  label: string;
}

export interface Comment { id: string; text: string; author: string; created_at: number }

export interface Card {
  id: string;
  row: string;
  column: string;
  text: string;
  sagsomraade: string;
  sagsomraade_id: string;
  kle: string;
  author: string;
  author_id: string;
  group: string;
  created_at: number;
  highlight: boolean;
  comments: Comment[];
  merged_from: string[];
}

export interface GroupState { done: boolean; by: string; at: number }

// ---- names of the root types ------------------------------------------------------------------

/**
 * Longest text the server takes in one string (a card, a comment, an answer): `MAX_STRING_CHARS`
 * in shared/src/schema.rs, whose tests check this copy. Longer is refused whole (close 4400), so
 * inputs stop there (`maxLength`, which counts UTF-16 units: never more characters than this) and
 * every text written is cut to it.
 */
export const MAX_TEXT_CHARS = 20000;
export const clampText = (text: string) => (text.length > MAX_TEXT_CHARS ? text.slice(0, MAX_TEXT_CHARS) : text);

export const CARDS = 'cards';
export const GROUPS = 'groups';
export const META = 'meta';
export const ROWS = 'rows';
export const COLUMNS = 'columns';

type YMapAny = Y.Map<unknown>;

const str = (v: unknown): string => (v instanceof Y.Text ? v.toString() : typeof v === 'string' ? v : v == null ? '' : String(v));
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** A short random id (URL-safe). */
export function newId(len = 12): string {
  const abc = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = new Uint8Array(len);
  crypto.getRandomValues(bytes);
  let s = '';
  for (const b of bytes) s += abc[b % abc.length];
  return s;
}

/** A readable id from a label: lowercase ASCII, æ → ae, ø → oe, å → aa (as the templates do). */
export function slug(label: string): string {
  const s = label
    .toLowerCase()
    .replace(/æ/g, 'ae').replace(/ø/g, 'oe').replace(/å/g, 'aa')
    .normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return s || 'id';
}

function uniqueId(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

// ---- control document: meta -------------------------------------------------------------------

export const metaMap = (control: Y.Doc) => control.getMap<unknown>(META);

export function readMeta(control: Y.Doc): Meta {
  const m = metaMap(control);
  const phase = str(m.get('phase'));
  const ends = m.get('timer_ends_at');
  const mins = m.get('timer_minutes');
  const left = m.get('timer_left_ms');
  const tPhase = str(m.get('timer_phase'));
  const current: Phase = (PHASES as string[]).includes(phase) ? (phase as Phase) : 'group';
  const timer: Timer | null = typeof ends === 'number' || typeof left === 'number' ? {
    endsAt: typeof left === 'number' ? null : (ends as number),
    pausedLeft: typeof left === 'number' ? Math.max(0, left) : null,
    minutes: typeof mins === 'number' ? mins : null,
    phase: (PHASES as string[]).includes(tPhase) ? (tPhase as Phase) : null,
    label: str(m.get('timer_label')),
  } : null;
  return {
    title: str(m.get('title')),
    template: str(m.get('template')),
    phase: (PHASES as string[]).includes(phase) ? (phase as Phase) : 'group',
    timer_ends_at: typeof ends === 'number' ? ends : null,
    timer_minutes: typeof mins === 'number' ? mins : null,
    // A countdown of another phase is over: it is not shown (the facilitator's page clears it too).
    timer: timer && (timer.phase === null || timer.phase === current) ? timer : null,
    round: str(m.get('round')),
    joiningClosed: m.get('joining') === 'closed',
    groupDocuments: m.get('group_documents') === true,
    visibility: m.get('visibility') === 'private' ? 'private' : 'open',
  };
}

// ---- control document: visibility and the reveal (facilitator only) ---------------------------

export const REVEALED = 'revealed';
export const revealedMap = (control: Y.Doc) => control.getMap<unknown>(REVEALED);

/** The groups (column ids) the facilitator has revealed (`revealed`: column id → true). */
export function readRevealed(control: Y.Doc): Set<string> {
  const out = new Set<string>();
  revealedMap(control).forEach((v, k) => {
    if (v === true) out.add(k);
  });
  return out;
}

/** "Åben" (everyone reads every group's document) or "Privat gruppearbejde". */
export function setVisibility(control: Y.Doc, v: Visibility) {
  metaMap(control).set('visibility', v);
}

/** Shows group `columnId`'s document to everyone (in private mode), or hides it again. */
export function setRevealed(control: Y.Doc, columnIds: string[], on: boolean) {
  const m = revealedMap(control);
  control.transact(() => {
    for (const id of columnIds) {
      if (on) m.set(id, true);
      else if (m.has(id)) m.delete(id);
    }
  });
}

/** Closes the room for new participants (`meta.joining` = "closed") or opens it again (the key deleted). */
export function setJoiningClosed(control: Y.Doc, closed: boolean) {
  if (closed) metaMap(control).set('joining', 'closed');
  else metaMap(control).delete('joining');
}

/** Changes the phase; a countdown of the phase left is stopped with it (one change). */
export function setPhase(control: Y.Doc, phase: Phase) {
  const m = metaMap(control);
  if (str(m.get('phase')) === phase) return;
  control.transact(() => {
    m.set('phase', phase);
    clearTimer(control);
  });
}

export function setTitle(control: Y.Doc, title: string) {
  metaMap(control).set('title', title);
}

const TIMER_KEYS = ['timer_ends_at', 'timer_minutes', 'timer_phase', 'timer_label', 'timer_left_ms'];

function clearTimer(control: Y.Doc) {
  const m = metaMap(control);
  for (const k of TIMER_KEYS) if (m.has(k)) m.delete(k);
}

/**
 * Starts the countdown of the phase now: `minutes` from `now` (server-corrected ms epoch), saying
 * what it times (`label`; '' = the phase's name).
 */
export function startTimer(control: Y.Doc, minutes: number, now: number, label = '') {
  const m = metaMap(control);
  control.transact(() => {
    clearTimer(control);
    m.set('timer_minutes', minutes);
    m.set('timer_ends_at', Math.round(now + minutes * 60_000));
    m.set('timer_phase', readMeta(control).phase);
    if (label.trim()) m.set('timer_label', label.trim().slice(0, 80));
  });
}

/** Adds `minutes` to the countdown (running: to its end, or from now once it is over; paused: to the time left). */
export function extendTimer(control: Y.Doc, minutes: number, now: number) {
  const t = readMeta(control).timer;
  if (!t) return;
  const m = metaMap(control);
  control.transact(() => {
    if (t.pausedLeft !== null) m.set('timer_left_ms', Math.round(t.pausedLeft + minutes * 60_000));
    else {
      const base = t.endsAt && t.endsAt > now ? t.endsAt : now;
      m.set('timer_ends_at', Math.round(base + minutes * 60_000));
    }
    m.set('timer_minutes', (t.minutes ?? 0) + minutes);
  });
}

/** Pauses the running countdown: the time left is kept, the end removed (everyone's stands still). */
export function pauseTimer(control: Y.Doc, now: number) {
  const t = readMeta(control).timer;
  if (!t || t.endsAt === null) return;
  const m = metaMap(control);
  control.transact(() => {
    m.set('timer_left_ms', Math.max(0, Math.round(t.endsAt! - now)));
    m.delete('timer_ends_at');
  });
}

/** Resumes a paused countdown from `now` with the time it had left. */
export function resumeTimer(control: Y.Doc, now: number) {
  const t = readMeta(control).timer;
  if (!t || t.pausedLeft === null) return;
  const m = metaMap(control);
  control.transact(() => {
    m.set('timer_ends_at', Math.round(now + t.pausedLeft!));
    m.delete('timer_left_ms');
  });
}

export function stopTimer(control: Y.Doc) {
  control.transact(() => clearTimer(control));
}

// ---- control document: rows (questions) -------------------------------------------------------

export const rowsArray = (control: Y.Doc) => control.getArray<YMapAny>(ROWS);

function readFields(v: unknown): Field[] | undefined {
  const raw = v instanceof Y.Array ? v.toJSON() : v;
  if (!Array.isArray(raw)) return undefined;
  return raw
    .map((f) => (f instanceof Y.Map ? f.toJSON() : f) as Record<string, unknown>)
    .filter((f) => f && typeof f === 'object')
    .map((f) => ({ id: str(f.id), label: str(f.label), kind: str(f.kind) || 'text', analysis: str(f.analysis) || undefined }));
}

export function readRows(control: Y.Doc): Row[] {
  const out: Row[] = [];
  rowsArray(control).forEach((m) => {
    if (!(m instanceof Y.Map)) return;
    const id = str(m.get('id'));
    if (!id) return;
    out.push({
      id,
      // As stored: a row without a number has none (not its position), as the server reads it.
      number: str(m.get('number')),
      label: str(m.get('label')) || id,
      kind: str(m.get('kind')) || 'text',
      round: str(m.get('round')) || undefined,
      scope: str(m.get('scope')) || undefined,
      help: str(m.get('help')) || undefined,
      fields: readFields(m.get('fields')),
      analysis: str(m.get('analysis')) || undefined,
      sheet: m.get('sheet') === false ? false : undefined,
    });
  });
  return out;
}

function rowIndex(control: Y.Doc, id: string): number {
  return rowsArray(control).toArray().findIndex((m) => m instanceof Y.Map && m.get('id') === id);
}

export function addRow(control: Y.Doc, label: string, number?: string): string {
  const rows = readRows(control);
  const id = uniqueId('q-' + slug(label).slice(0, 24), new Set(rows.map((r) => r.id)));
  const m = new Y.Map<unknown>();
  m.set('id', id);
  m.set('label', label);
  m.set('number', number || String(rows.length + 1));
  m.set('kind', 'text');
  m.set('scope', 'group');
  rowsArray(control).push([m]);
  return id;
}

export function updateRow(control: Y.Doc, id: string, patch: Partial<Pick<Row, 'label' | 'number' | 'help'>>) {
  const i = rowIndex(control, id);
  if (i < 0) return;
  const m = rowsArray(control).get(i);
  control.transact(() => {
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      if (k === 'help' && !v) m.delete('help');
      else m.set(k, v);
    }
  });
}

export function removeRow(control: Y.Doc, id: string) {
  const i = rowIndex(control, id);
  if (i >= 0) rowsArray(control).delete(i, 1);
}

/** Moves a row one place up (-1) or down (+1). Y.Maps cannot be moved, so the row is re-created. */
export function moveRow(control: Y.Doc, id: string, delta: -1 | 1) {
  const arr = rowsArray(control);
  const i = rowIndex(control, id);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= arr.length) return;
  control.transact(() => {
    const copy = cloneMap(arr.get(i));
    arr.delete(i, 1);
    arr.insert(j, [copy]);
  });
}

function cloneMap(m: YMapAny): YMapAny {
  const c = new Y.Map<unknown>();
  m.forEach((v, k) => {
    if (v instanceof Y.Map) c.set(k, cloneMap(v as YMapAny));
    else if (v instanceof Y.Array) {
      const a = new Y.Array<unknown>();
      a.push(v.toArray().map((x) => (x instanceof Y.Map ? cloneMap(x as YMapAny) : x instanceof Y.AbstractType ? x.toJSON() : x)));
      c.set(k, a);
    } else if (v instanceof Y.Text) c.set(k, v.toString());
    else c.set(k, v);
  });
  return c;
}

// ---- control document: columns (fagområder) and their sagsområder -----------------------------

export const columnsArray = (control: Y.Doc) => control.getArray<YMapAny>(COLUMNS);

function readSagsomraader(v: unknown): Sagsomraade[] {
  if (!(v instanceof Y.Array)) return [];
  const out: Sagsomraade[] = [];
  v.forEach((s: unknown) => {
    if (s instanceof Y.Map) out.push({ id: str(s.get('id')), label: str(s.get('label')), kle: str(s.get('kle')) });
    else if (s && typeof s === 'object') {
      const o = s as Record<string, unknown>;
      out.push({ id: str(o.id), label: str(o.label), kle: str(o.kle) });
    }
  });
  return out.filter((s) => s.id);
}

export function readColumns(control: Y.Doc): Column[] {
  const out: Column[] = [];
  columnsArray(control).forEach((m) => {
    if (!(m instanceof Y.Map)) return;
    const id = str(m.get('id'));
    if (!id) return;
    out.push({ id, label: str(m.get('label')) || id, sagsomraader: readSagsomraader(m.get('sagsomraader')) });
  });
  return out;
}

function columnMap(control: Y.Doc, id: string): YMapAny | undefined {
  return columnsArray(control).toArray().find((m) => m instanceof Y.Map && m.get('id') === id);
}

export function addColumn(control: Y.Doc, label: string): string {
  const id = uniqueId(slug(label), new Set(readColumns(control).map((c) => c.id)));
  const m = new Y.Map<unknown>();
  m.set('id', id);
  m.set('label', label);
  m.set('sagsomraader', new Y.Array());
  columnsArray(control).push([m]);
  return id;
}

export function renameColumn(control: Y.Doc, id: string, label: string) {
  columnMap(control, id)?.set('label', label);
}

export function removeColumn(control: Y.Doc, id: string) {
  const i = columnsArray(control).toArray().findIndex((m) => m instanceof Y.Map && m.get('id') === id);
  if (i >= 0) columnsArray(control).delete(i, 1);
}

function sagsArray(control: Y.Doc, columnId: string): Y.Array<unknown> | undefined {
  const col = columnMap(control, columnId);
  if (!col) return undefined;
  let arr = col.get('sagsomraader');
  if (!(arr instanceof Y.Array)) {
    arr = new Y.Array<unknown>();
    col.set('sagsomraader', arr);
  }
  return arr as Y.Array<unknown>;
}

export function addSagsomraade(control: Y.Doc, columnId: string, label: string, kle: string): string | null {
  let id: string | null = null;
  control.transact(() => {
    const arr = sagsArray(control, columnId);
    if (!arr) return;
    const taken = new Set(readColumns(control).flatMap((c) => c.sagsomraader.map((s) => s.id)));
    id = uniqueId(slug(kle ? `${kle} ${label}` : label), taken);
    const m = new Y.Map<unknown>();
    m.set('id', id);
    m.set('label', label);
    m.set('kle', kle);
    arr.push([m]);
  });
  return id;
}

export function updateSagsomraade(control: Y.Doc, columnId: string, id: string, patch: Partial<Pick<Sagsomraade, 'label' | 'kle'>>) {
  const arr = sagsArray(control, columnId);
  const m = arr?.toArray().find((s) => s instanceof Y.Map && s.get('id') === id) as YMapAny | undefined;
  if (!m) return;
  control.transact(() => {
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) m.set(k, v);
  });
}

export function removeSagsomraade(control: Y.Doc, columnId: string, id: string) {
  const arr = sagsArray(control, columnId);
  if (!arr) return;
  const i = arr.toArray().findIndex((s) => s instanceof Y.Map && s.get('id') === id);
  if (i >= 0) arr.delete(i, 1);
}

// ---- wall document: cards ---------------------------------------------------------------------

export const cardsMap = (wall: Y.Doc) => wall.getMap<YMapAny>(CARDS);

function readComments(v: unknown): Comment[] {
  if (!(v instanceof Y.Array)) return [];
  const out: Comment[] = [];
  v.forEach((c: unknown) => {
    if (c instanceof Y.Map) out.push({ id: str(c.get('id')), text: str(c.get('text')), author: str(c.get('author')), created_at: num(c.get('created_at')) });
  });
  return out;
}

function readCardMap(id: string, m: YMapAny): Card | null {
  if (!(m instanceof Y.Map)) return null;
  const row = str(m.get('row'));
  const column = str(m.get('column'));
  if (!row || !column) return null;
  const merged = m.get('merged_from');
  return {
    id,
    row,
    column,
    text: str(m.get('text')),
    sagsomraade: str(m.get('sagsomraade')),
    sagsomraade_id: str(m.get('sagsomraade_id')),
    kle: str(m.get('kle')),
    author: str(m.get('author')),
    author_id: str(m.get('author_id')),
    group: str(m.get('group')),
    created_at: num(m.get('created_at')),
    highlight: m.get('highlight') === true,
    comments: readComments(m.get('comments')),
    merged_from: merged instanceof Y.Array ? merged.toArray().map(str) : [],
  };
}

/** Every card, oldest first. */
export function readCards(wall: Y.Doc): Card[] {
  const out: Card[] = [];
  cardsMap(wall).forEach((m, id) => {
    const c = readCardMap(id, m);
    if (c) out.push(c);
  });
  return out.sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));
}

export interface NewCard {
  row: string;
  column: string;
  text: string;
  sagsomraade?: Sagsomraade | null;
  /** The writer's name; '' writes none (an anonymous room: sync/anonymity.ts). */
  author: string;
  /** The writer's seat id; '' writes none (a fully anonymous room). */
  author_id: string;
  group: string;
  created_at: number;
}

export function addCard(wall: Y.Doc, c: NewCard): string {
  const id = newId();
  const m = new Y.Map<unknown>();
  m.set('row', c.row);
  m.set('column', c.column);
  m.set('text', clampText(c.text));
  if (c.sagsomraade) {
    m.set('sagsomraade', c.sagsomraade.label);
    m.set('sagsomraade_id', c.sagsomraade.id);
    if (c.sagsomraade.kle) m.set('kle', c.sagsomraade.kle);
  }
  if (c.author) m.set('author', c.author);
  if (c.author_id) m.set('author_id', c.author_id);
  m.set('group', c.group);
  m.set('created_at', c.created_at);
  cardsMap(wall).set(id, m);
  return id;
}

const card = (wall: Y.Doc, id: string) => cardsMap(wall).get(id);

export function setCardText(wall: Y.Doc, id: string, text: string) {
  const m = card(wall, id);
  if (!m) return;
  const cur = m.get('text');
  text = clampText(text);
  if (cur instanceof Y.Text) {
    wall.transact(() => {
      cur.delete(0, cur.length);
      cur.insert(0, text);
    });
  } else m.set('text', text);
}

export function deleteCard(wall: Y.Doc, id: string) {
  cardsMap(wall).delete(id);
}

/**
 * The sagsområde a card gets in `column` when nobody chose one: the column's only sagsområde, or
 * none (never the first of several: a card's sagsområde is never wrong by accident).
 */
export const soleSagsomraade = (column: Column | undefined): Sagsomraade | null =>
  column && column.sagsomraader.length === 1 ? column.sagsomraader[0] : null;

/**
 * Moves a card to (row, column). Its sagsområde becomes `sags` when given (`null`: none); when
 * not given, it stays within the same column and otherwise becomes the new column's sole
 * sagsområde or none — a card moved to another fagområde never keeps the old one's sagsområde.
 */
export function moveCard(wall: Y.Doc, id: string, row: string, column: Column, sags?: Sagsomraade | null) {
  const m = card(wall, id);
  if (!m) return;
  const moved = m.get('column') !== column.id;
  const target = sags !== undefined ? sags : moved ? soleSagsomraade(column) : undefined;
  const sameSags = target === undefined || (target?.id ?? '') === str(m.get('sagsomraade_id'));
  if (m.get('row') === row && !moved && sameSags) return;
  wall.transact(() => {
    m.set('row', row);
    m.set('column', column.id);
    if (target === undefined) return;
    if (target) {
      m.set('sagsomraade', target.label);
      m.set('sagsomraade_id', target.id);
      if (target.kle) m.set('kle', target.kle);
      else m.delete('kle');
    } else {
      m.delete('sagsomraade');
      m.delete('sagsomraade_id');
      m.delete('kle');
    }
  });
}

export function setHighlight(wall: Y.Doc, id: string, on: boolean) {
  const m = card(wall, id);
  if (!m) return;
  if (on) m.set('highlight', true);
  else m.delete('highlight');
}

/** A comment on card `id`; `author` '' writes none (an anonymous room). */
export function addComment(wall: Y.Doc, id: string, text: string, author: string, now: number) {
  const m = card(wall, id);
  if (!m) return;
  wall.transact(() => {
    let arr = m.get('comments');
    if (!(arr instanceof Y.Array)) {
      arr = new Y.Array<unknown>();
      m.set('comments', arr);
    }
    const c = new Y.Map<unknown>();
    c.set('id', newId(8));
    c.set('text', clampText(text));
    if (author) c.set('author', author);
    c.set('created_at', now);
    (arr as Y.Array<unknown>).push([c]);
  });
}

/**
 * Merges card `sourceId` into `targetId`: the source's text is appended, its id recorded, the source
 * deleted. `from`: the document holding the source, when it is another (a group document's card
 * merged into a wall card, or the other way round).
 */
export function mergeCards(wall: Y.Doc, targetId: string, sourceId: string, from: Y.Doc = wall) {
  const target = card(wall, targetId);
  const source = card(from, sourceId);
  if (!target || !source || targetId === sourceId) return;
  const s = readCardMap(sourceId, source);
  const t = readCardMap(targetId, target);
  if (!s || !t) return;
  wall.transact(() => {
    const appended = s.text && s.text !== t.text ? `${t.text}\n— ${s.text}` : t.text;
    setCardText(wall, targetId, appended);
    let arr = target.get('merged_from');
    if (!(arr instanceof Y.Array)) {
      arr = new Y.Array<unknown>();
      target.set('merged_from', arr);
    }
    (arr as Y.Array<unknown>).push([sourceId, ...s.merged_from]);
    if (s.highlight) target.set('highlight', true);
    if (s.comments.length) {
      let comments = target.get('comments');
      if (!(comments instanceof Y.Array)) {
        comments = new Y.Array<unknown>();
        target.set('comments', comments);
      }
      (comments as Y.Array<unknown>).push(s.comments.map((c) => {
        const m = new Y.Map<unknown>();
        // An empty author is none (an anonymous room's comments carry no `author` key at all).
        for (const [k, v] of Object.entries(c)) if (k !== 'author' || v) m.set(k, v);
        return m;
      }));
    }
    if (from === wall) cardsMap(wall).delete(sourceId);
  });
  if (from !== wall) cardsMap(from).delete(sourceId);
}

/**
 * Moves card `id` from document `from` to `to` with the same id and content (comments, merges,
 * highlight): a card moved to another group's document. Returns false when `from` has no such card.
 */
export function transferCard(from: Y.Doc, to: Y.Doc, id: string): boolean {
  const m = card(from, id);
  if (!(m instanceof Y.Map) || from === to) return false;
  const copy = cloneMap(m);
  cardsMap(to).set(id, copy);
  cardsMap(from).delete(id);
  return true;
}

// ---- wall document: groups ("vi er færdige") --------------------------------------------------

export const groupsMap = (wall: Y.Doc) => wall.getMap<YMapAny>(GROUPS);

export function readGroups(wall: Y.Doc): Record<string, GroupState> {
  const out: Record<string, GroupState> = {};
  groupsMap(wall).forEach((m, id) => {
    if (m instanceof Y.Map) out[id] = { done: m.get('done') === true, by: str(m.get('by')), at: num(m.get('at')) };
  });
  return out;
}

export function setGroupDone(wall: Y.Doc, columnId: string, done: boolean, by: string, now: number) {
  const groups = groupsMap(wall);
  wall.transact(() => {
    let m = groups.get(columnId);
    if (!(m instanceof Y.Map)) {
      m = new Y.Map<unknown>();
      groups.set(columnId, m);
    }
    m.set('done', done);
    m.set('by', by);
    m.set('at', now);
  });
}

// ---- derived: progress per group --------------------------------------------------------------

export interface GroupProgress {
  column: Column;
  cards: number;
  perRow: Record<string, number>;
  /** Sagsområder where every group question has at least one card. */
  sagsAnswered: number;
  sagsTotal: number;
  /** Per sagsområde: group questions with at least one card. */
  perSags: { sags: Sagsomraade; answered: number; total: number }[];
  rowsAnswered: number;
  rowsTotal: number;
  done: GroupState | null;
}

/** Questions answered by groups (rows whose scope is not "plenum"). */
export const groupRows = (rows: Row[]) => rows.filter((r) => r.scope !== 'plenum');

export function cardMatchesSags(c: Card, s: Sagsomraade): boolean {
  return c.sagsomraade_id ? c.sagsomraade_id === s.id : c.sagsomraade === s.label;
}

/**
 * Each group's progress. A question counts as answered for a sagsområde when it has a card there
 * or a structured answer (the Skema).
 */
export function progress(rows: Row[], columns: Column[], cards: Card[], groups: Record<string, GroupState>, answers: Answers = {}): GroupProgress[] {
  const qs = groupRows(rows);
  return columns.map((column) => {
    const mine = cards.filter((c) => c.column === column.id);
    const perRow: Record<string, number> = {};
    for (const c of mine) perRow[c.row] = (perRow[c.row] ?? 0) + 1;
    const perSags = column.sagsomraader.map((sags) => {
      const answered = qs.filter((r) => mine.some((c) => c.row === r.id && cardMatchesSags(c, sags)) || hasAnswer(answers, sags.id, r.id)).length;
      return { sags, answered, total: qs.length };
    });
    return {
      column,
      cards: mine.length,
      perRow,
      sagsAnswered: perSags.filter((p) => p.total > 0 && p.answered === p.total).length,
      sagsTotal: perSags.length,
      perSags,
      rowsAnswered: qs.filter((r) => (perRow[r.id] ?? 0) > 0).length,
      rowsTotal: qs.length,
      done: groups[column.id] ?? null,
    };
  });
}

// ---- rounds (As-is / To-be) in one room -------------------------------------------------------

type Rounded = { round?: string };

/** The rounds the room's rows belong to, in order of first appearance (e.g. "as-is", "to-be"). */
export function roomRounds(rows: Rounded[]): string[] {
  const out: string[] = [];
  for (const r of rows) if (r.round && !out.includes(r.round)) out.push(r.round);
  return out;
}

/**
 * A row's tag wherever a question is numbered (visible text and aria-labels): "As-is 3" in a room
 * whose rows have more than one round, else just "3" (both rounds count from 1, so the number
 * alone would be said twice). `short` gives "A3", for chips on a phone.
 */
export function rowTag(row: Rounded & { number?: string }, rows: Rounded[], short = false): string {
  const n = row.number ?? '';
  if (!row.round || roomRounds(rows).length < 2) return n;
  const label = roundLabel(row.round);
  return short ? `${label.charAt(0).toUpperCase()}${n}` : n ? `${label} ${n}` : label;
}

/**
 * The rows in their order, cut where the round changes: one section per run, with the round's
 * label for a divider ('' in a room of one round, and for rows without a round).
 */
export function roundSections<T extends Rounded>(rows: T[]): { round: string; label: string; rows: T[] }[] {
  const several = roomRounds(rows).length > 1;
  const out: { round: string; label: string; rows: T[] }[] = [];
  for (const r of rows) {
    const round = several ? r.round ?? '' : '';
    const last = out[out.length - 1];
    if (last && last.round === round) last.rows.push(r);
    else out.push({ round, label: round ? roundLabel(round) : '', rows: [r] });
  }
  return out;
}

/**
 * The rows the groups see while `round` is chosen (`meta.round`): that round's rows and those
 * without a round. '' — or a round no row has — is every row.
 */
export function rowsInRound<T extends Rounded>(rows: T[], round: string): T[] {
  if (!round || !rows.some((r) => r.round === round)) return rows;
  return rows.filter((r) => !r.round || r.round === round);
}

/** Facilitator: the round the groups see now; '' shows every round. */
export function setRound(control: Y.Doc, round: string) {
  if (round) metaMap(control).set('round', round);
  else metaMap(control).delete('round');
}
