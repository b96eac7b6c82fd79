import { useEffect, useState } from 'preact/hooks';
import type { RoomInfo } from '../api';
import { useSession } from '../hooks';
import { t } from '../i18n';
import { loadMe, saveMe, type Me } from '../local';
import type { RoomSession } from '../sync/room';
import { readPresence, setUser } from '../sync/presence';
import { readColumns, readMeta } from '../sync/schema';
import { GroupWork } from './GroupWork';
import { RoomChrome } from './RoomChrome';

/** `/join/{id}#participantToken`: a name and a group, no account; then the group's work page. */
export function Join({ session, info }: { session: RoomSession; info: RoomInfo }) {
  useSession(session);
  const [me, setMe] = useState<Me | null>(() => loadMe(info.id));
  const columns = readColumns(session.control.doc);
  const inGroup = me && me.group && columns.some((c) => c.id === me.group) ? me : null;

  useEffect(() => {
    if (inGroup) setUser(session, { name: inGroup.name, color: inGroup.color, role: info.role, group: inGroup.group });
  }, [inGroup?.name, inGroup?.group]);

  if (inGroup) return <GroupWork session={session} info={info} me={inGroup} onLeave={() => setMe({ ...inGroup, group: '' })} />;
  return <JoinForm session={session} me={me} missing={!!me?.group && session.ready} onJoin={(name, group) => setMe(saveMe(info.id, name, group))} />;
}

function JoinForm({ session, me, missing, onJoin }: { session: RoomSession; me: Me | null; missing: boolean; onJoin: (name: string, group: string) => void }) {
  const [name, setName] = useState(me?.name ?? '');
  const [group, setGroup] = useState('');
  const [error, setError] = useState<string | null>(null);
  const columns = readColumns(session.control.doc);
  const meta = readMeta(session.control.doc);
  const people = readPresence(session);
  const submit = (e: Event) => {
    e.preventDefault();
    if (!name.trim()) return setError(t('join.needName'));
    if (!group) return setError(t('join.needGroup'));
    onJoin(name.trim(), group);
  };
  return (
    <RoomChrome session={session}>
      <main class="page narrow join">
        <form class="panel" onSubmit={submit} data-testid="join-form">
          <h1>{t('join.title')}</h1>
          <p class="lead">{meta.title}</p>
          <p class="muted">{t('join.lead')}</p>
          {missing && <p class="notice-warn">{t('group.missing')}</p>}
          <label class="field-label">
            {t('join.name')}
            <input class="input input-lg" name="name" autoComplete="name" value={name} maxLength={60} placeholder={t('join.namePlaceholder')}
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
          {error && <p class="form-error" role="alert">{error}</p>}
          <button type="submit" class="btn btn-primary btn-lg btn-block" data-testid="join-go">{t('join.go')}</button>
        </form>
      </main>
    </RoomChrome>
  );
}
