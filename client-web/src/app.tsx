import { useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { api, ApiError, type RoomInfo } from './api';
import { useLang } from './hooks';
import { t } from './i18n';
import { onRoute, parseRoute, type Route } from './router';
import type { RoomSession } from './sync/room';
import { dropStale, infos, sessionFor } from './sessions';
import { Header } from './components/Header';
import { ErrorPanel } from './components/ProblemBanner';
import { Start } from './views/Start';
import { Console } from './views/Console';
import { Join } from './views/Join';
import { WallPage } from './views/WallPage';
import { Review } from './views/Review';
import { Compare } from './views/Compare';
import { AnalysisPage } from './views/AnalysisPage';
import { LiveWallPrint, SnapshotWallPrint } from './views/WallPrint';
import { errorText } from './views/errors';
import { knownRoom, loadSeat, onSeat } from './local';
import { SeatRemovedPanel } from './views/SeatRemoved';
import { RoomDeletedPanel } from './views/RoomDeleted';
import { Statement } from './views/Statement';

/**
 * The token a page of a room uses: on the participant's pages (`/join/…`) this device's seat, once
 * it has one (CONTRACT.md v2 "Seats"); otherwise the link's.
 */
function tokenFor(route: Route): { token: string; seated: boolean } {
  if (!('room' in route)) return { token: '', seated: false };
  const joinSide = route.page === 'join' || ((route.page === 'wall' || route.page === 'analysis' || route.page === 'print') && route.via === 'join');
  const seat = joinSide ? loadSeat(route.room) : null;
  return seat ? { token: seat.seat_token, seated: true } : { token: route.token, seated: false };
}

export function App() {
  useLang();
  const [route, setRoute] = useState<Route>(parseRoute());
  const [, setSeatV] = useState(0);
  useEffect(() => onRoute(() => setRoute(parseRoute())), []);
  // Getting a seat (or losing it) changes the token of the participant's pages.
  useEffect(() => onSeat(() => setSeatV((v) => v + 1)), []);
  useEffect(() => {
    const fn = () => setRoute(parseRoute());
    window.addEventListener('hashchange', fn);
    return () => window.removeEventListener('hashchange', fn);
  }, []);

  const { token, seated } = tokenFor(route);
  if ('room' in route && seated) dropStale(route.room, token);

  switch (route.page) {
    case 'start':
      return <Start />;
    case 'statement':
      return <Statement />;
    case 'console':
      return <RoomGate key={`${route.room}#${token}`} route={route} room={route.room} token={token}>{(s, info) => <Console session={s} info={info} />}</RoomGate>;
    case 'wall':
      return <RoomGate key={`${route.room}#${token}`} route={route} room={route.room} token={token} seated={seated}>{(s, info) => <WallPage session={s} info={info} via={route.via} projector={!!route.projector} />}</RoomGate>;
    case 'join':
      return <RoomGate key={`${route.room}#${token}`} route={route} room={route.room} token={token} seated={seated}>{(s, info) => <Join session={s} info={info} />}</RoomGate>;
    case 'analysis':
      return <RoomGate key={`${route.room}#${token}`} route={route} room={route.room} token={token} seated={seated}>{(s, info) => <AnalysisPage session={s} info={info} via={route.via} view={route.view} />}</RoomGate>;
    case 'print':
      return route.seq === null ? (
        <RoomGate key={`${route.room}#${token}`} route={route} room={route.room} token={token} seated={seated}>{(s, info) => <LiveWallPrint session={s} info={info} via={route.via} />}</RoomGate>
      ) : (
        <RoomGate key={`${route.room}#${token}`} route={route} room={route.room} token={token} live={false}>{(_s, info) => <SnapshotWallPrint info={info} token={route.token} via={route.via} seq={route.seq!} />}</RoomGate>
      );
    case 'review':
      return <RoomGate key={`${route.room}#${token}`} route={route} room={route.room} token={token} live={false}>{(_s, info) => route.compare ? <Compare info={info} token={route.token} via={route.via} /> : <Review info={info} token={route.token} via={route.via} seq={route.seq} />}</RoomGate>;
    default:
      return (
        <>
          <Header />
          <ErrorPanel message={t('err.gone')} />
        </>
      );
  }
}

interface GateProps {
  route: Route;
  room: string;
  token: string;
  live?: boolean;
  /** `token` is this device's seat: a refusal means the seat was removed. */
  seated?: boolean;
  children: (s: RoomSession, info: RoomInfo) => ComponentChildren;
}

/** Checks the room and token over REST (clear 401/403/404), then opens the live session. */
function RoomGate({ route, room, token, live = true, seated = false, children }: GateProps) {
  const key = `${room}#${token}`;
  const [info, setInfo] = useState<RoomInfo | null>(infos.get(key) ?? null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (!token) {
      setError(new ApiError(401, 'no token in the link'));
      return;
    }
    if (infos.has(key)) return;
    let live = true;
    api.room(room, token).then(
      (i) => {
        infos.set(key, i);
        if (live) setInfo(i);
      },
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [key]);

  // A link opened on the wrong page goes to the page its role may use.
  useEffect(() => {
    if (!info) return;
    const enc = encodeURIComponent(room);
    if (route.page === 'console' && info.role === 'participant') history.replaceState(null, '', `/join/${enc}${location.hash}`);
    else if (route.page === 'analysis' && info.role === 'review' && route.via !== 'review') history.replaceState(null, '', `/review/${enc}/${route.view}${location.hash}`);
    else if (route.page === 'analysis' && info.role === 'participant' && route.via === 'room') history.replaceState(null, '', `/join/${enc}/${route.view}${location.hash}`);
    else if (route.page === 'print' && route.seq !== null && info.role === 'review' && route.via !== 'review') history.replaceState(null, '', `/review/${enc}/${route.seq}/print${location.hash}`);
    else if ((route.page === 'console' || route.page === 'join' || route.page === 'wall' || (route.page === 'print' && route.seq === null)) && info.role === 'review') history.replaceState(null, '', `/review/${enc}${location.hash}`);
    else return;
    dispatchEvent(new PopStateEvent('popstate'));
  }, [info]);

  if (error) {
    // A room this device had (its links, a seat) and the server no longer knows: deleted.
    if (error instanceof ApiError && error.status === 404 && (knownRoom(room) || loadSeat(room))) {
      return (
        <>
          <Header />
          <RoomDeletedPanel roomId={room} />
        </>
      );
    }
    if (seated && error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      return (
        <>
          <Header />
          <SeatRemovedPanel roomId={room} />
        </>
      );
    }
    return (
      <>
        <Header />
        <ErrorPanel message={errorText(error)} />
      </>
    );
  }
  if (!info) {
    return (
      <>
        <Header />
        <main id="main" class="page narrow">
          <p class="muted loading" data-testid="loading">{t('common.loading')}</p>
        </main>
      </>
    );
  }
  if (route.page === 'console' && info.role !== 'facilitator') return null;
  if (info.role === 'review' && route.page !== 'review' && !((route.page === 'analysis' || (route.page === 'print' && route.seq !== null)) && route.via === 'review')) return null;
  if (route.page === 'analysis' && info.role === 'participant' && route.via === 'room') return null;
  const session = live ? sessionFor(info, token) : (null as unknown as RoomSession);
  return <>{children(session, info)}</>;
}
