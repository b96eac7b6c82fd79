// Path routing (the server serves index.html for every non-API path). The room's token travels in
// the URL fragment (#token), never in a request; navigation inside the app keeps it.

export type Route =
  | { page: 'start' }
  | { page: 'console'; room: string; token: string }
  | { page: 'wall'; room: string; token: string; via: 'room' | 'join'; /** `/room/{id}/projector`: the wall that follows the facilitator. */ projector?: boolean }
  | { page: 'join'; room: string; token: string }
  | { page: 'review'; room: string; token: string; via: 'room' | 'review'; seq: number | null; compare?: boolean }
  | { page: 'analysis'; room: string; token: string; via: Via; view: AnalysisView }
  /** The wall as a printable page (A3 landscape), a PDF and a PNG: the live wall (`seq` null) or a snapshot's. */
  | { page: 'print'; room: string; token: string; via: Via; seq: number | null }
  /** `/tilgaengelighed`: the accessibility statement. */
  | { page: 'statement' }
  | { page: 'notfound' };

/** Which link's pages a page belongs to: `/room/…` (facilitator), `/join/…`, `/review/…`. */
export type Via = 'room' | 'join' | 'review';
/** The documentation sheet, the prioritisation and the decision note (`…/sheet`, `…/priority`, `…/note`). */
export type AnalysisView = 'sheet' | 'priority' | 'note';
export const ANALYSIS_VIEWS: AnalysisView[] = ['sheet', 'priority', 'note'];
const isView = (s?: string): s is AnalysisView => !!s && (ANALYSIS_VIEWS as string[]).includes(s);

/**
 * Path of the wall's print page: the live wall's (`/room/{id}/wall/print`, `/join/{id}/wall/print`)
 * or a snapshot's (`/room/{id}/review/{seq}/print`, `/review/{id}/{seq}/print`).
 */
export function printPath(via: Via, room: string, seq: number | null): string {
  const r = encodeURIComponent(room);
  if (seq === null) return `/${via === 'review' ? 'room' : via}/${r}/wall/print`;
  return via === 'review' ? `/review/${r}/${seq}/print` : `/room/${r}/review/${seq}/print`;
}
/** Path of the Compare page (`?from=&to=` chooses the snapshots) for a link of kind `via`. */
export const comparePath = (via: 'room' | 'review', room: string) =>
  via === 'room' ? `/room/${encodeURIComponent(room)}/review/compare` : `/review/${encodeURIComponent(room)}/compare`;

/** Path of an analysis page for a link of kind `via`. */
export const analysisPath = (via: Via, room: string, view: AnalysisView) => `/${via}/${encodeURIComponent(room)}/${view}`;

/** The accessibility statement's page. */
export const STATEMENT_PATH = '/tilgaengelighed';

export function tokenFromHash(hash = location.hash): string {
  const raw = hash.replace(/^#/, '');
  try {
    return decodeURIComponent(raw).trim();
  } catch {
    return raw.trim();
  }
}

export function parseRoute(pathname = location.pathname, hash = location.hash): Route {
  const parts = pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  const token = tokenFromHash(hash);
  if (parts.length === 0) return { page: 'start' };
  if (parts.length === 1 && parts[0] === STATEMENT_PATH.slice(1)) return { page: 'statement' };
  const [kind, room, sub, extra] = parts;
  if (!room) return { page: 'notfound' };
  const seq = (s?: string) => (s && /^\d+$/.test(s) ? Number(s) : null);
  if ((kind === 'room' || kind === 'join' || kind === 'review') && isView(sub)) return { page: 'analysis', room, token, via: kind, view: sub };
  // The wall's print page: `…/wall/print` (live), `…/review/{seq}/print` and `/review/{id}/{seq}/print` (a snapshot).
  const printing = parts[parts.length - 1] === 'print';
  if (kind === 'room') {
    if (!sub) return { page: 'console', room, token };
    if (sub === 'wall') return printing ? { page: 'print', room, token, via: 'room', seq: null } : { page: 'wall', room, token, via: 'room' };
    if (sub === 'projector') return { page: 'wall', room, token, via: 'room', projector: true };
    if (sub === 'review' && extra === 'compare') return { page: 'review', room, token, via: 'room', seq: null, compare: true };
    if (sub === 'review') return printing && seq(extra) !== null ? { page: 'print', room, token, via: 'room', seq: seq(extra) } : { page: 'review', room, token, via: 'room', seq: seq(extra) };
  }
  if (kind === 'join') {
    if (!sub) return { page: 'join', room, token };
    if (sub === 'wall') return printing ? { page: 'print', room, token, via: 'join', seq: null } : { page: 'wall', room, token, via: 'join' };
  }
  if (kind === 'review' && sub === 'compare') return { page: 'review', room, token, via: 'review', seq: null, compare: true };
  if (kind === 'review') return printing && seq(sub) !== null ? { page: 'print', room, token, via: 'review', seq: seq(sub) } : { page: 'review', room, token, via: 'review', seq: seq(sub) };
  return { page: 'notfound' };
}

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((fn) => fn()));

export function onRoute(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * Goes to `path` inside the app, keeping the token fragment unless `hash` is given. `state`: for the
 * next page only (`history.state`), e.g. what the start page is to confirm.
 */
export function navigate(path: string, hash: string = location.hash, state: unknown = null) {
  history.pushState(state, '', path + hash);
  window.scrollTo(0, 0);
  listeners.forEach((fn) => fn());
}

/** Absolute URL of a page of this app with a token. */
export function appUrl(path: string, token: string): string {
  return `${location.origin}${path}#${token}`;
}
