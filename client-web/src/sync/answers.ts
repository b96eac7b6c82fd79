// Structured answers (wall document, root Y.Map `answers`) and the prioritisation settings (control
// document, root Y.Map `prioritering`): typed read/write. See docs/API.md, "Structured answers".
import * as Y from 'yjs';
import { DEFAULT_SETTINGS, readSettings, viaKey, type Answers, type Brugerantal, type Settings } from './analysis';
import type { Column } from './schema';

export const ANSWERS = 'answers';
export const PRIORITERING = 'prioritering';

type YMapAny = Y.Map<unknown>;

export const answersMap = (wall: Y.Doc) => wall.getMap<YMapAny>(ANSWERS);
export const prioriteringMap = (control: Y.Doc) => control.getMap<unknown>(PRIORITERING);

const plain = (v: unknown): unknown => (v instanceof Y.Text ? v.toString() : v instanceof Y.AbstractType ? v.toJSON() : v);

/** Every sagsområde's answers as plain values. */
export function readAnswers(wall: Y.Doc): Answers {
  const out: Answers = {};
  answersMap(wall).forEach((m, sagsId) => {
    if (!(m instanceof Y.Map)) return;
    const a: Record<string, unknown> = {};
    m.forEach((v, k) => (a[k] = plain(v)));
    out[sagsId] = a;
  });
  return out;
}

/**
 * Creates the (empty) answers map of each sagsområde that has none yet. Called as soon as a page
 * that may write the wall is synced, long before anyone answers: two clients that create the same
 * sagsområde's map at once lose one of the two maps, which is harmless while they are empty.
 */
export function ensureAnswerMaps(wall: Y.Doc, columns: Column[]) {
  const root = answersMap(wall);
  const missing = columns.flatMap((c) => c.sagsomraader.map((s) => s.id)).filter((id) => !(root.get(id) instanceof Y.Map));
  if (!missing.length) return;
  wall.transact(() => {
    for (const id of missing) root.set(id, new Y.Map<unknown>());
  });
}

function sagsMap(wall: Y.Doc, sagsId: string): YMapAny {
  const root = answersMap(wall);
  let m = root.get(sagsId);
  if (!(m instanceof Y.Map)) {
    m = new Y.Map<unknown>();
    root.set(sagsId, m);
  }
  return m;
}

/** Sets one answer (`<row id>` or `<row id>.<field id>`); `null` or `""` clears it. Set by hand: drops `#via`. */
export function setAnswer(wall: Y.Doc, sagsId: string, key: string, value: string | number | null) {
  wall.transact(() => {
    const m = sagsMap(wall, sagsId);
    if (value === null || value === '') m.delete(key);
    else if (m.get(key) !== value) m.set(key, value);
    if (m.has(viaKey(key))) m.delete(viaKey(key));
  });
}

/** Stores the R2 wizard's outcome as the answer, marked `#via = "wizard"`. */
export function setAnswerFromWizard(wall: Y.Doc, sagsId: string, key: string, value: string) {
  wall.transact(() => {
    const m = sagsMap(wall, sagsId);
    m.set(key, value);
    m.set(viaKey(key), 'wizard');
  });
}

/** The hand-set brugerantal; `null` goes back to the value derived from the caseworkers. */
export function setBrugerantal(wall: Y.Doc, sagsId: string, value: Brugerantal | null) {
  wall.transact(() => {
    const m = sagsMap(wall, sagsId);
    if (value) m.set('brugerantal', value);
    else m.delete('brugerantal');
  });
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
