import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type RoomInfo, type SeatInfo } from '../api';
import { useSession } from '../hooks';
import { t } from '../i18n';
import { clearGroup, loadMe, saveMe, saveSeat, updateSeat, type Me } from '../local';
import type { RoomSession } from '../sync/room';
import { colorFor, readPresence, setUser } from '../sync/presence';
import { readColumns, readMeta } from '../sync/schema';
import { ParticipantPage } from './ParticipantPage';
import { RoomChrome } from './RoomChrome';
import { SeatRemovedPanel } from './SeatRemoved';
import { errorText } from './errors';

/** How often the participant's page asks for its seat (the facilitator may rename or move it). */
const SEAT_REFRESH_MS = 3000;

/**
 * `/join/{id}#participantToken`: a name and a group, no account. Joining creates a seat
 * (`POST /api/rooms/{id}/seats`); from then on this device uses the seat's token for the room (the
 * page is opened again with it, `info.seat` set), and the group's work page follows the server's
 * name and group for the seat.
 */
export function Join({ session, info }: { session: RoomSession; info: RoomInfo }) {
  useSession(session);
  if (info.seat) return <Seated session={session} info={info} seat0={info.seat} />;
  return <Unseated session={session} info={info} />;
}

const meOf = (seat: SeatInfo): Me => ({ id: seat.seat_id, name: seat.name, group: seat.group, color: colorFor(seat.seat_id) });

function Seated({ session, info, seat0 }: { session: RoomSession; info: RoomInfo; seat0: SeatInfo }) {
  const [seat, setSeat] = useState<SeatInfo>(seat0);
  const [changing, setChanging] = useState(false);
  const columns = readColumns(session.control.doc);
  const me = meOf(seat);
  const inGroup = columns.some((c) => c.id === seat.group);
  const removed = session.problem?.key === 'err.seatRemoved';
  // Removed, or the room deleted (RoomChrome says so): nothing more to ask the server.
  const over = removed || session.problem?.key === 'err.roomDeleted';

  const took = (s: SeatInfo) => {
    setSeat(s);
    updateSeat(info.id, { name: s.name, group: s.group });
  };
  // The group documents follow the seat's group (its own is the one it writes).
  useEffect(() => session.setSeatGroup(seat.group), [seat.group]);

  // The server's name and group (the facilitator may rename or move this seat); a refusal means removed.
  useEffect(() => {
    if (over) return;
    let alive = true;
    const refresh = async () => {
      if (document.hidden) return;
      try {
        const r = await api.room(info.id, session.token);
        if (alive && r.seat && (r.seat.name !== seat.name || r.seat.group !== seat.group)) took(r.seat);
      } catch (e) {
        if (alive && e instanceof ApiError && e.status === 404) session.deleted(404);
        else if (alive && e instanceof ApiError && (e.status === 401 || e.status === 403)) session.removeSeat(e.status);
      }
    };
    const id = setInterval(refresh, SEAT_REFRESH_MS);
    return () => {
      alive = false;
      clearInterval(id);
    };
  }, [over, seat.name, seat.group]);

  useEffect(() => {
    if (inGroup && !over) setUser(session, { name: me.name, color: me.color, role: info.role, group: me.group });
  }, [me.name, me.group, inGroup, over]);

  if (removed) {
    return (
      <RoomChrome session={session} problemBanner={false} phaseBanner={false}>
        <SeatRemovedPanel roomId={info.id} />
      </RoomChrome>
    );
  }
  if (inGroup && !changing) return <ParticipantPage session={session} info={info} me={me} onLeave={() => setChanging(true)} />;
  return (
    <JoinForm
      session={session}
      name0={seat.name}
      group0={inGroup ? seat.group : ''}
      missing={!inGroup && session.ready}
      change
      onCancel={inGroup ? () => setChanging(false) : undefined}
      onJoin={async (name, group) => {
        const patch: { name?: string; group?: string } = {};
        if (name !== seat.name) patch.name = name;
        if (group !== seat.group) patch.group = group;
        took(Object.keys(patch).length ? await api.updateSeat(info.id, session.token, seat.seat_id, patch) : seat);
        setChanging(false);
      }}
    />
  );
}

/** The join link's page before this device has a seat. */
function Unseated({ session, info }: { session: RoomSession; info: RoomInfo }) {
  // A server without seats (v1: `POST …/seats` answers 404/405) keeps who-I-am on the device only.
  const [me, setMe] = useState<Me | null>(() => loadMe(info.id));
  const columns = readColumns(session.control.doc);
  const v1 = me?.v1 && me.group && columns.some((c) => c.id === me.group) ? me : null;

  useEffect(() => {
    if (v1) setUser(session, { name: v1.name, color: v1.color, role: info.role, group: v1.group });
  }, [v1?.name, v1?.group]);

  if (v1) return <ParticipantPage session={session} info={info} me={v1} onLeave={() => { clearGroup(info.id); setMe({ ...v1, group: '' }); }} />;
  return (
    <JoinForm
      session={session}
      name0={me?.name ?? ''}
      group0=""
      missing={!!me?.v1 && !!me.group && session.ready}
      onJoin={async (name, group) => {
        try {
          const s = await api.createSeat(info.id, session.token, name, group);
          // The room's pages now open with the seat's token (app.tsx); this page is replaced.
          saveSeat(info.id, s);
        } catch (e) {
          if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return setMe(saveMe(info.id, name, group, true));
          // 403: joining is closed, or this link was replaced by a new one (then the link itself is refused).
          if (e instanceof ApiError && e.status === 403) await api.room(info.id, session.token);
          throw e;
        }
      }}
    />
  );
}

function JoinForm({ session, name0, group0, missing, change = false, onJoin, onCancel }: {
  session: RoomSession;
  name0: string;
  group0: string;
  missing: boolean;
  /** Changing an existing seat's name or group, rather than joining. */
  change?: boolean;
  onJoin: (name: string, group: string) => Promise<void>;
  onCancel?: () => void;
}) {
  const [name, setName] = useState(name0);
  const [group, setGroup] = useState(group0);
  const [error, setError] = useState<string | null>(null);
  const [refusedClosed, setRefusedClosed] = useState(false);
  const [busy, setBusy] = useState(false);
  const columns = readColumns(session.control.doc);
  const meta = readMeta(session.control.doc);
  const people = readPresence(session);
  const closed = !change && (meta.joiningClosed || refusedClosed);
  // Opened again by the facilitator: a refusal from before no longer holds.
  useEffect(() => {
    if (!meta.joiningClosed) setRefusedClosed(false);
  }, [meta.joiningClosed]);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!name.trim()) return setError(t('join.needName'));
    if (!group) return setError(t('join.needGroup'));
    setError(null);
    setRefusedClosed(false);
    setBusy(true);
    try {
      await onJoin(name.trim(), group);
    } catch (err) {
      if (!change && err instanceof ApiError && err.status === 403) setRefusedClosed(true);
      else setError(err instanceof ApiError && err.status === 400 ? t('join.refused', { message: err.serverMessage }) : errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <RoomChrome session={session}>
      <main id="main" class="page narrow join">
        <form class="panel" onSubmit={submit} data-testid="join-form" data-mode={change ? 'change' : 'join'}>
          <h1>{change ? t('join.changeTitle') : t('join.title')}</h1>
          <p class="lead">{meta.title}</p>
          {!change && <p class="muted">{t('join.lead')}</p>}
          {missing && <p class="notice-warn">{t('group.missing')}</p>}
          {closed && <p class="notice-warn" role="status" data-testid="joining-closed">{t('join.closed')}</p>}
          <label class="field-label">
            {t('join.name')}
            <input class="input input-lg" name="name" autoComplete="name" value={name} maxLength={80} placeholder={t('join.namePlaceholder')}
              data-testid="join-name" onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
          </label>
          <fieldset class="fieldset">
            <legend class="field-label">{t('join.group')}</legend>
            {session.ready && columns.length === 0 && <p class="muted">{t('join.noGroups')}</p>}
            {!session.ready && <p class="muted">{t('common.loading')}</p>}
            <div class="group-choices">
              {columns.map((c) => {
                const n = people.filter((p) => p.user.group === c.id && !p.self).length;
                return (
                  <label key={c.id} class={`group-choice ${group === c.id ? 'choice-on' : ''}`}>
                    <input type="radio" name="group" value={c.id} checked={group === c.id} onChange={() => setGroup(c.id)} data-testid={`join-group-${c.id}`} />
                    <span class="group-choice-label">{c.label}</span>
                    <span class="group-choice-meta">
                      {c.sagsomraader.length > 0 && <span>{c.sagsomraader.length} {t('console.sagsomraader').toLowerCase()}</span>}
                      {n > 0 && <span>{t('join.online', { n })}</span>}
                    </span>
                  </label>
                );
              })}
            </div>
          </fieldset>
          {error && <p class="form-error" role="alert" data-testid="join-error">{error}</p>}
          <button type="submit" class="btn btn-primary btn-lg btn-block" disabled={busy} data-testid="join-go">
            {change ? t('join.save') : t('join.go')}
          </button>
          {onCancel && (
            <button type="button" class="btn btn-ghost btn-block" onClick={onCancel} data-testid="join-cancel">{t('join.cancel')}</button>
          )}
        </form>
      </main>
    </RoomChrome>
  );
}
