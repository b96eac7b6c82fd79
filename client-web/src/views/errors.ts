import { ApiError } from '../api';
import { t } from '../i18n';
import { problemForHttp } from '../sync/status';

/** A REST failure in plain words. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('err.network');
    const p = problemForHttp(e.status);
    if (p) return t(p.key);
    return t('err.http', { status: e.status, message: e.serverMessage });
  }
  return String(e);
}
