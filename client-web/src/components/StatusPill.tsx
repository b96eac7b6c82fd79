import { t } from '../i18n';
import type { RoomSession } from '../sync/room';

/** Always-visible connection status of the room's two live documents. */
export function StatusPill({ session }: { session: RoomSession }) {
  const s = session.overall;
  return (
    <div class={`status status-${s}`} role="status" aria-live="polite" aria-label={t('a11y.status')} data-testid="conn-status" data-status={s}>
      <span class="status-dot" aria-hidden="true" />
      <span class="status-text">{t(`status.${s}`)}</span>
    </div>
  );
}
