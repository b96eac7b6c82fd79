import { lang, t, type Key } from '../i18n';
import { summaries, type SheetRow } from '../sync/analysis';
import { valueLabel } from './AnswerInput';
import { sagsName, SummaryList } from './PriorityView';

/** The decision note (beslutningsnotat): printable summary of scenarier, priorities and the forretningskritiske. */
export function NoteView({ title, sheet }: { title: string; sheet: SheetRow[] }) {
  const sum = summaries(sheet);
  const date = new Date().toLocaleDateString(lang() === 'da' ? 'da-DK' : 'en-GB', { day: 'numeric', month: 'long', year: 'numeric' });
  return (
    <article class="note" data-testid="note">
      <div class="note-actions no-print">
        <button type="button" class="btn btn-primary" onClick={() => window.print()} data-testid="note-print">{t('note.print')}</button>
      </div>
      <header class="note-head">
        <p class="eyebrow">{t('note.title')}</p>
        <h1 data-testid="note-title">{title}</h1>
        <p class="muted" data-testid="note-date">{t('note.date', { date })}</p>
        <p>{t('note.basis', { n: sheet.length, a: sum.prioritet.length })}</p>
      </header>

      <section class="note-section" data-testid="note-loesning">
        <h2>{t('note.loesning')}</h2>
        <p class="muted small">{t('note.loesningLead')}</p>
        <SummaryList kind="loesningsscenarie" groups={sum.perLoesningsscenarie} />
      </section>

      <section class="note-section" data-testid="note-kritiske">
        <h2>{t('note.kritiske')} ({sum.forretningskritiske.length})</h2>
        {sum.forretningskritiske.length === 0 ? <p>{t('note.none')}</p> : (
          <ul class="sum-names">{sum.forretningskritiske.map((r) => <li key={r.sags.id} data-testid="note-kritisk">{sagsName(r)} <span class="muted">· {r.fag.label}</span></li>)}</ul>
        )}
      </section>

      <section class="note-section" data-testid="note-prioritet">
        <h2>{t('note.prioritet')}</h2>
        <p class="muted small">{t('note.prioritetLead')}</p>
        {sum.prioritet.length === 0 ? <p>{t('note.none')}</p> : (
          <div class="note-table-wrap" role="region" tabIndex={0} aria-label={t('note.prioritet')}><table class="note-table">
            <thead>
              <tr>
                <th>#</th>
                <th>{t('sheet.sags')}</th>
                <th>{t('common.fagomraade')}</th>
                <th>{t('sheet.forretningskritisk')}</th>
                <th>{t('sheet.omfang')}</th>
                <th>{t('sheet.loesningsscenarie')}</th>
                <th>{t('sheet.brugsmoenster')}</th>
              </tr>
            </thead>
            <tbody>
              {sum.prioritet.map((r) => (
                <tr key={r.sags.id} data-testid="note-prio-row" data-sags={r.sags.id}>
                  <td>{r.prioritet}</td>
                  <td>{sagsName(r)}</td>
                  <td>{r.fag.label}</td>
                  <td>{valueLabel('ja_nej', r.forretningskritisk)}</td>
                  <td>{r.omfang ? t(`omfang.${r.omfang}` as Key) : ''}</td>
                  <td>{r.loesningsscenarie ?? ''}</td>
                  <td>{r.brugsmoenster ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table></div>
        )}
      </section>

      <section class="note-section">
        <h2>{t('note.bm')}</h2>
        <SummaryList kind="brugsmoenster" groups={sum.perBrugsmoenster} />
      </section>

      {sum.udenfor.length > 0 && (
        <section class="note-section">
          <h2>{t('note.udenfor')} ({sum.udenfor.length})</h2>
          <ul class="sum-names">{sum.udenfor.map((r) => <li key={r.sags.id}>{sagsName(r)} <span class="muted">· {r.fag.label}</span></li>)}</ul>
        </section>
      )}
    </article>
  );
}
