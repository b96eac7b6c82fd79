import { useState } from 'preact/hooks';
import { t } from '../i18n';
import type { RoomSession } from '../sync/room';
import {
  addColumn, addRow, addSagsomraade, moveRow, removeColumn, removeRow, removeSagsomraade, renameColumn,
  roundSections, rowTag, setTitle, updateRow, updateSagsomraade, type Column, type Meta, type Row,
} from '../sync/schema';
import { InlineText } from './InlineText';
import { VisibilitySetup } from './Visibility';

/** Facilitator only: title, fagområder with their sagsområder (KLE), and the questions. */
export function SetupPanel({ session, meta, rows, columns }: { session: RoomSession; meta: Meta; rows: Row[]; columns: Column[] }) {
  const doc = session.control.doc;
  const [newFag, setNewFag] = useState('');
  const [newQ, setNewQ] = useState('');
  return (
    <section class="panel setup" aria-labelledby="setup-h">
      <h2 id="setup-h">{t('console.setup')}</h2>
      <label class="field-label">
        {t('console.workshopTitle')}
        <InlineText value={meta.title} label={t('console.workshopTitle')} onCommit={(v) => setTitle(doc, v)} class="input-lg" wrap />
      </label>

      <VisibilitySetup session={session} />

      <h3 class="section-h">{t('console.fagomraader')}</h3>
      <div class="fag-list" data-testid="fag-list">
        {columns.map((c) => <FagEditor key={c.id} session={session} column={c} />)}
      </div>
      <form class="inline-form add-row" onSubmit={(e) => {
        e.preventDefault();
        if (newFag.trim()) addColumn(doc, newFag.trim());
        setNewFag('');
      }}>
        <input class="input" placeholder={t('console.fagName')} aria-label={t('console.fagName')} value={newFag} data-testid="new-fag"
          onInput={(e) => setNewFag((e.currentTarget as HTMLInputElement).value)} />
        <button type="submit" class="btn" data-testid="add-fag">+ {t('console.addFag')}</button>
      </form>

      <h3 class="section-h">{t('console.questions')}</h3>
      <ol class="q-list" data-testid="question-list">
        {roundSections(rows).map((sec) => [
          // Where the round changes (As-is → To-be: both count from 1), a divider says which.
          sec.label && <li key={`round-${sec.round}`} class="q-round" data-testid={`q-round-${sec.round}`}>{sec.label}</li>,
          ...sec.rows.map((r) => {
            const i = rows.indexOf(r);
            const tag = rowTag(r, rows);
            return (
              <li key={r.id} class="q-item" data-row-id={r.id}>
                <InlineText value={r.number} label={`${t('console.questionNumber')} (${tag})`} class="q-num" onCommit={(v) => updateRow(doc, r.id, { number: v })} />
                <InlineText value={r.label} label={`${t('console.questionText')} ${tag}`} multiline class="q-label" onCommit={(v) => updateRow(doc, r.id, { label: v })} />
                <div class="q-actions">
                  <button type="button" class="btn btn-icon btn-ghost" disabled={i === 0} aria-label={`${t('common.up')}: ${tag}`} onClick={() => moveRow(doc, r.id, -1)}>↑</button>
                  <button type="button" class="btn btn-icon btn-ghost" disabled={i === rows.length - 1} aria-label={`${t('common.down')}: ${tag}`} onClick={() => moveRow(doc, r.id, 1)}>↓</button>
                  <button type="button" class="btn btn-icon btn-ghost btn-danger-text" aria-label={`${t('console.removeQuestion')} ${tag}`}
                    onClick={() => confirm(t('console.removeQuestionConfirm', { n: tag })) && removeRow(doc, r.id)}>✕</button>
                </div>
              </li>
            );
          }),
        ])}
      </ol>
      <form class="inline-form add-row" onSubmit={(e) => {
        e.preventDefault();
        if (newQ.trim()) addRow(doc, newQ.trim());
        setNewQ('');
      }}>
        <input class="input" placeholder={t('console.questionText')} aria-label={t('console.questionText')} value={newQ}
          onInput={(e) => setNewQ((e.currentTarget as HTMLInputElement).value)} data-testid="new-question" />
        <button type="submit" class="btn">+ {t('console.addQuestion')}</button>
      </form>
    </section>
  );
}

function FagEditor({ session, column }: { session: RoomSession; column: Column }) {
  const doc = session.control.doc;
  const [label, setLabel] = useState('');
  const [kle, setKle] = useState('');
  return (
    <div class="fag" data-testid={`fag-${column.id}`} data-fag-label={column.label}>
      <div class="fag-head">
        <InlineText value={column.label} label={t('console.fagName')} class="fag-name" wrap onCommit={(v) => renameColumn(doc, column.id, v)} />
        <button type="button" class="btn btn-icon btn-ghost btn-danger-text" aria-label={`${t('console.removeFag')} ${column.label}`} data-testid="remove-fag"
          onClick={() => confirm(t('console.removeFagConfirm', { name: column.label })) && removeColumn(doc, column.id)}>✕</button>
      </div>
      {column.sagsomraader.length === 0 ? (
        <p class="muted small">{t('console.noSags')}</p>
      ) : (
        <ul class="sags-list">
          {column.sagsomraader.map((s) => (
            <li key={s.id} class="sags-item" data-testid="sags-item">
              <InlineText value={s.kle} label={t('console.sagsKle')} class="kle-input" placeholder="KLE" onCommit={(v) => updateSagsomraade(doc, column.id, s.id, { kle: v })} />
              <InlineText value={s.label} label={t('console.sagsName')} wrap onCommit={(v) => updateSagsomraade(doc, column.id, s.id, { label: v })} />
              <button type="button" class="btn btn-icon btn-ghost btn-danger-text" aria-label={`${t('common.delete')} ${s.label}`} onClick={() => removeSagsomraade(doc, column.id, s.id)}>✕</button>
            </li>
          ))}
        </ul>
      )}
      <form class="inline-form sags-add" onSubmit={(e) => {
        e.preventDefault();
        if (!label.trim()) return;
        addSagsomraade(doc, column.id, label.trim(), kle.trim());
        setLabel('');
        setKle('');
      }}>
        <input class="input kle-input" placeholder="KLE" aria-label={t('console.sagsKle')} value={kle} data-testid="new-sags-kle"
          onInput={(e) => setKle((e.currentTarget as HTMLInputElement).value)} />
        <input class="input" placeholder={t('console.sagsName')} aria-label={t('console.sagsName')} value={label} data-testid="new-sags-label"
          onInput={(e) => setLabel((e.currentTarget as HTMLInputElement).value)} />
        <button type="submit" class="btn btn-small" data-testid="add-sags" aria-label={t('console.addSags')}>+ {t('common.add')}</button>
      </form>
    </div>
  );
}
