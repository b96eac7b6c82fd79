import { useEffect, useState } from 'preact/hooks';
import { api, exportUrl, type SnapshotSheet as Sheet } from '../api';
import { t, type Key } from '../i18n';
import { readValue } from '../sync/analysis';
import { valueLabel } from './AnswerInput';
import { SheetComputedHeads, SheetLeadHeads } from './SheetView';
import { errorText } from './errors';

/**
 * A snapshot's documentation sheet, read-only: what the server computes for that snapshot
 * (`GET /api/rooms/{id}/sheet?snapshot=seq`), so a round's answers can be gone through in plenum
 * as they were when the facilitator took the snapshot.
 */
export function SnapshotSheet({ roomId, token, seq }: { roomId: string; token: string; seq: number }) {
  const [sheet, setSheet] = useState<Sheet | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setSheet(null);
    api.sheet(roomId, token, seq).then(setSheet, (e) => setError(errorText(e)));
  }, [roomId, token, seq]);

  if (error) return <p class="form-error page" role="alert">{error}</p>;
  if (!sheet) return <p class="muted page">{t('common.loading')}</p>;
  return (
    <section class="page wide" data-testid="snapshot-sheet">
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
                {sheet.columns.map((c) => <th key={c.key} scope="col" data-header={c.header}><span class="th-label">{c.header}</span></th>)}
                <SheetComputedHeads />
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
                  {sheet.columns.map((c) => (
                    <td key={c.key} class="ro" data-testid={`cell-${r.sagsomraade_id}-${c.key}`}>{valueLabel(c.kind, readValue(r.answers[c.key], c.kind))}</td>
                  ))}
                  <td class="ro computed" data-testid={`cell-${r.sagsomraade_id}-brugerantal`}>{r.brugerantal ? valueLabel('brugerantal', r.brugerantal) : ''}</td>
                  <td class="ro computed" data-testid={`cell-${r.sagsomraade_id}-omfang`} data-value={r.omfang ?? ''}>
                    {r.omfang ? <span class={`omfang omfang-${r.omfang}`}>{t(`omfang.${r.omfang}` as Key)}</span> : ''}
                  </td>
                  <td class="ro computed prio" data-testid={`cell-${r.sagsomraade_id}-prioritet`}>{r.prioritet ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
