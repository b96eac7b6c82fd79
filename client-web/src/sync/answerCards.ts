// One set of answers on the wall (docs/API.md, "Cards and closed answers"): a card on a closed
// question whose first line is one of its values (what the chips write: Ja/Nej, lav/middel/høj,
// 0/A–E, 1–4, a number) carries that value; it sets the structured answer when that is still
// empty, and it is marked when it disagrees with the one set. And the other way round: the Skema's
// answers show on the wall as answer cards in their cells. Pure functions: no Yjs here.
import { answerColumns, CHOICES, readNumber, readValue, NAMING_ROLES, type AnswerColumn, type Answers, type Value } from './analysis';
import { placeOf } from './cells';
import type { Card, Column, Row, Sagsomraade } from './schema';

/** The answer a card on `row` can carry: the question's own closed (or number) answer, or its only field of the question's kind. */
export function valueKeyOf(row: Row): { key: string; kind: string } | null {
  const closed = (kind: string) => kind === 'number' || !!CHOICES[kind];
  if (!closed(row.kind)) return null;
  if (!row.fields?.length) return { key: row.id, kind: row.kind };
  const same = row.fields.filter((f) => f.kind === row.kind && !(f.analysis && NAMING_ROLES.includes(f.analysis)));
  return same.length === 1 ? { key: `${row.id}.${same[0].id}`, kind: row.kind } : null;
}

/** The value a card's text carries for `kind`: its first line, trimmed, without a final `.` or `!`, read as the kind; else null. */
export function cardValue(text: string, kind: string): Value | null {
  const first = (text.trim().split(/\r?\n/)[0] ?? '').trim().replace(/[.!]+$/, '').trim();
  if (!first) return null;
  if (kind === 'number') return readNumber(first);
  return readValue(first, kind);
}

/** What a new card sets: the answer (`key`, `value`) of its sagsområde when the card carries a value and the answer is still empty. */
export function answerFromCard(row: Row, text: string, sagsAnswers: Record<string, unknown>): { key: string; value: Value } | null {
  const vk = valueKeyOf(row);
  if (!vk) return null;
  const value = cardValue(text, vk.kind);
  if (value === null || readValue(sagsAnswers[vk.key], vk.kind) !== null) return null;
  return { key: vk.key, value };
}

/** A card that disagrees with its sagsområde's answer: the answer's kind and the value set. */
export interface Conflict { kind: string; stored: Value; card: Value }

export function conflictOf(card: Card, rows: Row[], columns: Column[], answers: Answers): Conflict | null {
  const row = rows.find((r) => r.id === card.row);
  const vk = row && valueKeyOf(row);
  if (!vk) return null;
  const value = cardValue(card.text, vk.kind);
  const place = value === null ? null : placeOf(card, columns);
  if (!place || value === null) return null;
  const stored = readValue(answers[place.sags.id]?.[vk.key], vk.kind);
  return stored !== null && stored !== value ? { kind: vk.kind, stored, card: value } : null;
}

/** Every card's disagreement with the Skema, by card id. */
export function conflicts(cards: Card[], rows: Row[], columns: Column[], answers: Answers): Map<string, Conflict> {
  const out = new Map<string, Conflict>();
  for (const c of cards) {
    const k = conflictOf(c, rows, columns, answers);
    if (k) out.set(c.id, k);
  }
  return out;
}

/** The Skema's answers to one question for one sagsområde: the answer columns with a value. */
export interface AnswerNote { sags: Sagsomraade; values: { column: AnswerColumn; value: Value }[] }

/** The answer cards of the wall, by cell (`<row id>\0<column id>`): per sagsområde of the column with an answer to the question. */
export function answerNotes(rows: Row[], columns: Column[], answers: Answers): Map<string, AnswerNote[]> {
  const cols = answerColumns(rows);
  const out = new Map<string, AnswerNote[]>();
  for (const row of rows) {
    const mine = cols.filter((c) => c.row.id === row.id);
    if (!mine.length) continue;
    for (const fag of columns) {
      const notes: AnswerNote[] = [];
      for (const sags of fag.sagsomraader) {
        const a = answers[sags.id] ?? {};
        const values = mine.flatMap((column) => {
          const value = readValue(a[column.key], column.kind);
          return value === null ? [] : [{ column, value }];
        });
        if (values.length) notes.push({ sags, values });
      }
      if (notes.length) out.set(`${row.id}\u0000${fag.id}`, notes);
    }
  }
  return out;
}
