import { useEffect } from 'preact/hooks';
import { t } from '../i18n';
import { forgetRoom } from '../local';

/** Who deleted it, as far as the server's close reason says (docs/API.md, "Close codes"). */
const leadFor = (reason = '') =>
  /facilitator/i.test(reason) ? 'deleted.byFacilitator' : /retention|not changed/i.test(reason) ? 'deleted.idle' : 'deleted.lead';

/**
 * The workshop was deleted (close 4404, or REST 404 for a room this device had): say so plainly
 * instead of reconnecting, and forget it on this device. `reason`: the server's close reason.
 */
export function RoomDeletedPanel({ roomId, reason }: { roomId: string; reason?: string }) {
  useEffect(() => forgetRoom(roomId), [roomId]);
  return (
    <main id="main" class="page narrow">
      <div class="panel panel-error" role="alert" data-testid="room-deleted">
        <h1>{t('deleted.title')}</h1>
        <p class="lead">{t(leadFor(reason))}</p>
      </div>
    </main>
  );
}
