// The import's answers in plain Danish. The server (shared/src/screening.rs, server/src/http/import.rs)
// words its errors in English; the known ones are translated here, anything else is shown as sent.
import { lang } from '../i18n';

const RULES: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^no fagområde$/, () => 'fagområde mangler'],
  [/^no sagsområde$/, () => 'sagsområde mangler'],
  [/^the (fagområde|sagsområde) is longer than (\d+) characters$/, (m) => `${m[1]} er længere end ${m[2]} tegn`],
  [/^the KLE number is longer than (\d+) characters$/, (m) => `KLE-nummeret er længere end ${m[1]} tegn`],
  [/^Anvendes KMD Sag must be ja or nej \(or blank\), not "(.*)"$/, (m) => `"Anvendes KMD Sag" skal være ja eller nej (eller tom), ikke "${m[1]}"`],
  [/^the header has no column (.+)$/, (m) => `overskriftsrækken mangler kolonnen ${m[1].split(' and no column ').join(' og kolonnen ')}`],
  [/^(\d+) rows? of the list cannot be read; nothing was imported$/, (m) => `${m[1]} ${m[1] === '1' ? 'række' : 'rækker'} i listen kan ikke læses, så intet er importeret`],
  [/^the list is empty/, () => 'listen er tom: den skal have en overskriftsrække med Fagområde og Sagsområde'],
  [/^the list has no rows below its header$/, () => 'listen har ingen rækker under overskriftsrækken'],
  [/^the list has (\d+) rows; at most (\d+) can be imported at once$/, (m) => `listen har ${m[1]} rækker; der kan højst importeres ${m[2]} ad gangen`],
  [/^the first row must be a header/, () => 'første række skal være en overskriftsrække med kolonnerne Fagområde og Sagsområde (KLE-nummer og Anvendes KMD Sag er valgfri)'],
  [/^the CSV is not UTF-8/, () => 'CSV-filen er ikke UTF-8. Gem den i Excel som "CSV UTF-8", eller importér XLSX-filen'],
  [/^the CSV cannot be read: (.*)$/, (m) => `CSV-filen kan ikke læses (${m[1]})`],
  [/^not a readable XLSX workbook/, () => 'filen kan ikke læses som en Excel-projektmappe (XLSX)'],
  [/^the workbook has no sheet$/, () => 'projektmappen har intet ark'],
  [/^the sheet has cells in row (\d+), more than (\d+) rows below its first/, (m) => `arket har celler i række ${m[1]}, mere end ${m[2]} rækker under den første; der kan højst importeres ${m[2]} rækker ad gangen`],
  [/^the sheet has cells in column (\d+), more than (\d+) columns from its first$/, (m) => `arket har celler i kolonne ${m[1]}, mere end ${m[2]} kolonner fra den første`],
  [/^the list is larger than (\d+) MiB$/, (m) => `listen er større end ${m[1]} MiB`],
  [/^the workbook unpacks to more than (\d+) MiB$/, (m) => `projektmappen fylder mere end ${m[1]} MiB udpakket`],
  [/^the body is empty/, () => 'filen er tom'],
  [/^only the facilitator can import/, () => 'kun facilitator kan importere en screeningsliste'],
];

/** One server message (an error or a row's problem, possibly several joined by "; ") in the UI language. */
export function importText(message: string): string {
  if (lang() !== 'da') return message;
  const one = (part: string): string | null => {
    for (const [re, fn] of RULES) {
      const m = part.match(re);
      if (m) return fn(m);
    }
    return null;
  };
  return one(message) ?? message.split('; ').map((part) => one(part) ?? part).join('; ');
}
