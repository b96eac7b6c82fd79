// "Følg facilitator" on the page: the follower's toggle and what following does (./sync/follow.ts
// holds the presence fields), the facilitator's list of who follows, and the console's panel with
// the projector link.
//
// Following takes the page to the view the facilitator shows (wall, sheet, prioritisation, note);
// the wall then scrolls to the cell and marks it, marks the card and puts the sagsområde in focus
// (WallPage). A follower who changes the page themselves (or picks another sagsområde on the wall)
// stops following, and the page says so with "Følg igen"; scrolling and zooming do not.
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n';
import { analysisPath, appUrl, navigate, onRoute, parseRoute } from '../router';
import type { RoomSession } from '../sync/room';
import { followerNames, isFollowing, leaderShowing, ownShowing, registerLeader, setFollowing, show, type FollowView } from '../sync/follow';
import { CopyField } from '../components/CopyField';

/** Pages that followed in this tab (the projector's toggle stays), and those that stopped by themselves. */
const everFollowed = new WeakSet<RoomSession>();
const stoppedBySelf = new WeakSet<RoomSession>();
/** The session whose page is open now, and whether the route change under way is the follow's own. */
let active: RoomSession | null = null;
let followNavigating = false;
let announce: ((s: string) => void) | null = null;

onRoute(() => {
  if (followNavigating || !active || !isFollowing(active)) return;
  stopFollowing(active, true);
});

/**
 * Does this page lead (show what followers see)? The facilitator's pages, except one that has
 * followed (the projector): stopped, it shows its own choices, never the room's.
 */
export const leads = (session: RoomSession) => session.role === 'facilitator' && !isFollowing(session) && !everFollowed.has(session);

export function startFollowing(session: RoomSession) {
  everFollowed.add(session);
  stoppedBySelf.delete(session);
  setFollowing(session, true);
  announce?.(t('follow.started'));
}

/** `self`: the follower changed the view themselves (the page says why it stopped). */
export function stopFollowing(session: RoomSession, self = false) {
  if (!isFollowing(session)) return;
  setFollowing(session, false);
  if (self) stoppedBySelf.add(session);
  announce?.(self ? t('follow.stoppedSelf') : t('follow.stopped'));
}

/** The view of the page open now, as the facilitator shows it (null: the console, the group page). */
function currentView(): FollowView | null {
  const r = parseRoute();
  if (r.page === 'wall') return 'wall';
  if (r.page === 'analysis') return r.view;
  return null;
}

/** This person's page for `view` (the facilitator's pages for a facilitator token: the projector). */
function pathFor(session: RoomSession, view: FollowView): string {
  const via = session.role === 'facilitator' ? 'room' : 'join';
  return view === 'wall' ? `/${via}/${encodeURIComponent(session.roomId)}/wall` : analysisPath(via, session.roomId, view);
}

/**
 * On every live page of a room (RoomChrome): a facilitator's page that does not follow says which
 * view it shows; a page that follows goes where the facilitator is. Renders the follower's toggle.
 */
export function FollowControl({ session, say }: { session: RoomSession; say: (s: string) => void }) {
  const view = currentView();
  const following = isFollowing(session);
  const lead = following ? leaderShowing(session) : null;
  useEffect(() => {
    active = session;
    announce = say;
    return () => {
      if (active === session) active = null;
    };
  }, [session]);
  // The facilitator's page says which view it is on (cell and card start afresh on another page).
  useEffect(() => {
    if (leads(session) && ownShowing(session)?.view !== view) show(session, { view, cell: null, card: null });
  }, [view, following]);
  // Listed as a leading page once the wall has its presence states (sync/follow.ts).
  useEffect(() => {
    if (leads(session) && ownShowing(session)) registerLeader(session);
  });
  useEffect(() => {
    if (!lead?.view || lead.view === view) return;
    followNavigating = true;
    try {
      navigate(pathFor(session, lead.view));
    } finally {
      followNavigating = false;
    }
  }, [lead?.view, view]);

  if (session.role === 'review') return null;
  const offer = session.role === 'participant' ? leaderShowing(session) !== null : everFollowed.has(session);
  if (!following && !offer && !stoppedBySelf.has(session)) return null;
  if (following) {
    return (
      <div class="follow-toggle is-following" data-testid="follow-state" data-following="yes">
        <span class="follow-dot" aria-hidden="true" />
        <span class="follow-text">{lead ? t('follow.following') : t('follow.waiting')}</span>
        <button type="button" class="btn btn-small btn-ghost-border" onClick={() => stopFollowing(session)} data-testid="follow-stop">{t('follow.stop')}</button>
      </div>
    );
  }
  return (
    <div class="follow-toggle" data-testid="follow-state" data-following="no">
      {stoppedBySelf.has(session) && <span class="follow-text follow-note" data-testid="follow-stopped-self">{t('follow.stoppedSelf')}</span>}
      <button type="button" class="btn btn-small btn-primary" onClick={() => startFollowing(session)} aria-describedby="follow-help" data-testid="follow-start">
        {stoppedBySelf.has(session) ? t('follow.again') : t('follow.follow')}
      </button>
      <span id="follow-help" class="sr-only">{t('follow.followHelp')}</span>
    </div>
  );
}

/** Who follows the facilitator, by name (the console's panel and the wall's toolbar). */
export function Followers({ session, compact }: { session: RoomSession; compact?: boolean }) {
  // A follower without a name (an anonymous room) is "Deltager".
  const names = followerNames(session).map((n) => n || t('role.participant'));
  if (compact) {
    if (!names.length) return null;
    return (
      <span class="followers-inline" data-testid="followers" data-count={names.length} title={names.join(', ')}>
        {t('follow.followersCount', { n: names.length })}<span class="followers-names">: {names.join(', ')}</span>
      </span>
    );
  }
  return names.length ? (
    <ul class="followers-list" data-testid="followers" data-count={names.length} aria-label={t('follow.followers')}>
      {names.map((n, i) => <li key={`${n}-${i}`}>{n}</li>)}
    </ul>
  ) : (
    <p class="muted small" data-testid="followers" data-count="0">{t('follow.noFollowers')}</p>
  );
}

/** The console's panel: who follows, and the projector's wall (a window here, or a link for the projector PC). */
export function FollowPanel({ session }: { session: RoomSession }) {
  const [, setV] = useState(0);
  useEffect(() => session.subscribe(() => setV((x) => x + 1)), [session]);
  const path = `/room/${encodeURIComponent(session.roomId)}/projector`;
  const link = appUrl(path, session.token);
  return (
    <section class="panel" aria-labelledby="follow-h" data-testid="follow-panel">
      <h2 id="follow-h">{t('follow.panel')} <span class="count">{followerNames(session).length}</span></h2>
      <p class="muted small">{t('follow.panelHelp')}</p>
      <h3 class="follow-subhead">{t('follow.followers')}</h3>
      <Followers session={session} />
      <div class="stack">
        <a class="btn btn-ghost-border btn-block" href={link} target="kortvaeg-projector" rel="noopener" data-testid="open-projector">{t('follow.openProjector')}</a>
        <CopyField label={t('follow.projectorLink')} value={link} testid="projector-link" />
        <p class="field-help muted">{t('follow.projectorHelp')}</p>
      </div>
    </section>
  );
}
