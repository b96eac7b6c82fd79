// How the wall's cards and the structured answers become the documentation sheet's cells: one set
// of answers, two views. The rules are docs/API.md, "Cards in the sheet", implemented for the
// server in shared/src/cells.rs; the fixture shared/tests/fixtures/sheet-cells.json holds both to
// the same cells (the Rust test in shared/tests/sheet_cells.rs, this one in the browser test
// client-web/e2e/cells.test.mjs). Pure functions over plain objects: no Yjs here.
import { answerColumns, choiceLabel, questionPrefix, sheetRows, type AnswerColumn, type SheetRow, type Value } from './analysis';
import type { Card, Column, Row, Sagsomraade } from './schema';

export type Holds = 'name' | 'answer' | 'answer_and_cards' | 'cards' | 'derived' | 'comments' | 'votes';

/** One column of the sheet, in order (the server's `Sheet.layout`). */
export interface SheetColumn {
  header: string;
  holds: Holds;
  /** The answer column (`answer`, `answer_and_cards`). */
  answer?: AnswerColumn;
  /** The question whose cards it holds (`cards`, `answer_and_cards`). */
  question?: Row;
}

export const NAME_HEADER = ['Fagområde', 'Sagsområde', 'KLE-nummer'];
export const DERIVED_HEADER = ['Brugerantal', 'Omfang af oprydningsarbejde', 'Prioritet', 'I analysen'];
export const COMMENTS_HEADER = 'Kommentarer';
export const CARDS_SUFFIX = 'kort';
export const BULLET = '• ';
export const QUOTE_CHARS = 40;

export { questionPrefix };

/** The columns of the sheet: names, each question's answers and cards, derived values, comments. */
export function sheetLayout(rows: Row[]): SheetColumn[] {
  const answers = answerColumns(rows);
  const out: SheetColumn[] = NAME_HEADER.map((header) => ({ header, holds: 'name' }));
  for (const row of sheetRows(rows)) {
    const mine = answers.filter((c) => c.row.id === row.id);
    if (mine.length === 1 && mine[0].kind === 'text' && !mine[0].field) {
      out.push({ header: mine[0].header, holds: 'answer_and_cards', answer: mine[0], question: row });
    } else {
      for (const c of mine) out.push({ header: c.header, holds: 'answer', answer: c });
      out.push({ header: `${questionPrefix(row)}: ${CARDS_SUFFIX}`, holds: 'cards', question: row });
    }
  }
  for (const header of DERIVED_HEADER) out.push({ header, holds: 'derived' });
  out.push({ header: COMMENTS_HEADER, holds: 'comments' });
  return out;
}

/** A place in the sheet: a sagsområde of a fagområde. */
export interface Place { fag: Column; sags: Sagsomraade }

/** The sagsområde a card belongs to (docs/API.md, "Cards in the sheet"), if any. */
export function placeOf(card: Card, columns: Column[]): Place | null {
  const fag = columns.find((c) => c.id === card.column);
  if (!fag) return null;
  const find = (ok: (s: Sagsomraade) => boolean) => {
    const sags = fag.sagsomraader.find(ok);
    return sags ? { fag, sags } : null;
  };
  if (card.sagsomraade_id) return find((s) => s.id === card.sagsomraade_id);
  if (card.sagsomraade) return find((s) => s.label === card.sagsomraade);
  return fag.sagsomraader.length === 1 ? { fag, sags: fag.sagsomraader[0] } : null;
}

/** Per sagsområde id, per question id, its cards oldest first; and the ids of the cards on sheet questions that belong to none. */
export function placeCards(cards: Card[], rows: Row[], columns: Column[]): { placed: Map<string, Map<string, Card[]>>; unplaced: string[] } {
  const questions = new Set(sheetRows(rows).map((r) => r.id));
  const placed = new Map<string, Map<string, Card[]>>();
  const unplaced: string[] = [];
  const sorted = cards
    .filter((c) => questions.has(c.row))
    .sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const card of sorted) {
    const place = placeOf(card, columns);
    if (!place) {
      unplaced.push(card.id);
      continue;
    }
    let bySags = placed.get(place.sags.id);
    if (!bySags) placed.set(place.sags.id, (bySags = new Map()));
    const list = bySags.get(card.row);
    if (list) list.push(card);
    else bySags.set(card.row, [card]);
  }
  return { placed, unplaced };
}

/** A value as the sheet shows it: `høj` for `hoej`, numbers without a trailing `.0`, text as it is. */
export const display = (v: Value | null) => (v === null ? '' : typeof v === 'string' ? choiceLabel(v) : String(v));

/** A card's line: `• <text>` (trimmed), and ` (<group>)` when another group than `fagomraade` wrote it. */
export function cardLine(card: Card, fagomraade: string): string {
  const group = card.group.trim();
  const text = card.text.trim();
  return group && group !== fagomraade ? `${BULLET}${text} (${group})` : `${BULLET}${text}`;
}

/** The first line of a card's text, at most QUOTE_CHARS characters (then `…`). */
export function quote(text: string): string {
  const first = (text.trim().split(/\r\n|\n|\r/)[0] ?? '').trimEnd();
  const chars = [...first];
  return chars.length > QUOTE_CHARS ? `${chars.slice(0, QUOTE_CHARS).join('').trimEnd()}…` : first;
}

const BRUGERANTAL_LABEL: Record<string, string> = { faa: 'få', mellem: 'mellem', mange: 'mange' };
const OMFANG_LABEL: Record<number, string> = { 1: '1 Let', 2: '2 Moderat', 3: '3 Stort' };

/** The text of every column of one sheet row, as the server's CSV holds it (before neutralising). */
export function rowCells(layout: SheetColumn[], row: SheetRow, cards: Map<string, Card[]> | undefined, rows: Row[]): string[] {
  const cardsOf = (q?: Row) => (q ? cards?.get(q.id) ?? [] : []).filter((c) => c.text.trim() !== '');
  const lines = (first: string, list: Card[]) =>
    [...(first ? [first] : []), ...list.map((c) => cardLine(c, row.fag.label))].join('\n');
  const names = [row.fag.label, row.sags.label, row.sags.kle];
  const derived = [
    row.brugerantal ? BRUGERANTAL_LABEL[row.brugerantal] : '',
    row.omfang ? OMFANG_LABEL[row.omfang] : '',
    row.prioritet === null ? '' : String(row.prioritet),
    row.inAnalysis ? 'ja' : 'nej',
  ];
  const comments = () => {
    const out: string[] = [];
    for (const q of sheetRows(rows)) {
      for (const card of cards?.get(q.id) ?? []) {
        for (const c of card.comments) {
          if (!c.text.trim()) continue;
          const author = c.author.trim() ? ` (${c.author.trim()})` : '';
          out.push(`${questionPrefix(q)} «${quote(card.text)}»: ${c.text.trimEnd()}${author}`);
        }
      }
    }
    return out.join('\n');
  };
  let n = 0;
  let d = 0;
  return layout.map((col) => {
    switch (col.holds) {
      case 'name': return names[n++] ?? '';
      case 'answer': return display(row.values[col.answer!.key] ?? null);
      case 'answer_and_cards': return lines(display(row.values[col.answer!.key] ?? null), cardsOf(col.question));
      case 'cards': return lines('', cardsOf(col.question));
      case 'derived': return derived[d++] ?? '';
      case 'comments': return comments();
      // The server adds the votes after the cells (shared/src/voting.rs add_to_sheet).
      case 'votes': return '';
    }
    return '';
  });
}

/** The whole sheet as text: header and one row of cells per sagsområde (what the fixture checks). */
export function sheetCells(rows: Row[], columns: Column[], cards: Card[], sheet: SheetRow[]): { header: string[]; rows: string[][]; unplaced: string[] } {
  const layout = sheetLayout(rows);
  const { placed, unplaced } = placeCards(cards, rows, columns);
  return {
    header: layout.map((c) => c.header),
    rows: sheet.map((r) => rowCells(layout, r, placed.get(r.sags.id), rows)),
    unplaced,
  };
}
