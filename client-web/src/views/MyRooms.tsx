import type { Template } from '../api';
import { fmtDateTime, t } from '../i18n';
import type { ListedRoom } from '../myRooms';

/**
 * The start page's list of workshops: "Mine workshops" when the server lists the caller's (a
 * creator key or a signed-in user), else those created on this device. Only a workshop whose links
 * this device keeps can be opened from here; the others say that the facilitator link is needed.
 */
export function MyRooms({ rooms, fromServer, templates, onForget }: {
  rooms: ListedRoom[];
  /** The server answered `GET /api/rooms`. */
  fromServer: boolean;
  templates: Template[] | null;
  onForget: (id: string) => void;
}) {
  if (rooms.length === 0) return null;
  const templateTitle = (id: string | null) => (id ? templates?.find((tp) => tp.id === id)?.title ?? id : null);
  return (
    <section class="panel" aria-labelledby="my-rooms-h" data-testid="my-rooms" data-source={fromServer ? 'server' : 'device'}>
      <h2 id="my-rooms-h">{t(fromServer ? 'start.mineServer' : 'start.mine')}</h2>
      <p class="muted small">{t(fromServer ? 'start.mineServerHint' : 'start.mineHint')}</p>
      <ul class="room-list">
        {rooms.map((r) => {
          const template = templateTitle(r.template);
          return (
            <li key={r.id} data-testid={`my-room-${r.id}`} data-openable={r.links ? 'yes' : 'no'}>
              <div class="room-list-body">
                <div class="room-list-title">{r.title}</div>
                <div class="muted small">
                  {template && <span data-testid="my-room-template">{template} · </span>}
                  {t('start.created', { date: fmtDateTime(r.createdAt) })}
                </div>
                {!r.links && <div class="small room-list-note" data-testid="my-room-needs-link">{t('start.needsLink')}</div>}
              </div>
              {r.links && (
                <div class="row-actions">
                  <a class="btn btn-small" href={r.links.facilitator_url} aria-label={t('start.openRoomLabel', { title: r.title })} data-testid="my-room-open">
                    {t('start.openRoom')}
                  </a>
                  <button type="button" class="btn btn-ghost btn-small" aria-label={t('start.forgetLabel', { title: r.title })} onClick={() => onForget(r.id)}>
                    {t('start.forget')}
                  </button>
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
