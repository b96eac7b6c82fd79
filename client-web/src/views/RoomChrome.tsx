import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Header } from '../components/Header';
import { ProblemBanner } from '../components/ProblemBanner';
import { t, type Key } from '../i18n';
import type { RoomSession } from '../sync/room';
import { readMeta } from '../sync/schema';
import { RoomDeletedPanel } from './RoomDeleted';
import { FollowControl } from './Follow';
import { UndoBar } from './UndoBar';
import { readAnonymity, stricter, type Anonymity } from '../sync/anonymity';

/** What the room's pages say of an anonymous room, by who reads it and how anonymous it is. */
function anonymityText(a: Anonymity, facilitator: boolean): Key | null {
  if (a === 'none') return null;
  if (facilitator) return a === 'full' ? 'anon.bannerFacilitatorFull' : 'anon.bannerFacilitator';
  return a === 'full' ? 'anon.bannerParticipantFull' : 'anon.bannerParticipant';
}

/**
 * Header, connection status and the server's refusals, shared by every live page of a room; once
 * the room is deleted, the page says that instead of its content.
 */
export function RoomChrome({ session, subtitle, actions, children, wide, phaseBanner = true, problemBanner = true, heading }: {
  session: RoomSession;
  subtitle?: string;
  actions?: ComponentChildren;
  children: ComponentChildren;
  wide?: boolean;
  phaseBanner?: boolean;
  /** False when the page itself says what went wrong (a removed seat). */
  problemBanner?: boolean;
  /** The page has no `h1` of its own: the header's title is it. */
  heading?: boolean;
}) {
  const [, setDismissed] = useState(0);
  // What undo and follow say to screen readers (and on screen, briefly): one polite live region.
  const [said, setSaid] = useState({ text: '', n: 0 });
  const say = (text: string) => setSaid((s) => ({ text, n: s.n + 1 }));
  useEffect(() => {
    if (!said.text) return;
    const id = setTimeout(() => setSaid((s) => (s.n === said.n ? { ...s, text: '' } : s)), 4000);
    return () => clearTimeout(id);
  }, [said.n]);
  const meta = readMeta(session.control.doc);
  const anonymity = stricter(session.anonymity, readAnonymity(session.control.doc));
  const anonText = anonymityText(anonymity, session.role === 'facilitator');
  const phaseShown = phaseBanner && session.control.everSynced && meta.phase !== 'group';
  // A landmark only while it holds something (an empty region is noise to a screen reader).
  const showsBanner = phaseShown || (problemBanner && !!session.problem) || !!anonText;
  if (session.problem?.key === 'err.roomDeleted') {
    return (
      <>
        <Header title={meta.title || '…'} session={session} wide={wide} />
        <RoomDeletedPanel roomId={session.roomId} reason={session.problem.reason} />
      </>
    );
  }
  return (
    <>
      <Header title={meta.title || '…'} subtitle={subtitle} session={session} wide={wide} heading={heading}>
        {actions}
      </Header>
      <div class={`banners ${wide ? 'wide' : ''}`} role={showsBanner ? 'region' : undefined} aria-label={showsBanner ? t('a11y.notices') : undefined}>
        {problemBanner && <ProblemBanner session={session} onDismiss={() => { session.problem = null; setDismissed((x) => x + 1); }} />}
        {phaseShown && (
          <div class={`banner banner-phase phase-${meta.phase}`} data-testid="phase-banner">
            <strong>{t(`phase.${meta.phase}`)}</strong>
            <span>{t(meta.phase === 'plenum' ? 'phase.bannerPlenum' : 'phase.bannerClosed')}</span>
          </div>
        )}
        {anonText && (
          <p class="banner banner-anon" data-testid="anon-banner" data-anonymity={anonymity}>
            <strong>{t('anon.title')}:</strong> <span>{t(anonText)}</span>
          </p>
        )}
      </div>
      {children}
      {session.role !== 'review' && (
        <aside class={`room-tools ${wide ? 'wide' : ''}`} aria-label={t('a11y.roomTools')} data-testid="room-tools">
          <FollowControl session={session} say={say} />
          <UndoBar session={session} say={say} />
          <p class={`room-tools-said ${said.text ? '' : 'sr-only'}`} role="status" aria-live="polite" data-testid="room-tools-said">{said.text}</p>
        </aside>
      )}
    </>
  );
}
