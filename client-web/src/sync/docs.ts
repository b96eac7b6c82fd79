// The room's cards, answers and "vi er færdige" as one set, over the wall document and the group
// documents this person may read (CONTRACT.md v2, "Group documents"), and where each change goes.
// Every view reads and writes cards, answers and groups through here, never one document alone:
// - a card in group document X counts in column X, whatever its `column` says (as the server's sheet);
// - answers and groups are merged key by key, the wall first, then the groups in column order: a
//   group document wins on a key both hold;
// - a new card, answer or "vi er færdige" goes to a group's own document in a room that has them
//   (`meta.group_documents`) when written in that group's work: by one of its seats, or by the
//   facilitator for the group; everything else (plenum, a link without a seat, an older room) to the wall.
// Plain functions over the documents (no providers): test/docs.test.mjs runs them in Node.
import type * as Y from 'yjs';
import { answersMap, readAnswers, setAnswer, setAnswerFromCard, setAnswerFromWizard, setBrugerantal } from './answers';
import { answerFromCard } from './answerCards';
import type { Answers, Brugerantal } from './analysis';
import { cardWriter, doneBy, idsWritten, namesWritten, readAnonymity, showsNames, stricter, type Anonymity } from './anonymity';
import {
  addCard, addComment, cardsMap, deleteCard, groupsMap, mergeCards, moveCard, readCards, readColumns, readGroups, readMeta,
  readRevealed, readRows, setCardText, setGroupDone, setHighlight, transferCard,
  type Card, type Column, type GroupState, type NewCard, type Sagsomraade,
} from './schema';

/** A room's documents as this page holds them (`RoomSession.docs`). */
export interface RoomDocs {
  wall: Y.Doc;
  control: Y.Doc;
  /** The group documents open now (those this person may read), by column id. */
  groups: ReadonlyMap<string, Y.Doc>;
  /** The group documents this person may write (the facilitator: all; a seat: its own). */
  writable: ReadonlySet<string>;
  role: string;
  /** The seat's group (column id); '' without a seat. */
  seatGroup: string;
  /** Each seat's name now, by seat id: a card of a seat shows its writer by it. */
  names?: ReadonlyMap<string, string>;
  /** The room's anonymity as `GET /api/rooms/{id}` said, before the control document is here (see `anonymityOf`). */
  anonymity?: Anonymity;
}

/**
 * The room's anonymity (sync/anonymity.ts): the control document's `meta.anonymity`, or the room's
 * answer when that came first: a write never names its writer because the control document was late.
 */
export const anonymityOf = (d: RoomDocs): Anonymity => stricter(d.anonymity, readAnonymity(d.control));

/** Who may write `#by` on an answer here: the writer's seat id (or `facilitator`), none in a fully anonymous room. */
const answerBy = (d: RoomDocs, by: string | undefined) => (idsWritten(anonymityOf(d)) ? by : undefined);

/**
 * Which group documents a reader takes: `all` that are open, or `plenum` — what the wall shows the
 * room: the groups that are open to everyone (visibility open, or revealed) and the seat's own. On
 * the facilitator's projector private groups stay hidden until revealed.
 */
export type Scope = 'all' | 'plenum';

/** The groups whose cards the plenum wall shows hidden (private and not revealed); empty when open. */
export function hiddenGroups(d: RoomDocs): Set<string> {
  const meta = readMeta(d.control);
  const out = new Set<string>();
  if (!meta.groupDocuments || meta.visibility !== 'private') return out;
  const revealed = readRevealed(d.control);
  for (const c of readColumns(d.control)) if (!revealed.has(c.id) && c.id !== d.seatGroup) out.add(c.id);
  return out;
}

/** The open group documents in column order (the merge order), within `scope`. */
function groupDocs(d: RoomDocs, scope: Scope): [string, Y.Doc][] {
  const hidden = scope === 'plenum' ? hiddenGroups(d) : new Set<string>();
  const order = readColumns(d.control).map((c) => c.id);
  const extra = [...d.groups.keys()].filter((id) => !order.includes(id));
  return [...order, ...extra].flatMap((id) => {
    const doc = d.groups.get(id);
    return doc && !hidden.has(id) ? [[id, doc] as [string, Y.Doc]] : [];
  });
}

// ---- reading --------------------------------------------------------------------------------

/**
 * Every card the person may see, oldest first: the wall's, then each group document's (in its
 * column); a seat's card by the name the seat has now (`names`, from `GET /api/rooms/{id}/people`).
 */
export function readRoomCards(d: RoomDocs, scope: Scope = 'all'): Card[] {
  const byId = new Map<string, Card>();
  // Whom the room does not tell who wrote what sees no writer, whatever a card says.
  const shown = showsNames(anonymityOf(d), d.role);
  const named = (c: Card): Card => {
    if (!shown) return { ...c, author: '', comments: c.comments.map((x) => ({ ...x, author: '' })) };
    const name = d.names?.get(c.author_id);
    return name ? { ...c, author: name } : c;
  };
  for (const c of readCards(d.wall)) byId.set(c.id, named(c));
  for (const [column, doc] of groupDocs(d, scope)) {
    for (const c of readCards(doc)) byId.set(c.id, { ...named(c), column });
  }
  return [...byId.values()].sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));
}

/** Every sagsområde's answers: the wall's, then each group document's, key by key (a group's wins). */
export function readRoomAnswers(d: RoomDocs, scope: Scope = 'all'): Answers {
  const out: Answers = readAnswers(d.wall);
  for (const [, doc] of groupDocs(d, scope)) {
    for (const [sags, values] of Object.entries(readAnswers(doc))) out[sags] = { ...(out[sags] ?? {}), ...values };
  }
  return out;
}

/** "Vi er færdige" per group (column id): the wall's, then the group documents' (a group's wins). */
export function readRoomGroups(d: RoomDocs, scope: Scope = 'all'): Record<string, GroupState> {
  const out = readGroups(d.wall);
  for (const [, doc] of groupDocs(d, scope)) Object.assign(out, readGroups(doc));
  return out;
}

/** The document that holds card `id` (a group's, where both would: it is the one read). */
export function holderOf(d: RoomDocs, id: string): Y.Doc | null {
  for (const [, doc] of groupDocs(d, 'all')) if (cardsMap(doc).has(id)) return doc;
  return cardsMap(d.wall).has(id) ? d.wall : null;
}

// ---- who writes where -----------------------------------------------------------------------

const closedFor = (d: RoomDocs) => d.role !== 'facilitator' && readMeta(d.control).phase === 'closed';

/** May this page write the wall now? (The facilitator always; a participant unless the workshop is closed.) */
export const canWriteWall = (d: RoomDocs) => d.role === 'facilitator' || (d.role === 'participant' && !closedFor(d));

/** May this page write `column`'s group document now? */
export const canWriteGroup = (d: RoomDocs, column: string) => d.writable.has(column) && d.groups.has(column) && !closedFor(d);

const inGroupRoom = (d: RoomDocs) => readMeta(d.control).groupDocuments;

/**
 * Where a new card in `column` goes, or null when this page may not add it. `via`: `group` — the
 * group's own work (its page; the facilitator's "Tilføj kort for gruppen"); `wall` — the plenum
 * wall, where a card is the group's own only during group work (phase "gruppearbejde") and in the
 * writer's own group (the facilitator: any group).
 */
export function newCardDoc(d: RoomDocs, column: string, via: 'group' | 'wall'): Y.Doc | null {
  const own = d.role === 'facilitator' || (d.role === 'participant' && d.seatGroup === column);
  const groupWork = via === 'group' || readMeta(d.control).phase === 'group';
  // Never the wall instead: a private group's card would be shown to everyone.
  if (inGroupRoom(d) && own && groupWork) return canWriteGroup(d, column) ? d.groups.get(column)! : null;
  return canWriteWall(d) ? d.wall : null;
}

/** The column (fagområde) a sagsområde belongs to. */
const columnOfSags = (d: RoomDocs, sagsId: string): Column | undefined => readColumns(d.control).find((c) => c.sagsomraader.some((s) => s.id === sagsId));

/**
 * Where an answer of sagsområde `sagsId` goes, or null when this page may not set it: in a room with
 * group documents, the sagsområde's group's document for whoever writes it (the facilitator, the
 * group's seats); a seat does not answer for another group; a link without a seat writes the wall (v1).
 */
export function answerDoc(d: RoomDocs, sagsId: string): Y.Doc | null {
  if (!inGroupRoom(d) || (d.role !== 'facilitator' && !d.seatGroup)) return canWriteWall(d) ? d.wall : null;
  const column = columnOfSags(d, sagsId)?.id;
  if (column && d.writable.has(column)) return canWriteGroup(d, column) ? d.groups.get(column)! : null;
  // A sagsområde of no group (a removed column): the wall, for the facilitator.
  return !column && d.role === 'facilitator' ? d.wall : null;
}

export const canWriteAnswer = (d: RoomDocs, sagsId: string) => answerDoc(d, sagsId) !== null;

/** Where "vi er færdige" of group `column` goes, or null. */
export function doneDoc(d: RoomDocs, column: string): Y.Doc | null {
  return newCardDoc(d, column, 'group');
}

// ---- writing --------------------------------------------------------------------------------

/**
 * Adds a card (see `newCardDoc`); a card that is a closed question's value also answers it while
 * that is still open (sync/answerCards.ts). Returns the card id, or null when it may not be added.
 */
export function addRoomCard(d: RoomDocs, card: NewCard, via: 'group' | 'wall', by = card.author_id): string | null {
  const doc = newCardDoc(d, card.column, via);
  if (!doc) return null;
  // Nothing about its writer that the room does not allow (the server would refuse it: 4403).
  card = { ...card, ...cardWriter(anonymityOf(d), card.author, card.author_id) };
  by = answerBy(d, by) ?? '';
  const row = readRows(d.control).find((r) => r.id === card.row);
  const sags = card.sagsomraade;
  const set = sags && row ? answerFromCard(row, card.text, readRoomAnswers(d)[sags.id] ?? {}) : null;
  const target = sags && set ? answerDoc(d, sags.id) : null;
  let id = '';
  doc.transact(() => {
    id = addCard(doc, card);
    if (set && sags && target === doc) setAnswerFromCard(doc, sags.id, set.key, set.value, by);
  });
  // The answer's document is another (a plenum card on the wall answers in the group's document).
  if (set && sags && target && target !== doc) setAnswerFromCard(target, sags.id, set.key, set.value, by);
  return id;
}

export function editCardText(d: RoomDocs, id: string, text: string) {
  const doc = holderOf(d, id);
  if (doc) setCardText(doc, id, text);
}

export function removeCard(d: RoomDocs, id: string) {
  const doc = holderOf(d, id);
  if (doc) deleteCard(doc, id);
}

export function highlightCard(d: RoomDocs, id: string, on: boolean) {
  const doc = holderOf(d, id);
  if (doc) setHighlight(doc, id, on);
}

export function commentCard(d: RoomDocs, id: string, text: string, author: string, now: number) {
  const doc = holderOf(d, id);
  if (doc) addComment(doc, id, text, namesWritten(anonymityOf(d)) ? author : '', now);
}

/**
 * Moves a card to (row, column) — the facilitator's "Flyt" and drag and drop. A wall card stays on
 * the wall. A group document's card moved to another fagområde moves to that group's document (same
 * id and content: what the group document holds is what counts in its column); where that document
 * is not open here, the card stays and false is returned.
 */
export function moveRoomCard(d: RoomDocs, id: string, row: string, column: Column, sags?: Sagsomraade | null): boolean {
  const from = holderOf(d, id);
  if (!from) return false;
  let doc = from;
  if (from !== d.wall) {
    const fromColumn = [...d.groups].find(([, g]) => g === from)?.[0];
    if (fromColumn !== column.id) {
      const to = d.groups.get(column.id);
      if (!to || !canWriteGroup(d, column.id)) return false;
      transferCard(from, to, id);
      doc = to;
    }
  }
  moveCard(doc, id, row, column, sags);
  return true;
}

/** Merges card `sourceId` into `targetId`, wherever each is held. */
export function mergeRoomCards(d: RoomDocs, targetId: string, sourceId: string) {
  const target = holderOf(d, targetId);
  const source = holderOf(d, sourceId);
  if (target && source) mergeCards(target, targetId, sourceId, source);
}

/**
 * Sets one answer (see `answerDoc`). Clearing it also clears the wall's value of that key, where
 * one was left there (by a link without a seat, or before the room had group documents), so a
 * cleared answer does not come back from the wall.
 */
export function writeAnswer(d: RoomDocs, sagsId: string, key: string, value: string | number | null, by?: string) {
  const doc = answerDoc(d, sagsId);
  if (!doc) return;
  setAnswer(doc, sagsId, key, value, answerBy(d, by));
  if (doc !== d.wall && (value === null || value === '') && answersMap(d.wall).has(`${sagsId}/${key}`) && canWriteWall(d)) {
    setAnswer(d.wall, sagsId, key, null);
  }
}

export function writeWizardAnswer(d: RoomDocs, sagsId: string, key: string, value: string, by?: string) {
  const doc = answerDoc(d, sagsId);
  if (doc) setAnswerFromWizard(doc, sagsId, key, value, answerBy(d, by));
}

export function writeBrugerantal(d: RoomDocs, sagsId: string, value: Brugerantal | null) {
  const doc = answerDoc(d, sagsId);
  if (!doc) return;
  setBrugerantal(doc, sagsId, value);
  if (doc !== d.wall && value === null && answersMap(d.wall).has(`${sagsId}/brugerantal`) && canWriteWall(d)) setBrugerantal(d.wall, sagsId, null);
}

/**
 * "Vi er færdige" (or not) for group `column`, by `by` (a name) of seat `seatId`: in an anonymous
 * room the seat id or nobody instead of the name (sync/anonymity.ts, `doneBy`).
 */
export function writeDone(d: RoomDocs, column: string, done: boolean, by: string, now: number, seatId = '') {
  const doc = doneDoc(d, column);
  if (!doc) return;
  by = doneBy(anonymityOf(d), by, seatId);
  setGroupDone(doc, column, done, by, now);
  // Undone in the group's document while the wall still says done (from before): say it there too.
  if (doc !== d.wall && !done && groupsMap(d.wall).has(column) && canWriteWall(d)) setGroupDone(d.wall, column, done, by, now);
}
