import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { t } from '../i18n';

/** A modal dialog (native <dialog>: focus, Escape and the top layer come for free). */
export function Modal({ title, onClose, children, wide, testid }: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean; testid?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    const onCancel = (e: Event) => {
      e.preventDefault();
      onClose();
    };
    d?.addEventListener('cancel', onCancel);
    return () => d?.removeEventListener('cancel', onCancel);
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
        <div class="modal-body">{children}</div>
      </div>
    </dialog>
  );
}
