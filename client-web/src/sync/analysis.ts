// Everything derived from the structured answers, in one place: the documentation sheet's columns,
// brugerantal, omfang, "i analysen", the priority order and the summaries. The rules are those of
// docs/API.md ("Derived values"); the server has the same rules in Rust (shared/src/analysis.rs,
// the closed lists in shared/src/answer.rs, a row read in shared/src/question.rs) for the exports,
// so change both together: the fixture shared/tests/fixtures/analysis.json holds both to the same
// columns, derived values and summaries (shared/tests/analysis_fixture.rs, and `npm test`:
// test/analysis.test.mjs). Pure functions over plain objects: no Yjs here.
import type { Column, Field, Row, Sagsomraade } from './schema';

// ---- answer kinds ---------------------------------------------------------------------------

export type Kind = 'text' | 'number' | 'ja_nej' | 'lav_middel_hoej' | 'brugsmoenster' | 'loesningsscenarie' | 'date';
const KINDS: readonly string[] = ['text', 'number', 'ja_nej', 'lav_middel_hoej', 'brugsmoenster', 'loesningsscenarie', 'date'] satisfies Kind[];

/** A row's or field's kind as the sheet reads it: an absent or unknown kind is `text` (the server's `AnswerKind::of`). */
export const kindOf = (kind: string | undefined): Kind => (kind && KINDS.includes(kind) ? (kind as Kind) : 'text');

/** The closed answer kinds and their stored values, in display order (the server's `AnswerKind::choices`; a Rust test reads these lines). */
export const CHOICES: Record<string, readonly string[]> = {
  ja_nej: ['ja', 'nej'],
  lav_middel_hoej: ['lav', 'middel', 'hoej'],
  brugsmoenster: ['0', 'A', 'B', 'C', 'D', 'E'],
  loesningsscenarie: ['1', '2', '3', '4'],
};

/** A stored closed value as the sheet shows it: `høj` for `hoej`, any other as it is (the server's `Choice::label`). */
export const choiceLabel = (code: string) => (code === 'hoej' ? 'høj' : code);

export const BRUGERANTAL = ['faa', 'mellem', 'mange'] as const;
export type Brugerantal = (typeof BRUGERANTAL)[number];

export type Value = string | number;

/** A number, or a string that reads as one (`"12"`, `" 7,5 "`); else null. */
export function readNumber(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw === 'string' && raw.trim() !== '') {
    const n = Number(raw.trim().replace(',', '.'));
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/**
 * A stored value read as the answer kind says, as its canonical value; `null` = unanswered
 * (absent, `""`, or of the wrong type). Lenient like the server (shared/src/analysis.rs,
 * `typed_answer`): a closed answer matches its codes in any case and trimmed ("Ja", "høj", a
 * løsningsscenarie written as a number), a number written as a numeric string is that number.
 */
export function readValue(raw: unknown, kind: string): Value | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const choices = CHOICES[kind];
  if (choices) {
    const s = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
    if (!s) return null;
    const lower = s.toLowerCase();
    return choices.find((c) => c.toLowerCase() === lower || choiceLabel(c).toLowerCase() === lower) ?? null;
  }
  if (kind === 'number') return readNumber(raw);
  return typeof raw === 'string' ? raw : null;
}

/** A hand-set brugerantal: `faa`/`få`, `mellem`, `mange` in any case; else null. */
export function readBrugerantal(raw: unknown): Brugerantal | null {
  if (typeof raw !== 'string') return null;
  const s = raw.trim().toLowerCase();
  if (s === 'faa' || s === 'få') return 'faa';
  return s === 'mellem' || s === 'mange' ? s : null;
}

// ---- the sheet's answer columns ---------------------------------------------------------------

/** Field roles that name the sagsområde itself: not answer columns. */
export const NAMING_ROLES = ['fagomraade', 'sagsomraade', 'kle'];

export interface AnswerColumn {
  /** Key in the sagsområde's answers map: `<row id>` or `<row id>.<field id>`. */
  key: string;
  row: Row;
  field?: Field;
  kind: string;
  /** The question's number. */
  number: string;
  /** The question's or field's own label. */
  label: string;
  /** The sheet's column header, as the server's export: `As-is 2: <label>`. */
  header: string;
  analysis?: string;
}

/** Rows answered per sagsområde: those with a round, except `sheet: false`. */
export const sheetRows = (rows: Row[]) => rows.filter((r) => !!r.round && r.sheet !== false);

/** One column per answer: each sheet row, or each of its fields (except the naming fields). */
export function answerColumns(rows: Row[]): AnswerColumn[] {
  const out: AnswerColumn[] = [];
  for (const row of sheetRows(rows)) {
    const prefix = questionPrefix(row);
    if (row.fields && row.fields.length) {
      for (const f of row.fields) {
        if (!f.id || (f.analysis && NAMING_ROLES.includes(f.analysis))) continue;
        const label = f.label || f.id;
        out.push({ key: `${row.id}.${f.id}`, row, field: f, kind: kindOf(f.kind), number: row.number, label, header: `${prefix}: ${label}`, analysis: f.analysis });
      }
    } else {
      out.push({ key: row.id, row, kind: kindOf(row.kind), number: row.number, label: row.label, header: `${prefix}: ${row.label}`, analysis: row.analysis });
    }
  }
  return out;
}

export const roundLabel = (round: string) => (round === 'as-is' ? 'As-is' : round === 'to-be' ? 'To-be' : round);

/** How the sheet names a question: `As-is 2`, or `As-is` for a row without a number (the server's `RowSpec::prefix`). */
export const questionPrefix = (row: Pick<Row, 'round' | 'number'>) => {
  const round = roundLabel(row.round ?? '');
  return row.number ? `${round} ${row.number}` : round;
};

/** The answer column of an analysis role (the first that carries it), if any. */
export function roleColumn(cols: AnswerColumn[], role: string): AnswerColumn | null {
  return cols.find((c) => c.analysis === role) ?? null;
}

export const viaKey = (key: string) => `${key}#via`;

/** "I analysen" (docs/API.md): a sagsområde whose anvendes answer is "nej" is outside the analysis. */
export function outsideAnalysis(answers: Record<string, unknown>, cols: AnswerColumn[]): boolean {
  const anvendes = roleColumn(cols, 'anvendes');
  return !!anvendes && readValue(answers[anvendes.key], anvendes.kind) === 'nej';
}

// ---- settings (control document `prioritering`) ---------------------------------------------

export interface Settings {
  faa_max: number;
  mellem_max: number;
  let_max: number;
  moderat_max: number;
  omfang_foerst: 'stort' | 'let';
}

export const DEFAULT_SETTINGS: Settings = { faa_max: 5, mellem_max: 20, let_max: 2, moderat_max: 4, omfang_foerst: 'stort' };

/** Settings from the stored map's plain values; a missing or wrongly typed key takes its default. */
export function readSettings(raw: Record<string, unknown>): Settings {
  const n = (k: keyof Settings) => readNumber(raw[k]) ?? (DEFAULT_SETTINGS[k] as number);
  return {
    faa_max: n('faa_max'),
    mellem_max: n('mellem_max'),
    let_max: n('let_max'),
    moderat_max: n('moderat_max'),
    omfang_foerst: typeof raw.omfang_foerst === 'string' && raw.omfang_foerst.trim() === 'let' ? 'let' : 'stort',
  };
}

// ---- derived values ---------------------------------------------------------------------------

/** Kompleksitet lav 1, middel 2, høj 3; brugerantal få 1, mellem 2, mange 3: the place in the list, from 1. */
const point = (list: readonly string[], value: string) => list.indexOf(value) + 1;

export function brugerantalFor(n: number, s: Settings): Brugerantal {
  return n <= s.faa_max ? 'faa' : n <= s.mellem_max ? 'mellem' : 'mange';
}

/** Omfang point (1–9) → 1 Let, 2 Moderat, 3 Stort. */
export function omfangFor(point: number, s: Settings): 1 | 2 | 3 {
  return point <= s.let_max ? 1 : point <= s.moderat_max ? 2 : 3;
}

export interface SheetRow {
  fag: Column;
  sags: Sagsomraade;
  /** Position in the wall's order (fagområde, then sagsområde). */
  index: number;
  /** Every answer column's value (null = unanswered), by key. */
  values: Record<string, Value | null>;
  /** Keys whose answer came from the R2 wizard. */
  viaWizard: Set<string>;
  inAnalysis: boolean;
  anvendes: string | null;
  sagsbehandlere: number | null;
  brugsmoenster: string | null;
  forretningskritisk: string | null;
  kompleksitet: string | null;
  loesningsscenarie: string | null;
  /** The hand-set brugerantal, if any. */
  brugerantalSet: Brugerantal | null;
  /** The derived (from sagsbehandlere) brugerantal, if any. */
  brugerantalDerived: Brugerantal | null;
  /** Null when out of the analysis or unanswered. */
  brugerantal: Brugerantal | null;
  omfangPoint: number | null;
  omfang: 1 | 2 | 3 | null;
  /** 1 = first; null when out of the analysis. */
  prioritet: number | null;
}

/** Answers of the room: sagsområde id → key → stored value. */
export type Answers = Record<string, Record<string, unknown>>;

/** Has sagsområde `sagsId` a structured answer to question `rowId` (the question or one of its fields)? */
export function hasAnswer(answers: Answers, sagsId: string, rowId: string): boolean {
  const mine = answers[sagsId];
  if (!mine) return false;
  return Object.entries(mine).some(([k, v]) => (k === rowId || k.startsWith(`${rowId}.`)) && v !== null && v !== undefined && v !== '');
}

/** One row per sagsområde, in wall order, with every derived value and the priority. */
export function buildSheet(rows: Row[], columns: Column[], answers: Answers, settings: Settings): SheetRow[] {
  const cols = answerColumns(rows);
  const role = (r: string) => roleColumn(cols, r);
  const roles = {
    anvendes: role('anvendes'),
    sagsbehandlere: role('sagsbehandlere'),
    brugsmoenster: role('brugsmoenster'),
    forretningskritisk: role('forretningskritisk'),
    kompleksitet: role('kompleksitet'),
    loesningsscenarie: role('loesningsscenarie'),
  };
  const out: SheetRow[] = [];
  let index = 0;
  for (const fag of columns) {
    for (const sags of fag.sagsomraader) {
      const a = answers[sags.id] ?? {};
      const get = (r: { key: string; kind: string } | null) => (r ? readValue(a[r.key], r.kind) : null);
      const str = (r: { key: string; kind: string } | null) => {
        const v = get(r);
        return typeof v === 'string' ? v : null;
      };
      const values: Record<string, Value | null> = {};
      const viaWizard = new Set<string>();
      for (const c of cols) {
        values[c.key] = readValue(a[c.key], c.kind);
        if (a[viaKey(c.key)] === 'wizard' && values[c.key] !== null) viaWizard.add(c.key);
      }
      const anvendes = str(roles.anvendes);
      const inAnalysis = !outsideAnalysis(a, cols);
      const sb = get(roles.sagsbehandlere);
      const sagsbehandlere = typeof sb === 'number' ? sb : null;
      const brugerantalSet = readBrugerantal(a.brugerantal);
      const brugerantalDerived = sagsbehandlere === null ? null : brugerantalFor(sagsbehandlere, settings);
      const brugerantal = inAnalysis ? brugerantalSet ?? brugerantalDerived : null;
      const kompleksitet = str(roles.kompleksitet);
      const omfangPoint = brugerantal && kompleksitet ? point(CHOICES.lav_middel_hoej, kompleksitet) * point(BRUGERANTAL, brugerantal) : null;
      out.push({
        fag,
        sags,
        index: index++,
        values,
        viaWizard,
        inAnalysis,
        anvendes,
        sagsbehandlere,
        brugsmoenster: str(roles.brugsmoenster),
        forretningskritisk: str(roles.forretningskritisk),
        kompleksitet,
        loesningsscenarie: str(roles.loesningsscenarie),
        brugerantalSet,
        brugerantalDerived,
        brugerantal,
        omfangPoint: inAnalysis ? omfangPoint : null,
        omfang: inAnalysis && omfangPoint !== null ? omfangFor(omfangPoint, settings) : null,
        prioritet: null,
      });
    }
  }
  priorityOrder(out, settings).forEach((r, i) => (r.prioritet = i + 1));
  return out;
}

/**
 * The sagsområder in the analysis, first to last: forretningskritisk "ja" first, then the rest;
 * within each, by omfang as `omfang_foerst` says (unanswered last); ties keep the wall's order.
 */
export function priorityOrder(sheet: SheetRow[], settings: Settings): SheetRow[] {
  const omfangRank = (r: SheetRow) => (r.omfang === null ? 4 : settings.omfang_foerst === 'stort' ? 4 - r.omfang : r.omfang);
  return sheet
    .filter((r) => r.inAnalysis)
    .sort((a, b) => {
      const ka = a.forretningskritisk === 'ja' ? 0 : 1;
      const kb = b.forretningskritisk === 'ja' ? 0 : 1;
      return ka - kb || omfangRank(a) - omfangRank(b) || a.index - b.index;
    });
}

// ---- summaries --------------------------------------------------------------------------------

export interface Summaries {
  /** Løsningsscenarie "1"–"4" and "" (unanswered) → sagsområder in the analysis, in priority order. */
  perLoesningsscenarie: Record<string, SheetRow[]>;
  /** Brugsmønster "0", "A"–"E" and "" → sagsområder in the analysis, in priority order. */
  perBrugsmoenster: Record<string, SheetRow[]>;
  /** Forretningskritiske sagsområder in the analysis, in priority order. */
  forretningskritiske: SheetRow[];
  /** Sagsområder out of the analysis (anvendes "nej"). */
  udenfor: SheetRow[];
  /** In the analysis, in priority order. */
  prioritet: SheetRow[];
}

export function summaries(sheet: SheetRow[]): Summaries {
  const inA = sheet.filter((r) => r.inAnalysis);
  const prioritet = [...inA].sort((a, b) => (a.prioritet ?? 0) - (b.prioritet ?? 0));
  // In priority order, as the server's summaries (docs/API.md, GET /sheet).
  const group = (choices: readonly string[], get: (r: SheetRow) => string | null) => {
    const out: Record<string, SheetRow[]> = {};
    for (const c of [...choices, '']) out[c] = [];
    for (const r of prioritet) out[get(r) ?? '']?.push(r);
    return out;
  };
  return {
    perLoesningsscenarie: group(CHOICES.loesningsscenarie, (r) => r.loesningsscenarie),
    perBrugsmoenster: group(CHOICES.brugsmoenster, (r) => r.brugsmoenster),
    forretningskritiske: prioritet.filter((r) => r.forretningskritisk === 'ja'),
    udenfor: sheet.filter((r) => !r.inAnalysis),
    prioritet,
  };
}
