// "Fortryd" / "Gentag": this person's own changes (sync/undo.ts), by buttons (on every device, also
// a 375 px phone) and by keyboard — Ctrl/⌘+Z undoes, Ctrl/⌘+Shift+Z and Ctrl+Y redo — except while
// typing in a text field, where the browser's own text undo applies.
import { useEffect } from 'preact/hooks';
import { t } from '../i18n';
import type { RoomSession } from '../sync/room';

/** Does the keyboard's undo belong to this element (a text field), not to the room? */
function typingIn(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  if (el.isContentEditable || el instanceof HTMLTextAreaElement) return true;
  if (!(el instanceof HTMLInputElement)) return false;
  return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file', 'image'].includes(el.type);
}

/** Undoes (`redo` false) or redoes one step and says what happened; returns whether it did. */
function act(session: RoomSession, redo: boolean, say: (s: string) => void): boolean {
  const h = session.history;
  const state = redo ? h.redoState : h.undoState;
  if (state === 'blocked') {
    say(t(redo ? 'undo.blockedRedo' : 'undo.blocked'));
    return false;
  }
  const did = redo ? h.redo() : h.undo();
  say(did ? t(redo ? 'undo.redone' : 'undo.done') : t(redo ? 'undo.nothingRedo' : 'undo.nothing'));
  return did;
}

export function UndoBar({ session, say }: { session: RoomSession; say: (s: string) => void }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || e.defaultPrevented || typingIn(e.target)) return;
      const k = e.key.toLowerCase();
      const redo = (k === 'z' && e.shiftKey) || (k === 'y' && !e.shiftKey && e.ctrlKey);
      if (!redo && !(k === 'z' && !e.shiftKey)) return;
      e.preventDefault();
      act(session, redo, say);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [session]);
  const u = session.history.undoState;
  const r = session.history.redoState;
  return (
    <div class="undo-bar" role="group" aria-label={t('undo.toolbar')} data-testid="undo-bar">
      <button type="button" class="btn btn-small btn-ghost-border" disabled={u === 'no'} aria-disabled={u === 'blocked'} aria-label={t('undo.undoLabel')} aria-keyshortcuts="Control+Z Meta+Z"
        title={u === 'blocked' ? t('undo.blocked') : t('undo.undoLabel')} onClick={() => act(session, false, say)} data-testid="undo" data-state={u}>
        <span aria-hidden="true">↶ </span>{t('undo.undo')}
      </button>
      <button type="button" class="btn btn-small btn-ghost-border" disabled={r === 'no'} aria-disabled={r === 'blocked'} aria-label={t('undo.redoLabel')} aria-keyshortcuts="Control+Shift+Z Meta+Shift+Z Control+Y"
        title={r === 'blocked' ? t('undo.blockedRedo') : t('undo.redoLabel')} onClick={() => act(session, true, say)} data-testid="redo" data-state={r}>
        <span aria-hidden="true">↷ </span>{t('undo.redo')}
      </button>
    </div>
  );
}
