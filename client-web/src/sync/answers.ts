// Structured answers (wall document, root Y.Map `answers`) and the prioritisation settings (control
// document, root Y.Map `prioritering`): typed read/write. See docs/API.md, "Structured answers".
import * as Y from 'yjs';
import { DEFAULT_SETTINGS, readSettings, viaKey, type Answers, type Brugerantal, type Settings } from './analysis';
import { clampText } from './schema';

export const ANSWERS = 'answers';
export const PRIORITERING = 'prioritering';

/**
 * The answers live flat in one root map, key `<sagsområde id>/<answer key>`: no nested map per
 * sagsområde, so two clients answering a new sagsområde at the same moment can never create two
 * maps of which one (with its answers) would be lost. Same key, same moment: the later write wins,
 * as for any single value.
 */
export const answersMap = (wall: Y.Doc) => wall.getMap<unknown>(ANSWERS);
export const prioriteringMap = (control: Y.Doc) => control.getMap<unknown>(PRIORITERING);

export const answerKey = (sagsId: string, key: string) => `${sagsId}/${key}`;

const plain = (v: unknown): unknown => (v instanceof Y.Text ? v.toString() : v instanceof Y.AbstractType ? v.toJSON() : v);

/** Every sagsområde's answers as plain values. */
export function readAnswers(wall: Y.Doc): Answers {
  const out: Answers = {};
  answersMap(wall).forEach((v, k) => {
    const slash = k.indexOf('/');
    if (slash <= 0) return;
    const sagsId = k.slice(0, slash);
    (out[sagsId] ??= {})[k.slice(slash + 1)] = plain(v);
  });
  return out;
}

/** The key recording who set an answer: `<answer key>#by` = their seat id (or `facilitator`). */
export const byKey = (key: string) => `${key}#by`;

/** Records who set answer `key` (`by` empty: nobody known, the record is dropped). */
function setBy(root: Y.Map<unknown>, sagsId: string, key: string, by: string | undefined) {
  const k = answerKey(sagsId, byKey(key));
  if (by) root.set(k, by);
  else if (root.has(k)) root.delete(k);
}

/**
 * Sets one answer (`<row id>` or `<row id>.<field id>`); `null` or `""` clears it. Set by hand:
 * drops `#via`; `by` (the seat id, or `facilitator`) is recorded as `#by`.
 */
export function setAnswer(wall: Y.Doc, sagsId: string, key: string, value: string | number | null, by?: string) {
  const root = answersMap(wall);
  const k = answerKey(sagsId, key);
  const via = answerKey(sagsId, viaKey(key));
  wall.transact(() => {
    const cleared = value === null || value === '';
    if (cleared) root.delete(k);
    else if (root.get(k) !== value) root.set(k, typeof value === 'string' ? clampText(value) : value);
    if (root.has(via)) root.delete(via);
    setBy(root, sagsId, key, cleared ? undefined : by);
  });
}

/** Stores the R2 wizard's outcome as the answer, marked `#via = "wizard"` and `#by`. */
export function setAnswerFromWizard(wall: Y.Doc, sagsId: string, key: string, value: string, by?: string) {
  const root = answersMap(wall);
  wall.transact(() => {
    root.set(answerKey(sagsId, key), value);
    root.set(answerKey(sagsId, viaKey(key)), 'wizard');
    setBy(root, sagsId, key, by);
  });
}

/** Sets the answer a new card carries (sync/answerCards.ts), marked `#via = "card"`, in the card's transaction. */
export function setAnswerFromCard(wall: Y.Doc, sagsId: string, key: string, value: string | number, by?: string) {
  const root = answersMap(wall);
  wall.transact(() => {
    setBy(root, sagsId, key, by);
    root.set(answerKey(sagsId, key), typeof value === 'string' ? clampText(value) : value);
    root.set(answerKey(sagsId, viaKey(key)), 'card');
  });
}

/** The hand-set brugerantal; `null` goes back to the value derived from the caseworkers. */
export function setBrugerantal(wall: Y.Doc, sagsId: string, value: Brugerantal | null) {
  const root = answersMap(wall);
  const k = answerKey(sagsId, 'brugerantal');
  if (value) root.set(k, value);
  else root.delete(k);
}

// ---- prioritering (facilitator) ---------------------------------------------------------------

export function readPrioritering(control: Y.Doc): Settings {
  const raw: Record<string, unknown> = {};
  prioriteringMap(control).forEach((v, k) => (raw[k] = v));
  return readSettings(raw);
}

export function setPrioritering<K extends keyof Settings>(control: Y.Doc, key: K, value: Settings[K]) {
  prioriteringMap(control).set(key, value);
}

export function resetPrioritering(control: Y.Doc) {
  control.transact(() => {
    for (const [k, v] of Object.entries(DEFAULT_SETTINGS)) prioriteringMap(control).set(k, v);
  });
}
