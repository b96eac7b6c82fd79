import { useEffect, useState } from 'preact/hooks';
import type { RoomInfo } from '../api';
import type { Me } from '../local';
import type { RoomSession } from '../sync/room';
import { readMeta } from '../sync/schema';
import { GroupWork } from './GroupWork';
import { WallPage } from './WallPage';

/**
 * A participant's page follows the phase (issue 16 item 2): in group work the group's page; when
 * the facilitator moves the room to plenum, the wall (the participant's group marked), with
 * "Tilbage til gruppearbejdet"; back in group work, the group's page again. A participant who went
 * back stays there until the phase changes again, and can return with "Til plenumvæggen".
 */
export function ParticipantPage({ session, info, me, onLeave }: { session: RoomSession; info: RoomInfo; me: Me; onLeave: () => void }) {
  const phase = readMeta(session.control.doc).phase;
  const [inGroup, setInGroup] = useState(false);
  // Each change of phase starts again from what the phase shows.
  useEffect(() => setInGroup(false), [phase]);
  useEffect(() => window.scrollTo(0, 0), [phase === 'plenum' && !inGroup]);
  if (phase === 'plenum' && !inGroup) {
    return <WallPage session={session} info={info} via="join" ownGroup={me.group} onBackToGroup={() => setInGroup(true)} />;
  }
  return <GroupWork session={session} info={info} me={me} onLeave={onLeave} toWall={phase === 'plenum' ? () => setInGroup(false) : undefined} />;
}
