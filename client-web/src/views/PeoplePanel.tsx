import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type RoomInfo, type SeatListItem } from '../api';
import { t } from '../i18n';
import { appUrl } from '../router';
import type { RoomSession } from '../sync/room';
import { setJoiningClosed, type Column } from '../sync/schema';
import { errorText } from './errors';

/** How often the list of seats is fetched again while the console is open. */
const REFRESH_MS = 4000;

/**
 * The facilitator's people panel (CONTRACT.md v2 "Seats"): every seat, online or not, and its group;
 * rename and move (`PATCH …/seats/{id}`), remove after a confirmation (`DELETE`); a new join link
 * (`POST …/participant-token`: the old link stops working, seated people keep theirs); and closing
 * the room to new participants (control `meta.joining`).
 */
export function PeoplePanel({ session, info, columns, joiningClosed, presenceCount, onNewLink }: {
  session: RoomSession;
  info: RoomInfo;
  columns: Column[];
  joiningClosed: boolean;
  /** The number of people online (awareness): a change fetches the seats again at once. */
  presenceCount: number;
  onNewLink: (joinUrl: string) => void;
}) {
  const [seats, setSeats] = useState<SeatListItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const loads = useRef(0);

  const load = async () => {
    try {
      const list = await api.seats(info.id, session.token);
      loads.current += 1;
      setSeats([...list].sort((a, b) => a.name.localeCompare(b.name, 'da')));
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  };
  useEffect(() => {
    void load();
    const id = setInterval(() => { if (!document.hidden) void load(); }, REFRESH_MS);
    return () => clearInterval(id);
  }, []);
  // Someone came or went: their seat's "online" changed, or a new seat was made.
  useEffect(() => {
    const id = setTimeout(() => void load(), 300);
    return () => clearTimeout(id);
  }, [presenceCount]);

  const act = async (what: () => Promise<unknown>, done?: string) => {
    setBusy(true);
    setNotice(null);
    try {
      await what();
      setError(null);
      if (done) setNotice(done);
      await load();
      // Cards show their writer by the seat's name now.
      session.refreshPeople();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const groupLabel = (id: string) => columns.find((c) => c.id === id)?.label ?? t('people.noGroup');
  const online = seats?.filter((s) => s.online).length ?? 0;

  const newLink = () => {
    if (!confirm(t('people.newLinkConfirm'))) return;
    void act(async () => {
      const r = await api.newParticipantToken(info.id, session.token);
      onNewLink(appUrl(`/join/${encodeURIComponent(info.id)}`, r.participant_token));
    }, t('people.newLinkDone'));
  };

  return (
    <section class="panel people" aria-labelledby="people-h" data-testid="people-panel" data-count={seats?.length ?? ''}>
      <h2 id="people-h">
        {t('people.title')} <span class="count" data-testid="people-count">{seats ? seats.length : '…'}</span>
        {seats && seats.length > 0 && <span class="muted small people-online"> {t('people.onlineOf', { n: online })}</span>}
      </h2>
      <div class="stack">
        {joiningClosed && <p class="notice-warn small" role="status" data-testid="joining-closed-note">{t('people.closedNote')}</p>}
        <div class="row-actions">
          <button type="button" class="btn btn-ghost-border grow" disabled={busy} onClick={newLink} data-testid="new-join-link">
            {t('people.newLink')}
          </button>
          <button type="button" class="btn btn-ghost-border grow"
            onClick={() => setJoiningClosed(session.control.doc, !joiningClosed)} data-testid="joining-toggle" data-closed={joiningClosed ? 'yes' : 'no'}>
            {joiningClosed ? t('people.open') : t('people.close')}
          </button>
        </div>
        {notice && <p class="notice-ok small" role="status" data-testid="people-notice">{notice}</p>}
        {error && <p class="form-error" role="alert" data-testid="people-error">{error}</p>}
        {seats && seats.length === 0 && <p class="muted small">{t('people.none')}</p>}
        {seats && seats.length > 0 && (
          <ul class="seat-list">
            {seats.map((s) =>
              editing === s.seat_id ? (
                <SeatEdit key={s.seat_id} seat={s} columns={columns} busy={busy} onCancel={() => setEditing(null)}
                  onSave={(patch) => act(async () => {
                    if (Object.keys(patch).length) await api.updateSeat(info.id, session.token, s.seat_id, patch);
                    setEditing(null);
                  })} />
              ) : (
                <li key={s.seat_id} class="seat" data-testid={`seat-${s.seat_id}`} data-seat-name={s.name} data-group={s.group} data-online={s.online ? 'yes' : 'no'}>
                  <span class={`seat-dot ${s.online ? 'on' : ''}`} aria-hidden="true" />
                  <span class="seat-main">
                    <span class="seat-name" data-testid="seat-name">{s.name}</span>
                    <span class="muted small">
                      <span data-testid="seat-group">{groupLabel(s.group)}</span> · {s.online ? t('people.online') : t('people.offline')}
                    </span>
                  </span>
                  <span class="seat-actions">
                    <button type="button" class="btn btn-small btn-ghost-border" disabled={busy} onClick={() => setEditing(s.seat_id)}
                      aria-label={t('people.editLabel', { name: s.name })} data-testid="seat-edit">{t('people.edit')}</button>
                    <button type="button" class="btn btn-small btn-ghost btn-danger-text" disabled={busy}
                      onClick={() => { if (confirm(t('people.removeConfirm', { name: s.name }))) void act(() => api.removeSeat(info.id, session.token, s.seat_id), t('people.removed', { name: s.name })); }}
                      aria-label={t('people.removeLabel', { name: s.name })} data-testid="seat-remove">{t('people.remove')}</button>
                  </span>
                </li>
              ),
            )}
          </ul>
        )}
      </div>
    </section>
  );
}

/** Rename and move one seat. */
function SeatEdit({ seat, columns, busy, onSave, onCancel }: {
  seat: SeatListItem;
  columns: Column[];
  busy: boolean;
  onSave: (patch: { name?: string; group?: string }) => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState(seat.name);
  const [group, setGroup] = useState(seat.group);
  const [error, setError] = useState<string | null>(null);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const submit = (e: Event) => {
    e.preventDefault();
    const n = name.trim();
    if (!n) return setError(t('join.needName'));
    const patch: { name?: string; group?: string } = {};
    if (n !== seat.name) patch.name = n;
    if (group !== seat.group) patch.group = group;
    onSave(patch);
  };
  return (
    <li class="seat seat-editing" data-testid={`seat-${seat.seat_id}`} data-seat-name={seat.name}>
      <form class="seat-form" onSubmit={submit} onKeyDown={(e) => { if (e.key === 'Escape') onCancel(); }}>
        <label class="field-label small">
          {t('people.name')}
          <input ref={first} class="input" value={name} maxLength={80} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} data-testid="seat-name-input" />
        </label>
        <label class="field-label small">
          {t('people.group')}
          <select class="input" value={group} onChange={(e) => setGroup((e.currentTarget as HTMLSelectElement).value)} data-testid="seat-group-select">
            {!columns.some((c) => c.id === seat.group) && <option value={seat.group}>{t('people.noGroup')}</option>}
            {columns.map((c) => <option key={c.id} value={c.id}>{c.label}</option>)}
          </select>
        </label>
        {error && <p class="form-error" role="alert">{error}</p>}
        <div class="row-actions">
          <button type="submit" class="btn btn-primary btn-small" disabled={busy} data-testid="seat-save">{t('people.save')}</button>
          <button type="button" class="btn btn-ghost btn-small" onClick={onCancel}>{t('join.cancel')}</button>
        </div>
      </form>
    </li>
  );
}
