import { t } from '../i18n';
import { forgetSeat } from '../local';
import { navigate } from '../router';

/** Forgets this device's (removed) seat and goes to the join page of the link, to join again. */
export function rejoin(roomId: string) {
  forgetSeat(roomId);
  navigate(`/join/${encodeURIComponent(roomId)}`);
}

/** The facilitator removed this person from the workshop: say so, and offer to join again. */
export function SeatRemovedPanel({ roomId }: { roomId: string }) {
  return (
    <main id="main" class="page narrow">
      <div class="panel panel-error" role="alert" data-testid="seat-removed">
        <h1>{t('seat.removedTitle')}</h1>
        <p class="lead">{t('err.seatRemoved')}</p>
        <button type="button" class="btn btn-primary" onClick={() => rejoin(roomId)} data-testid="rejoin">
          {t('seat.rejoin')}
        </button>
      </div>
    </main>
  );
}
