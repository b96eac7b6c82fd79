import { useState } from 'preact/hooks';
import { api, ApiError, serverNow } from '../api';
import { Modal } from '../components/Modal';
import { fmtDate, t } from '../i18n';
import { forgetRoom } from '../local';
import { navigate } from '../router';
import { dropRoom } from '../sessions';
import type { RoomSession } from '../sync/room';
import { errorText } from './errors';

const DAY = 24 * 60 * 60 * 1000;
/** From this close to the server's automatic deletion the console warns at the top. */
export const WARN_BEFORE_MS = 7 * DAY;

/** What the start page confirms after a deletion (`history.state` of the navigation there). */
export interface DeletedNotice { deletedTitle: string }

/** "om 3 dage" / "i dag": the whole days left until `at`. */
function daysLeft(at: number, now: number): string {
  const n = Math.ceil((at - now) / DAY);
  return n <= 0 ? t('danger.today') : n === 1 ? t('danger.day') : t('danger.days', { n });
}

/** The console's top warning in the last week before the server deletes the idle room. */
export function DeletesSoon({ deletesAt }: { deletesAt?: string }) {
  const at = deletesAt ? Date.parse(deletesAt) : NaN;
  const now = serverNow();
  if (!Number.isFinite(at) || at - now > WARN_BEFORE_MS) return null;
  return (
    <div class="banner banner-warn" role="status" data-testid="deletes-soon">
      <strong class="banner-text">{t('danger.deletesSoon', { date: fmtDate(at), days: daysLeft(at, now) })}</strong>
    </div>
  );
}

/**
 * The console's danger area: when the server will delete the room by itself (`deletes_at`), and
 * "Slet workshop" behind a confirmation that names it. After `DELETE /api/rooms/{id}` the room is
 * forgotten on this device and the facilitator lands on the start page, which confirms it.
 */
export function DeletePanel({ session, title, deletesAt }: { session: RoomSession; title: string; deletesAt?: string }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const at = deletesAt ? Date.parse(deletesAt) : NaN;

  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.deleteRoom(session.roomId, session.token);
    } catch (e) {
      // Already gone (another tab, the server's own clean-up) is what was asked for.
      if (!(e instanceof ApiError && e.status === 404)) {
        setError(errorText(e));
        setBusy(false);
        return;
      }
    }
    const id = session.roomId;
    forgetRoom(id);
    session.deleted();
    navigate('/', '', { deletedTitle: title } satisfies DeletedNotice);
    // Once the start page has replaced the console: nothing of the room stays open.
    setTimeout(() => dropRoom(id), 0);
  };

  return (
    <section class="panel panel-danger" aria-labelledby="danger-h" data-testid="danger-panel">
      <h2 id="danger-h">{t('danger.title')}</h2>
      {Number.isFinite(at) && (
        <p class="small" data-testid="deletes-at">
          <strong>{t('danger.deletesAt', { date: fmtDate(at) })}</strong>
          <br />
          <span class="muted">{t('danger.deletesAtWhy')}</span>
        </p>
      )}
      <p class="muted small">{t('danger.lead')}</p>
      <button type="button" class="btn btn-danger-outline btn-block" onClick={() => { setError(null); setAsking(true); }} data-testid="delete-room">
        {t('danger.delete')}
      </button>
      {asking && (
        <Modal title={t('danger.confirmTitle')} onClose={() => !busy && setAsking(false)} testid="delete-dialog">
          <p class="lead" data-testid="delete-what">{t('danger.confirmText', { title })}</p>
          <p>{t('danger.confirmWhat')}</p>
          {error && <p class="form-error" role="alert" data-testid="delete-error">{error}</p>}
          <div class="row-actions end">
            <button type="button" class="btn btn-ghost-border" autofocus onClick={() => setAsking(false)} disabled={busy} data-testid="delete-cancel">
              {t('common.cancel')}
            </button>
            <button type="button" class="btn btn-danger" onClick={remove} disabled={busy} data-testid="delete-confirm">
              {busy ? t('danger.deleting') : t('danger.confirmGo')}
            </button>
          </div>
        </Modal>
      )}
    </section>
  );
}
