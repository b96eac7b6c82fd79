import { useEffect, useState } from 'preact/hooks';
import { api, exportUrl, type SnapshotSheet as Sheet } from '../api';
import { t, type Key } from '../i18n';
import { readValue } from '../sync/analysis';
import { valueLabel } from './AnswerInput';
import { SheetComputedHeads, SheetLeadHeads } from './SheetView';
import { errorText } from './errors';
import { SheetPrint } from './SheetPrint';

/**
 * A snapshot's documentation sheet, read-only: what the server computes for that snapshot
 * (`GET /api/rooms/{id}/sheet?snapshot=seq`), so a round's answers can be gone through in plenum
 * as they were when the facilitator took the snapshot.
 */
export function SnapshotSheet({ roomId, token, seq, title, dateLine }: {
  roomId: string; token: string; seq: number;
  /** For the printed sheet's head: the workshop and when the snapshot was taken. */
  title: string; dateLine: string;
}) {
  const [sheet, setSheet] = useState<Sheet | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setSheet(null);
    api.sheet(roomId, token, seq).then(setSheet, (e) => setError(errorText(e)));
  }, [roomId, token, seq]);

  if (error) return <p class="form-error page" role="alert">{error}</p>;
  if (!sheet) return <p class="muted page">{t('common.loading')}</p>;
  // Answers and cards in the server's layout; names, derived values and comments have their own cells.
  const shown = sheet.layout.map((c, i) => ({ c, i })).filter(({ c }) => c.holds === 'answer' || c.holds === 'answer_and_cards' || c.holds === 'cards');
  const comments = sheet.layout.findIndex((c) => c.holds === 'comments');
  return (
    <section class="page wide sheet-section" data-testid="snapshot-sheet">
      <div class="row-actions">
        <a class="btn btn-small btn-ghost-border" href={exportUrl(roomId, token, 'xlsx', seq)} download>{t('console.exportXlsx')}</a>
        <span class="muted small">{t('sheet.showing', { n: sheet.rows.length, t: sheet.rows.length })}</span>
      </div>
      {sheet.rows.length === 0 ? (
        <p class="panel panel-soft">{t('sheet.noMatch')}</p>
      ) : (
        <div class="sheet-wrap" tabIndex={0} aria-label={t('an.sheet')}>
          <table class="sheet" data-testid="sheet">
            <thead>
              <tr>
                <SheetLeadHeads />
                {shown.map(({ c, i }) => <th key={i} scope="col" data-header={c.header}><span class="th-label">{c.header}</span></th>)}
                <SheetComputedHeads />
                <th scope="col">{t('sheet.comments')}</th>
              </tr>
            </thead>
            <tbody>
              {sheet.rows.map((r) => (
                <tr key={r.sagsomraade_id} class={r.in_analysis ? '' : 'outside'} data-testid={`sheet-row-${r.sagsomraade_id}`}>
                  <th scope="row" class="sticky-col">
                    <span class="sheet-sags">{r.sagsomraade}</span>
                    {!r.in_analysis && <span class="badge badge-muted outside-badge">{t('sheet.outside')}</span>}
                  </th>
                  <td class="ro">{r.fagomraade}</td>
                  <td class="ro kle">{r.kle}</td>
                  {shown.map(({ c, i }) => {
                    const kind = sheet.columns.find((a) => a.key === c.key)?.kind ?? 'text';
                    return c.holds === 'answer' ? (
                      <td key={i} class="ro" data-testid={`cell-${r.sagsomraade_id}-${c.key}`} data-cell={r.cells[i]}>{valueLabel(kind, readValue(r.answers[c.key!], kind))}</td>
                    ) : (
                      <td key={i} class="ro cell-lines" data-testid={c.key ? `cell-${r.sagsomraade_id}-${c.key}` : `cards-${r.sagsomraade_id}-${c.question}`} data-cell={r.cells[i]}>{r.cells[i]}</td>
                    );
                  })}
                  <td class="ro computed" data-testid={`cell-${r.sagsomraade_id}-brugerantal`}>{r.brugerantal ? valueLabel('brugerantal', r.brugerantal) : ''}</td>
                  <td class="ro computed" data-testid={`cell-${r.sagsomraade_id}-omfang`} data-value={r.omfang ?? ''}>
                    {r.omfang ? <span class={`omfang omfang-${r.omfang}`}>{t(`omfang.${r.omfang}` as Key)}</span> : ''}
                  </td>
                  <td class="ro computed prio" data-testid={`cell-${r.sagsomraade_id}-prioritet`}>{r.prioritet ?? ''}</td>
                  <td class="ro cell-lines" data-cell={comments >= 0 ? r.cells[comments] : ''}>{comments >= 0 ? r.cells[comments] : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <SheetPrint title={title} dateLine={dateLine} columns={[
        ...shown.map(({ c, i }) => ({ at: i, label: c.header })),
        ...sheet.layout.map((c, i) => ({ c, i })).filter(({ c }) => c.holds === 'derived' || c.holds === 'comments').map(({ c, i }) => ({ at: i, label: c.header })),
      ]} rows={sheet.rows.map((r) => ({ id: r.sagsomraade_id, label: r.sagsomraade, fag: r.fagomraade, kle: r.kle, inAnalysis: r.in_analysis, cells: r.cells }))} />
    </section>
  );
}
