import { useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { t } from '../i18n';
import { MAX_TEXT_CHARS, type Card } from '../sync/schema';
import type { Conflict } from '../sync/answerCards';
import { valueLabel } from '../views/AnswerInput';

/** What a card that disagrees with the Skema says on screen (undefined when it agrees). */
export const conflictText = (c: Conflict | undefined) => (c ? t('card.conflict', { v: valueLabel(c.kind, c.stored) }) : undefined);

interface Props {
  card: Card;
  showSags?: boolean;
  showAuthor?: boolean;
  /** Own card on the group page: inline edit and delete. */
  editable?: boolean;
  onSave?: (text: string) => void;
  onDelete?: () => void;
  /** Facilitator on the wall: opens the card's actions (Flyt, fremhæv, kommentér, flet). */
  onActions?: () => void;
  draggable?: boolean;
  /** The card carries another value than the Skema's answer (sync/answerCards.ts): said on the card. */
  conflict?: string;
  /** Follow: the facilitator shows this card (what the mark says). */
  shown?: string;
  /** Not of the sagsområde in focus: dimmed. */
  dim?: boolean;
  /** A voting round on cards: the card's count and vote buttons (views/Voting.tsx). */
  vote?: ComponentChildren;
}

/** One card. Its text is rendered as text (never as HTML). */
export function CardView({ card, showSags = true, showAuthor = true, editable, onSave, onDelete, onActions, draggable, conflict, shown, dim, vote }: Props) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(card.text);
  const save = () => {
    const v = draft.trim();
    if (v && v !== card.text) onSave?.(v);
    setEditing(false);
  };
  return (
    <article
      class={`card ${card.highlight ? 'card-highlight' : ''} ${draggable ? 'card-draggable' : ''} ${conflict ? 'card-conflicting' : ''} ${shown ? 'card-shown' : ''} ${dim ? 'card-dim' : ''}`}
      data-card-id={card.id}
      data-shown={shown ? 'yes' : 'no'}
      data-dim={dim ? 'yes' : 'no'}
      data-testid="card"
      aria-label={card.text}
    >
      {shown && <p class="shown-label" data-testid="card-shown-label">{shown}</p>}
      {editing ? (
        <div class="card-edit">
          <textarea
            class="input textarea"
            aria-label={t('card.text')}
            value={draft}
            maxLength={MAX_TEXT_CHARS}
            rows={3}
            onInput={(e) => setDraft((e.currentTarget as HTMLTextAreaElement).value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) save();
              if (e.key === 'Escape') setEditing(false);
            }}
            autoFocus
          />
          <div class="row-actions">
            <button type="button" class="btn btn-primary btn-small" onClick={save}>{t('common.save')}</button>
            <button type="button" class="btn btn-ghost btn-small" onClick={() => { setDraft(card.text); setEditing(false); }}>{t('common.cancel')}</button>
          </div>
        </div>
      ) : (
        <p class="card-text" data-testid="card-text">{card.text}</p>
      )}
      {conflict && <p class="card-conflict" data-testid="card-conflict"><span aria-hidden="true">⚠ </span>{conflict}</p>}
      {card.comments.length > 0 && (
        <ul class="card-comments" aria-label={t('card.comments')}>
          {card.comments.map((c) => (
            <li key={c.id} data-testid="card-comment">
              <span aria-hidden="true">↳ </span>
              {c.text}
              {c.author && <span class="card-comment-author"> – {c.author}</span>}
            </li>
          ))}
        </ul>
      )}
      <footer class="card-meta">
        {card.highlight && <span class="tag tag-star" title={t('card.highlighted')}>★</span>}
        {showSags && card.sagsomraade && (
          <span class="tag" data-testid="card-sags">
            {card.kle ? `${card.kle} ` : ''}
            {card.sagsomraade}
          </span>
        )}
        {showAuthor && card.author && <span class="card-author">{card.author}</span>}
        {card.merged_from.length > 0 && <span class="card-author">· {t('card.merged', { n: card.merged_from.length + 1 })}</span>}
        <span class="spacer" />
        {editable && !editing && (
          <>
            <button type="button" class="btn btn-ghost btn-small" onClick={() => { setDraft(card.text); setEditing(true); }} aria-label={t('card.edit')} data-testid="card-edit">
              {t('common.edit')}
            </button>
            <button type="button" class="btn btn-ghost btn-small btn-danger-text" onClick={() => { if (confirm(t('card.deleteConfirm'))) onDelete?.(); }} aria-label={t('card.delete')} data-testid="card-delete">
              {t('common.delete')}
            </button>
          </>
        )}
        {onActions && (
          <button type="button" class="btn btn-ghost btn-small card-menu" onClick={onActions} aria-label={t('a11y.cardActions', { move: t('card.move'), text: card.text.slice(0, 40) })} aria-haspopup="dialog" data-testid="card-actions">
            {t('card.move')} <span aria-hidden="true">⋯</span>
          </button>
        )}
      </footer>
      {vote}
    </article>
  );
}
