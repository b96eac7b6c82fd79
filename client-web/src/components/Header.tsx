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
  /** The page has no heading of its own: the workshop's title and the subtitle are its `h1`. */
  heading?: boolean;
}

/** "Spring til indhold": to the page's `<main id="main">` without touching the URL (its fragment is the token). */
function skipToMain(e: Event) {
  e.preventDefault();
  const main = document.getElementById('main');
  if (!main) return;
  if (!main.hasAttribute('tabindex')) main.setAttribute('tabindex', '-1');
  main.focus();
}

/** The top bar of every page: brand, workshop title, connection status, language. */
export function Header({ title, subtitle, session, children, wide, heading }: Props) {
  const Title = heading ? 'h1' : 'div';
  return (
    <header class="topbar">
      <a class="skip-link" href="#main" onClick={skipToMain} data-testid="skip-link">{t('a11y.skip')}</a>
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
          <Title class="topbar-title">
            <span class="topbar-room" data-testid="room-title">{title}</span>
            {subtitle && <span class="topbar-sub">{heading && <span class="sr-only"> – </span>}{subtitle}</span>}
          </Title>
        )}
        <div class="topbar-actions">
          {children}
          {session && <StatusPill session={session} />}
          <button
            type="button"
            class="btn btn-ghost btn-lang"
            data-testid="lang-toggle"
            aria-label={t('a11y.langButton', { short: t('lang.switchShort'), lang: t('lang.switch') })}
            onClick={() => setLang(lang() === 'da' ? 'en' : 'da')}
          >
            {t('lang.switchShort')}
          </button>
        </div>
      </div>
    </header>
  );
}
