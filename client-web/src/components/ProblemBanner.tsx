import { t } from '../i18n';
import type { RoomSession } from '../sync/room';
import { rejoin } from '../views/SeatRemoved';

/** A server refusal or failure, in plain words, with what the person can do about it. */
export function ProblemBanner({ session, onDismiss }: { session: RoomSession; onDismiss: () => void }) {
  const p = session.problem;
  if (!p) return null;
  return (
    <div class={`banner ${p.fatal ? 'banner-error' : 'banner-warn'}`} role="alert" data-testid="problem" data-code={p.code ?? ''} data-key={p.key}>
      <div class="banner-body">
        <strong class="banner-text">{t(p.key, { code: p.code ?? '' })}</strong>
        {p.reason && <span class="banner-detail">{t('err.serverSays', { reason: p.reason })}{p.code ? ` (${p.code})` : ''}</span>}
      </div>
      <div class="banner-actions">
        {p.key === 'err.seatRemoved' && (
          <button type="button" class="btn btn-small" onClick={() => rejoin(session.roomId)} data-testid="rejoin-banner">
            {t('seat.rejoin')}
          </button>
        )}
        {p.fatal && p.key !== 'err.wallClosed' && p.key !== 'err.seatRemoved' && (
          <button type="button" class="btn btn-small" onClick={() => location.reload()}>
            {t('err.reload')}
          </button>
        )}
        {p.key === 'err.wallClosed' && (
          <button type="button" class="btn btn-small btn-ghost" onClick={() => void session.discardLocalAndReload()}>
            {t('err.discard')}
          </button>
        )}
        {!p.fatal && (
          <button type="button" class="btn btn-small btn-ghost" onClick={onDismiss}>
            {t('err.dismiss')}
          </button>
        )}
      </div>
    </div>
  );
}

/** A page-level error (from REST) before any live connection exists. */
export function ErrorPanel({ message, detail }: { message: string; detail?: string }) {
  return (
    <main id="main" class="page narrow">
      <div class="panel panel-error" role="alert" data-testid="page-error">
        <h1>{t('err.title')}</h1>
        <p class="lead">{message}</p>
        {detail && <p class="muted">{detail}</p>}
        <button type="button" class="btn" onClick={() => location.reload()}>
          {t('err.reload')}
        </button>
      </div>
    </main>
  );
}
