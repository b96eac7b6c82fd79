import { t } from '../i18n';
import type { Presence } from '../sync/presence';
import type { Column } from '../sync/schema';
import { initials } from '../names';

/** Someone's name as presence shows it: "Deltager" for whom an anonymous room does not name. */
export const presenceName = (p: Presence) => p.user.name || t(p.user.role === 'facilitator' ? 'role.facilitator' : 'role.participant');

export function Avatar({ p, showName = true }: { p: Presence; showName?: boolean }) {
  const name = presenceName(p);
  return (
    <span class={`avatar ${p.user.name ? '' : 'avatar-anon'}`} title={name} data-testid="presence">
      <span class="avatar-dot" style={{ background: p.user.color }} aria-hidden="true">{initials(p.user.name) || '?'}</span>
      {showName && <span class="avatar-name">{name}{p.self ? ` (${t('common.you')})` : ''}</span>}
    </span>
  );
}

/** Who is online, grouped by fagområde. */
export function PresenceByGroup({ people, columns }: { people: Presence[]; columns: Column[] }) {
  const participants = people.filter((p) => p.user.role !== 'facilitator');
  const facilitators = people.filter((p) => p.user.role === 'facilitator');
  if (people.length === 0) return <p class="muted">{t('console.nobodyOnline')}</p>;
  const groups = new Map<string, Presence[]>();
  for (const p of participants) {
    const k = columns.some((c) => c.id === p.user.group) ? p.user.group : '';
    groups.set(k, [...(groups.get(k) ?? []), p]);
  }
  return (
    <ul class="presence-groups" data-testid="presence-list">
      {facilitators.length > 0 && (
        <li>
          <span class="presence-group-name">{t('role.facilitator')}</span>
          <span class="avatars">{facilitators.map((p) => <Avatar key={p.clientId} p={p} />)}</span>
        </li>
      )}
      {columns.filter((c) => groups.has(c.id)).map((c) => (
        <li key={c.id}>
          <span class="presence-group-name">{c.label}</span>
          <span class="avatars">{groups.get(c.id)!.map((p) => <Avatar key={p.clientId} p={p} />)}</span>
        </li>
      ))}
      {groups.has('') && (
        <li>
          <span class="presence-group-name muted">{t('console.presenceNoGroup')}</span>
          <span class="avatars">{groups.get('')!.map((p) => <Avatar key={p.clientId} p={p} />)}</span>
        </li>
      )}
    </ul>
  );
}
