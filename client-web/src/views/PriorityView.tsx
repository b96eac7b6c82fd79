import { t, type Key } from '../i18n';
import { CHOICES, DEFAULT_SETTINGS, summaries, type Settings, type SheetRow } from '../sync/analysis';
import { resetPrioritering, setPrioritering } from '../sync/answers';
import type { RoomSession } from '../sync/room';
import { valueLabel } from './AnswerInput';

const NUMBERS: { key: 'faa_max' | 'mellem_max' | 'let_max' | 'moderat_max'; label: Key }[] = [
  { key: 'faa_max', label: 'prio.faaMax' },
  { key: 'mellem_max', label: 'prio.mellemMax' },
  { key: 'let_max', label: 'prio.letMax' },
  { key: 'moderat_max', label: 'prio.moderatMax' },
];

export const sagsName = (r: SheetRow) => `${r.sags.kle ? r.sags.kle + ' ' : ''}${r.sags.label}`;

/** The formula, in words, with the room's thresholds. */
export function Formula({ settings }: { settings: Settings }) {
  return (
    <div class="formula" data-testid="formula">
      <p>{t('prio.formulaBrugerantal', { faa: settings.faa_max, mellem: settings.mellem_max })}</p>
      <p class="formula-main" data-testid="formula-omfang">{t('prio.formulaOmfang', { let: settings.let_max, moderat: settings.moderat_max })}</p>
      <p>{t('prio.formulaOrder', { dir: t(settings.omfang_foerst === 'stort' ? 'prio.dirStort' : 'prio.dirLet') })}</p>
    </div>
  );
}

/** Phase 4: the rules (facilitator edits), the priority order, and the summary panels. */
export function PriorityView({ session, sheet, settings, canEdit }: { session: RoomSession; sheet: SheetRow[]; settings: Settings; canEdit: boolean }) {
  const control = session.control.doc;
  const sum = summaries(sheet);
  const bad = settings.faa_max > settings.mellem_max || settings.let_max > settings.moderat_max;
  return (
    <div class="priority-grid">
      <section class="panel prio-settings" aria-labelledby="prio-settings-h" data-testid="prio-settings">
        <h2 id="prio-settings-h">{t('prio.settings')}</h2>
        <p class="muted small">{t(canEdit ? 'prio.settingsLead' : 'prio.settingsReadOnly')}</p>
        <div class="prio-inputs">
          {NUMBERS.map((n) => (
            <label key={n.key} class="field-label">
              {t(n.label)}
              <input class="input" type="number" min={0} step={1} disabled={!canEdit} value={settings[n.key]} data-testid={`prio-${n.key}`}
                onInput={(e) => {
                  const raw = (e.currentTarget as HTMLInputElement).value;
                  const v = Number(raw);
                  if (raw !== '' && Number.isFinite(v) && v >= 0 && v !== settings[n.key]) setPrioritering(control, n.key, v);
                }} />
            </label>
          ))}
          <label class="field-label">
            {t('prio.omfangFoerst')}
            <select class="input" disabled={!canEdit} value={settings.omfang_foerst} data-testid="prio-omfang_foerst"
              onChange={(e) => setPrioritering(control, 'omfang_foerst', (e.currentTarget as HTMLSelectElement).value === 'let' ? 'let' : 'stort')}>
              <option value="stort">{t('prio.stortFoerst')}</option>
              <option value="let">{t('prio.letFoerst')}</option>
            </select>
          </label>
        </div>
        {bad && <p class="notice-warn small" role="alert">{t('prio.badThresholds')}</p>}
        {canEdit && JSON.stringify(settings) !== JSON.stringify(DEFAULT_SETTINGS) && (
          <button type="button" class="btn btn-small btn-ghost-border" onClick={() => resetPrioritering(control)} data-testid="prio-reset">{t('prio.reset')}</button>
        )}
        <h3>{t('prio.formula')}</h3>
        <Formula settings={settings} />
      </section>

      <section class="panel prio-order" aria-labelledby="prio-order-h">
        <h2 id="prio-order-h">{t('prio.order')} <span class="count">{sum.prioritet.length}</span></h2>
        {sum.prioritet.length === 0 && <p class="muted">{t('prio.orderEmpty')}</p>}
        <ol class="prio-list" data-testid="priority-list">
          {sum.prioritet.map((r) => (
            <li key={r.sags.id} class="prio-item" data-testid="priority-item" data-sags={r.sags.id} data-omfang={r.omfang ?? ''} data-prioritet={r.prioritet ?? ''}>
              <span class="prio-num">{r.prioritet}</span>
              <div class="prio-body">
                <div class="prio-name"><strong>{sagsName(r)}</strong> <span class="muted small">{r.fag.label}</span></div>
                <div class="prio-tags">
                  {r.forretningskritisk === 'ja' && <span class="badge badge-crit">{t('prio.kritisk')}</span>}
                  {r.omfang && <span class={`badge omfang omfang-${r.omfang}`} data-testid="prio-omfang">{t(`omfang.${r.omfang}` as Key)}</span>}
                  {r.omfangPoint !== null && <span class="tag">{t('prio.point', { p: r.omfangPoint })}</span>}
                  {r.kompleksitet && <span class="tag">{t('sheet.kompleksitet')}: {valueLabel('lav_middel_hoej', r.kompleksitet)}</span>}
                  {r.brugerantal && <span class="tag" data-testid="prio-brugerantal">{t('sheet.brugerantal')}: {valueLabel('brugerantal', r.brugerantal)}</span>}
                </div>
              </div>
            </li>
          ))}
        </ol>
      </section>

      <section class="panel" aria-labelledby="sum-ls-h" data-testid="summary-loesningsscenarie">
        <h2 id="sum-ls-h">{t('prio.perLoesning')}</h2>
        <SummaryList kind="loesningsscenarie" groups={sum.perLoesningsscenarie} />
      </section>
      <section class="panel" aria-labelledby="sum-bm-h" data-testid="summary-brugsmoenster">
        <h2 id="sum-bm-h">{t('prio.perBm')}</h2>
        <SummaryList kind="brugsmoenster" groups={sum.perBrugsmoenster} />
      </section>
      <section class="panel" aria-labelledby="sum-fk-h" data-testid="summary-kritiske">
        <h2 id="sum-fk-h">{t('prio.kritiske')} <span class="count">{sum.forretningskritiske.length}</span></h2>
        {sum.forretningskritiske.length === 0 ? <p class="muted">{t('prio.kritiskeNone')}</p> : (
          <ul class="sum-names">{sum.forretningskritiske.map((r) => <li key={r.sags.id}>{sagsName(r)} <span class="muted small">· {r.fag.label}</span></li>)}</ul>
        )}
        {sum.udenfor.length > 0 && (
          <>
            <h3>{t('prio.udenfor')} <span class="count">{sum.udenfor.length}</span></h3>
            <ul class="sum-names muted">{sum.udenfor.map((r) => <li key={r.sags.id}>{sagsName(r)} <span class="small">· {r.fag.label}</span></li>)}</ul>
          </>
        )}
      </section>
    </div>
  );
}

/** Counts and names per choice of a closed answer, with "Ikke besluttet" last. */
export function SummaryList({ kind, groups }: { kind: 'loesningsscenarie' | 'brugsmoenster'; groups: Record<string, SheetRow[]> }) {
  const keys = [...CHOICES[kind], ''];
  return (
    <ul class="sum-groups">
      {keys.map((k) => {
        const list = groups[k] ?? [];
        if (k === '' && list.length === 0) return null;
        return (
          <li key={k || 'none'} class={`sum-group ${list.length ? '' : 'empty-group'}`} data-testid={`sum-${kind}-${k || 'none'}`} data-count={list.length}>
            <div class="sum-head">
              <span class="sum-key">{k || '–'}</span>
              <span class="sum-title">{k ? t(`${kind === 'loesningsscenarie' ? 'ls' : 'bm'}.${k}` as Key) : t('prio.notDecided')}</span>
              <span class="count">{list.length}</span>
            </div>
            {list.length > 0 && <ul class="sum-names">{list.map((r) => <li key={r.sags.id}>{sagsName(r)} <span class="muted small">· {r.fag.label}</span></li>)}</ul>}
          </li>
        );
      })}
    </ul>
  );
}
