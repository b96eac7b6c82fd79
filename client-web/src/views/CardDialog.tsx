import { useState } from 'preact/hooks';
import { serverNow } from '../api';
import { Modal } from '../components/Modal';
import { t } from '../i18n';
import type { RoomSession } from '../sync/room';
import { readColumns, readRows, soleSagsomraade } from '../sync/schema';
import { commentCard, editCardText, highlightCard, mergeRoomCards, moveRoomCard, readRoomCards, removeCard } from '../sync/docs';
import { InlineText } from './InlineText';
import { RowOptions } from './RowOptions';

/** The value of a sagsområde select that nobody has chosen from yet. */
const CHOOSE = '?';

/** Facilitator's actions on one card: Flyt (no drag needed), fremhæv, kommentér, flet, redigér, slet. */
export function CardDialog({ session, cardId, onClose }: { session: RoomSession; cardId: string; onClose: () => void }) {
  // The card wherever it is held (the wall, or a group's document): every change goes there (sync/docs.ts).
  const docs = session.docs;
  const rows = readRows(session.control.doc);
  const columns = readColumns(session.control.doc);
  const cards = readRoomCards(docs);
  const card = cards.find((c) => c.id === cardId);
  const [row, setRow] = useState(card?.row ?? '');
  const [column, setColumn] = useState(card?.column ?? '');
  // The card's sagsområde in the chosen column: '' = none, CHOOSE = not chosen yet.
  const [sags, setSags] = useState(() => {
    const here = columns.find((c) => c.id === card?.column);
    // A card without a sagsområde in a fagområde with several (just dropped there): ask.
    return card && !card.sagsomraade_id && here && here.sagsomraader.length > 1 ? CHOOSE : card?.sagsomraade_id ?? '';
  });
  const [comment, setComment] = useState('');
  if (!card) return null;
  const target = columns.find((c) => c.id === column);
  const pickColumn = (id: string) => {
    setColumn(id);
    const next = columns.find((c) => c.id === id);
    // In another fagområde the old sagsområde is wrong: its sole one, else ask.
    setSags(id === card.column ? card.sagsomraade_id : next && next.sagsomraader.length > 1 ? CHOOSE : soleSagsomraade(next)?.id ?? '');
  };
  const unchanged = row === card.row && column === card.column && sags === card.sagsomraade_id;
  const siblings = cards.filter((c) => c.id !== card.id && c.row === card.row && c.column === card.column);
  return (
    <Modal title={t('card.actions')} onClose={onClose} testid="card-dialog">
      <div class="form">
        <label class="field-label">
          {t('card.text')}
          <InlineText value={card.text} label={t('card.text')} multiline onCommit={(v) => editCardText(session.docs, card.id, v)} />
        </label>
        <p class="muted small">
          {[card.sagsomraade && `${card.kle ? card.kle + ' ' : ''}${card.sagsomraade}`, card.author && t('card.by', { author: card.author })].filter(Boolean).join(' · ')}
        </p>

        <fieldset class="fieldset boxed">
          <legend>{t('card.moveTitle')}</legend>
          <div class="move-grid">
            <label class="field-label">
              {t('wall.question')}
              <select class="input" value={row} onChange={(e) => setRow((e.currentTarget as HTMLSelectElement).value)} data-testid="move-row">
                <RowOptions rows={rows} width={70} />
              </select>
            </label>
            <label class="field-label">
              {t('common.fagomraade')}
              <select class="input" value={column} onChange={(e) => pickColumn((e.currentTarget as HTMLSelectElement).value)} data-testid="move-column">
                {columns.map((c) => <option key={c.id} value={c.id}>{c.label}</option>)}
              </select>
            </label>
            {target && target.sagsomraader.length > 0 && (
              <label class="field-label">
                {t('group.sags')}
                <select class="input" value={sags} onChange={(e) => setSags((e.currentTarget as HTMLSelectElement).value)} data-testid="move-sags">
                  {sags === CHOOSE && <option value={CHOOSE} disabled>{t('card.chooseSags')}</option>}
                  {target.sagsomraader.map((s) => <option key={s.id} value={s.id}>{s.kle ? `${s.kle} ` : ''}{s.label}</option>)}
                  <option value="">{t('wall.noSags')}</option>
                </select>
              </label>
            )}
          </div>
          <button type="button" class="btn btn-primary" disabled={unchanged || sags === CHOOSE}
            onClick={() => {
              if (!target) return;
              moveRoomCard(session.docs, card.id, row, target, target.sagsomraader.find((s) => s.id === sags) ?? null);
              onClose();
            }} data-testid="move-submit">
            {t('card.moveTo')}
          </button>
        </fieldset>

        <div class="row-actions">
          <button type="button" class={`btn ${card.highlight ? 'btn-warn' : ''}`} aria-pressed={card.highlight}
            onClick={() => highlightCard(session.docs, card.id, !card.highlight)} data-testid="highlight-toggle">
            ★ {card.highlight ? t('card.unhighlight') : t('card.highlight')}
          </button>
        </div>

        <fieldset class="fieldset boxed">
          <legend>{t('card.comments')}</legend>
          {card.comments.length > 0 && (
            <ul class="comment-list">
              {card.comments.map((c) => <li key={c.id}>{c.text}{c.author && <span class="muted small"> – {c.author}</span>}</li>)}
            </ul>
          )}
          <form class="inline-form" onSubmit={(e) => {
            e.preventDefault();
            if (!comment.trim()) return;
            commentCard(session.docs, card.id, comment.trim(), t('role.facilitator'), serverNow());
            setComment('');
          }}>
            <input class="input" value={comment} placeholder={t('card.commentPlaceholder')} aria-label={t('card.comment')} data-testid="comment-input"
              onInput={(e) => setComment((e.currentTarget as HTMLInputElement).value)} />
            <button type="submit" class="btn" data-testid="comment-submit">{t('card.comment')}</button>
          </form>
        </fieldset>

        <fieldset class="fieldset boxed">
          <legend>{t('card.mergeTitle')}</legend>
          {siblings.length === 0 ? <p class="muted small">{t('card.mergeNone')}</p> : (
            <>
              <p class="muted small">{t('card.mergeHint')}</p>
              <ul class="merge-list">
                {siblings.map((s) => (
                  <li key={s.id}>
                    <span class="merge-text">{s.text}</span>
                    <button type="button" class="btn btn-small" onClick={() => mergeRoomCards(session.docs, card.id, s.id)} data-testid="merge-one">{t('card.merge').replace('…', '')}</button>
                  </li>
                ))}
              </ul>
            </>
          )}
        </fieldset>

        <div class="row-actions end">
          <button type="button" class="btn btn-ghost btn-danger-text" onClick={() => { if (confirm(t('card.deleteConfirm'))) { removeCard(session.docs, card.id); onClose(); } }}>
            {t('card.delete')}
          </button>
          <button type="button" class="btn" onClick={onClose}>{t('common.close')}</button>
        </div>
      </div>
    </Modal>
  );
}
