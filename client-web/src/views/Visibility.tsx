import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n';
import type { RoomSession } from '../sync/room';
import { readColumns, readMeta, readRevealed, setRevealed, setVisibility, type Column, type Visibility } from '../sync/schema';

const VISIBILITIES: Visibility[] = ['open', 'private'];

/**
 * Facilitator, during group work (console toolbar): "Åben" / "Privat gruppearbejde" (`meta.visibility`).
 * Only in a room with group documents: in an older room every card is on the wall.
 */
export function VisibilityControl({ session }: { session: RoomSession }) {
  const meta = readMeta(session.control.doc);
  if (!meta.groupDocuments) return null;
  return (
    <div class="control-block">
      <span class="control-label" id="visibility-label">{t('vis.label')}</span>
      <div class="segmented" role="group" aria-labelledby="visibility-label" data-testid="visibility-control" data-visibility={meta.visibility}>
        {VISIBILITIES.map((v) => (
          <button key={v} type="button" class={`seg ${meta.visibility === v ? 'seg-on seg-visibility' : ''}`} aria-pressed={meta.visibility === v}
            data-testid={`visibility-${v}`} onClick={() => setVisibility(session.control.doc, v)}>
            {t(v === 'open' ? 'vis.open' : 'vis.private')}
          </button>
        ))}
      </div>
    </div>
  );
}

/** Facilitator, in the setup: the same choice with what each means. */
export function VisibilitySetup({ session }: { session: RoomSession }) {
  const meta = readMeta(session.control.doc);
  if (!meta.groupDocuments) return null;
  return (
    <fieldset class="fieldset visibility-setup" data-testid="visibility-setup">
      <legend class="section-h">{t('vis.label')}</legend>
      <p class="muted small">{t('vis.setupLead')}</p>
      {VISIBILITIES.map((v) => (
        <label key={v} class={`group-choice ${meta.visibility === v ? 'choice-on' : ''}`}>
          <input type="radio" name="visibility" value={v} checked={meta.visibility === v} data-testid={`visibility-setup-${v}`}
            onChange={() => setVisibility(session.control.doc, v)} />
          <span class="group-choice-label">{t(v === 'open' ? 'vis.open' : 'vis.private')}</span>
          <span class="group-choice-meta">{t(v === 'open' ? 'vis.openHint' : 'vis.privateHint')}</span>
        </label>
      ))}
    </fieldset>
  );
}

/**
 * Facilitator, in private group work (console and plenum wall): each group hidden or shown, "Vis
 * gruppe" (or "Skjul igen") per group, and "Vis alle". `compact`: one line, for the wall's toolbar.
 */
export function RevealPanel({ session, compact = false }: { session: RoomSession; compact?: boolean }) {
  const control = session.control.doc;
  const meta = readMeta(control);
  if (!meta.groupDocuments || meta.visibility !== 'private') return null;
  const columns = readColumns(control);
  const revealed = readRevealed(control);
  const hidden = columns.filter((c) => !revealed.has(c.id));
  return (
    <section class={`panel reveal-panel ${compact ? 'reveal-compact' : ''}`} aria-labelledby="reveal-h" data-testid="reveal-panel" data-hidden={hidden.length}>
      <h2 id="reveal-h" class={compact ? 'sr-only' : ''}>{t('reveal.title')}</h2>
      {!compact && <p class="muted small">{t('reveal.lead')}</p>}
      <ul class="reveal-list">
        {columns.map((c) => {
          const on = revealed.has(c.id);
          return (
            <li key={c.id} class={`reveal-item ${on ? 'is-shown' : ''}`} data-testid={`reveal-item-${c.id}`} data-revealed={on ? 'yes' : 'no'}>
              <span class="reveal-name">{c.label}</span>
              <span class={`badge ${on ? 'badge-ok' : 'badge-muted'}`}>{on ? t('reveal.shown') : t('reveal.hidden')}</span>
              {on ? (
                <button type="button" class="btn btn-small btn-ghost-border" data-testid={`unreveal-${c.id}`} aria-label={t('reveal.hideLabel', { group: c.label })}
                  onClick={() => setRevealed(control, [c.id], false)}>
                  {t('reveal.hide')}
                </button>
              ) : (
                <button type="button" class="btn btn-small btn-primary" data-testid={`reveal-${c.id}`} aria-label={t('reveal.groupLabel', { group: c.label })}
                  onClick={() => setRevealed(control, [c.id], true)}>
                  {t('reveal.group')}
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {hidden.length > 0 ? (
        <button type="button" class="btn btn-small" data-testid="reveal-all" aria-label={t('reveal.allLabel')} onClick={() => setRevealed(control, hidden.map((c) => c.id), true)}>
          {t('reveal.all')}
        </button>
      ) : <p class="muted small" data-testid="reveal-all-done">{t('reveal.allShown')}</p>}
    </section>
  );
}

/** The labels of `ids`, in column order. */
const labels = (columns: Column[], ids: Set<string>) => columns.filter((c) => ids.has(c.id)).map((c) => c.label).join(', ');

/**
 * A polite live region that says which groups were just shown (or hidden again), so a screen
 * reader hears the reveal wherever the wall changes. Nothing on first render.
 */
export function RevealAnnouncer({ session }: { session: RoomSession }) {
  const control = session.control.doc;
  const meta = readMeta(control);
  const revealed = readRevealed(control);
  const key = meta.visibility === 'private' ? [...revealed].sort().join(' ') : '*';
  const last = useRef<Set<string> | null>(null);
  const [message, setMessage] = useState('');
  useEffect(() => {
    const prev = last.current;
    const now = meta.visibility === 'private' ? revealed : new Set(readColumns(control).map((c) => c.id));
    last.current = now;
    if (!prev || !session.control.everSynced) return;
    const columns = readColumns(control);
    const shown = new Set([...now].filter((id) => !prev.has(id)));
    const hidden = new Set([...prev].filter((id) => !now.has(id)));
    const parts = [shown.size ? t('reveal.announce', { groups: labels(columns, shown) }) : '', hidden.size ? t('reveal.announceHidden', { groups: labels(columns, hidden) }) : ''];
    const text = parts.filter(Boolean).join(' ');
    if (text) setMessage(text);
  }, [key]);
  return <p class="sr-only" role="status" aria-live="polite" data-testid="reveal-announce">{message}</p>;
}

/**
 * A participant's group page in private group work: the other groups' cards are hidden until the
 * facilitator shows them, and which have been shown (a polite live region: the reveal is heard).
 */
export function PrivateNote({ session }: { session: RoomSession }) {
  const control = session.control.doc;
  const meta = readMeta(control);
  if (!meta.groupDocuments || meta.visibility !== 'private') return null;
  const shown = labels(readColumns(control), readRevealed(control));
  return (
    <div class="panel panel-soft private-note" role="status" aria-live="polite" data-testid="private-note">
      <p>{t('group.privateNote')}</p>
      {shown && <p class="small" data-testid="private-shown">{t('group.privateShown', { groups: shown })}</p>}
    </div>
  );
}
