import { fmtDate, t } from '../i18n';

/** A column of the printed sheet: its place in the sheet's layout and its head. */
export interface PrintColumn { at: number; num?: string; label: string }
/** A row of the printed sheet: a sagsområde and the text of every layout column (`cells`). */
export interface PrintRow { id: string; label: string; fag: string; kle: string; inAnalysis: boolean; cells: string[] }

/** Columns beside the sagsområde's own three on one printed page: wide enough to read on A3. */
const PER_PAGE = 10;

/**
 * The documentation sheet as printed (print CSS shows it instead of the interactive table): the
 * shown rows in their order, each cell's text as the exports hold it, the columns cut into
 * pages of `PER_PAGE` that each repeat the sagsområde, fagområde and KLE — as a spreadsheet
 * prints pages across. Each part's head (title, date, which columns) repeats on every page.
 */
export function SheetPrint({ title, rows, columns, dateLine }: {
  title: string; rows: PrintRow[]; columns: PrintColumn[];
  /** When: today (the live sheet) or when the snapshot was taken. */
  dateLine?: string;
}) {
  const parts: PrintColumn[][] = [];
  for (let i = 0; i < columns.length; i += PER_PAGE) parts.push(columns.slice(i, i + PER_PAGE));
  const when = dateLine ?? t('print.printedOn', { date: fmtDate(Date.now()) });
  return (
    <div class="print-only sheet-print">
      {parts.map((part, p) => (
        <table key={p} class="sheet-print-table">
          {/* The widths, for a fixed layout whose first row is the head spanning every column. */}
          <colgroup>
            <col class="sp-sags" />
            <col class="sp-fag" />
            <col class="sp-kle" />
            {part.map((c) => <col key={c.at} />)}
          </colgroup>
          <thead>
            <tr>
              <th colSpan={part.length + 3} class="sheet-print-head">
                <strong>{title}</strong> · {t('an.sheet')} · {when}
                {parts.length > 1 && <> · {t('print.sheetPart', { n: p + 1, of: parts.length })}</>}
              </th>
            </tr>
            <tr>
              <th class="sp-sags">{t('sheet.sags')}</th>
              <th class="sp-fag">{t('common.fagomraade')}</th>
              <th class="sp-kle">{t('sheet.kle')}</th>
              {part.map((c) => (
                <th key={c.at}>
                  {c.num && <span class="th-num">{c.num}</span>}
                  {c.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} class={r.inAnalysis ? '' : 'outside'}>
                <th class="sp-sags">{r.label}{!r.inAnalysis && <span class="sp-outside"> ({t('sheet.outside')})</span>}</th>
                <td>{r.fag}</td>
                <td>{r.kle}</td>
                {part.map((c) => <td key={c.at}>{r.cells[c.at] ?? ''}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </div>
  );
}
