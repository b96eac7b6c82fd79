import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { t } from '../i18n';

/**
 * How to find the dialog's opener again when a re-render replaced it: a card moved with "Flyt" is
 * a new element in its new cell, so the same button is looked up by its card and test id.
 */
function openerSelector(el: HTMLElement): string | null {
  const tid = el.getAttribute('data-testid');
  if (!tid) return null;
  const card = el.closest('[data-card-id]')?.getAttribute('data-card-id');
  const own = `[data-testid="${CSS.escape(tid)}"]`;
  return card ? `[data-card-id="${CSS.escape(card)}"] ${own}` : own;
}

/** Puts focus back on what opened a dialog (WCAG 2.4.3), or the element that took its place. */
function returnFocus(opener: HTMLElement | null, selector: string | null) {
  if (!opener || opener === document.body) return;
  requestAnimationFrame(() => {
    const target = opener.isConnected ? opener : selector ? document.querySelector<HTMLElement>(selector) : null;
    target?.focus();
  });
}

/**
 * A modal dialog (native <dialog>: focus, Escape and the top layer come for free). When it goes away
 * focus returns to what opened it.
 */
export function Modal({ title, onClose, children, wide, testid }: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean; testid?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const selector = opener ? openerSelector(opener) : null;
    if (d && !d.open) d.showModal();
    const onCancel = (e: Event) => {
      e.preventDefault();
      onClose();
    };
    d?.addEventListener('cancel', onCancel);
    return () => {
      d?.removeEventListener('cancel', onCancel);
      // Unmounted without close(): leave the top layer first, or the page stays inert for the focus below.
      if (d?.open) d.close();
      returnFocus(opener, selector);
    };
  }, []);
  return (
    <dialog ref={ref} class={`modal ${wide ? 'modal-wide' : ''}`} aria-label={title} data-testid={testid}
      onClick={(e) => { if (e.target === ref.current) onClose(); }}>
      <div class="modal-inner">
        <div class="modal-head">
          <h2>{title}</h2>
          <button type="button" class="btn btn-ghost btn-icon" aria-label={t('common.close')} onClick={onClose}>
            ✕
          </button>
        </div>
        {/* Focusable: a body taller than a phone's screen scrolls, also by keyboard (WCAG 2.1.1). */}
        <div class="modal-body" tabIndex={0}>{children}</div>
      </div>
    </dialog>
  );
}
