import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { Header } from '../components/Header';
import { t } from '../i18n';
import { navigate } from '../router';

/** The operator's contact as a link where it is one (an e-mail address or a web address), else text. */
function Contact({ value }: { value: string }) {
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) return <a href={`mailto:${value}`}>{value}</a>;
  if (/^https?:\/\/\S+$/.test(value)) return <a href={value} rel="noopener noreferrer">{value}</a>;
  return <>{value}</>;
}

/**
 * `/tilgaengelighed`: the accessibility statement (tilgængelighedserklæring), one template for every
 * server; the contact is the operator's (`--accessibility-contact`, `GET /api/server`). Without it
 * (the flag unset, or a server without the endpoint) the page sends people to the municipality's site.
 */
export function Statement() {
  // undefined: still asking; null: none set.
  const [contact, setContact] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    api.server().then(
      (s) => live && setContact(s?.accessibility_contact?.trim() || null),
      () => live && setContact(null),
    );
    return () => {
      live = false;
    };
  }, []);
  const li = (keys: Parameters<typeof t>[0][]) => keys.map((k) => <li key={k}>{t(k)}</li>);
  return (
    <>
      <Header />
      <main id="main" class="page narrow statement" data-testid="statement">
        <h1>{t('st.title')}</h1>
        <p class="lead">{t('st.intro')}</p>
        <h2>{t('st.statusTitle')}</h2>
        <p>{t('st.status')}</p>
        <h2>{t('st.testedTitle')}</h2>
        <ul>{li(['st.tested1', 'st.tested2', 'st.tested3'])}</ul>
        <h2>{t('st.limitsTitle')}</h2>
        <ul>{li(['st.limit1', 'st.limit2', 'st.limit3', 'st.limit4'])}</ul>
        <h2>{t('st.contactTitle')}</h2>
        <p data-testid="statement-contact" data-state={contact === undefined ? 'loading' : contact ? 'set' : 'none'}>
          {contact === undefined ? t('common.loading') : contact ? <>{t('st.contactLead')} <Contact value={contact} /></> : t('st.contactNone')}
        </p>
        <h2>{t('st.complaintTitle')}</h2>
        <p>{t('st.complaint')}</p>
        <p>
          <a href="/" onClick={(e) => { e.preventDefault(); navigate('/', ''); }} data-testid="statement-back">{t('st.back')}</a>
        </p>
      </main>
    </>
  );
}
