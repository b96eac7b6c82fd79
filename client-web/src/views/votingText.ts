// The voting API's refusals in the UI language. The server (server/src/http/votes.rs,
// shared/src/voting.rs) words them in English; the known ones are said here, by status and text,
// anything else with its status and the server's words.
import { ApiError } from '../api';
import { t } from '../i18n';
import { errorText } from './errors';

type Rule = [number, RegExp, (m: RegExpMatchArray) => string];

const RULES: Rule[] = [
  [409, /no vote is open/, () => t('vote.err.noneOpen')],
  [409, /the vote is closed/, () => t('vote.err.closed')],
  [409, /time for voting is up/, () => t('vote.err.timeUp')],
  [409, /used all your (\d+) votes/, (m) => t('vote.err.budget', { n: m[1] })],
  [409, /at most (\d+) votes? on one card/, (m) => t('vote.err.capCard', { n: m[1] })],
  [409, /at most (\d+) votes? on one sagsområde/, (m) => t('vote.err.capSags', { n: m[1] })],
  [409, /no vote on this to take back/, () => t('vote.err.nothing')],
  [400, /^there is no (card|sagsområde)/, () => t('vote.err.noTarget')],
  [400, /^budget must be/, () => t('vote.err.budgetRange')],
  [400, /^cap must be 1–(\d+)/, (m) => t('vote.err.capRange', { n: m[1] })],
  [400, /^minutes must be/, () => t('vote.err.minutesRange')],
  [403, /only a person in the workshop/, () => t('vote.err.notSeat')],
  [403, /only the facilitator/, () => t('vote.err.notFacilitator')],
  [404, /no voting round/, () => t('vote.err.noRound')],
];

/** A refused vote or round change in plain words. */
export function voteErrorText(e: unknown): string {
  if (!(e instanceof ApiError)) return String(e);
  for (const [status, re, say] of RULES) {
    const m = e.status === status ? e.serverMessage.match(re) : null;
    if (m) return say(m);
  }
  if (e.status === 0 || e.status === 401 || e.status === 503 || (e.status === 404 && !e.serverMessage)) return errorText(e);
  return t('vote.err.other', { status: e.status, message: e.serverMessage });
}
