import { render } from 'preact';
import { App } from './app';
import { lang } from './i18n';
import './styles.css';
import './print.css';
import './styles-voting.css';
import './styles-anonymity.css';
import './styles-a11y.css';

document.documentElement.lang = lang();
render(<App />, document.getElementById('app')!);
