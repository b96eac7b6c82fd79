import type { ComponentChildren } from 'preact';
import { lang, setLang, t } from '../i18n';
import type { RoomSession } from '../sync/room';
import { StatusPill } from './StatusPill';
import { navigate } from '../router';

interface Props {
  title?: string;
  subtitle?: string;
  session?: RoomSession | null;
  children?: ComponentChildren;
  wide?: boolean;
}

/** The top bar of every page: brand, workshop title, connection status, language. */
export function Header({ title, subtitle, session, children, wide }: Props) {
  return (
    <header class="topbar">
      <div class={`topbar-inner ${wide ? 'wide' : ''}`}>
        <a
          class="brand"
          href="/"
          onClick={(e) => {
            if (session) return; // inside a room the brand is not a way out (the token would be lost)
            e.preventDefault();
            navigate('/', '');
          }}
          aria-label={t('app.name')}
        >
          <img src="/favicon.svg" alt="" width={28} height={28} />
          <span class="brand-name">{t('app.name')}</span>
        </a>
        {title && (
          <div class="topbar-title">
            <span class="topbar-room" data-testid="room-title">{title}</span>
            {subtitle && <span class="topbar-sub">{subtitle}</span>}
          </div>
        )}
        <div class="topbar-actions">
          {children}
          {session && <StatusPill session={session} />}
          <button
            type="button"
            class="btn btn-ghost btn-lang"
            data-testid="lang-toggle"
            aria-label={`${t('lang.label')}: ${t('lang.switch')}`}
            onClick={() => setLang(lang() === 'da' ? 'en' : 'da')}
          >
            {t('lang.switchShort')}
          </button>
        </div>
      </div>
    </header>
  );
}
