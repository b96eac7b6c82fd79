import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Header } from '../components/Header';
import { ProblemBanner } from '../components/ProblemBanner';
import { t } from '../i18n';
import type { RoomSession } from '../sync/room';
import { readMeta } from '../sync/schema';
import { RoomDeletedPanel } from './RoomDeleted';

/**
 * Header, connection status and the server's refusals, shared by every live page of a room; once
 * the room is deleted, the page says that instead of its content.
 */
export function RoomChrome({ session, subtitle, actions, children, wide, phaseBanner = true, problemBanner = true }: {
  session: RoomSession;
  subtitle?: string;
  actions?: ComponentChildren;
  children: ComponentChildren;
  wide?: boolean;
  phaseBanner?: boolean;
  /** False when the page itself says what went wrong (a removed seat). */
  problemBanner?: boolean;
}) {
  const [, setDismissed] = useState(0);
  const meta = readMeta(session.control.doc);
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
      <Header title={meta.title || '…'} subtitle={subtitle} session={session} wide={wide}>
        {actions}
      </Header>
      <div class={`banners ${wide ? 'wide' : ''}`}>
        {problemBanner && <ProblemBanner session={session} onDismiss={() => { session.problem = null; setDismissed((x) => x + 1); }} />}
        {phaseBanner && session.control.everSynced && meta.phase !== 'group' && (
          <div class={`banner banner-phase phase-${meta.phase}`} data-testid="phase-banner">
            <strong>{t(`phase.${meta.phase}`)}</strong>
            <span>{t(meta.phase === 'plenum' ? 'phase.bannerPlenum' : 'phase.bannerClosed')}</span>
          </div>
        )}
      </div>
      {children}
    </>
  );
}
