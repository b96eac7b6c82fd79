// How a person's name is shown where there is room for two letters only (avatars, presence chips).

/**
 * Initials from letters only (`\p{L}`): the first letter of the first and of the last word made of
 * letters, upper-cased — "Anne Marie Jensen" → "AJ", "Dorte (fjern, Teams)" → "DT", "Ålborg" → "Å".
 * Digits, brackets, commas and emoji never become an initial; a name without a letter gives "?".
 */
export function initials(name: string): string {
  const words = name.normalize('NFC').match(/\p{L}[\p{L}\p{M}'’-]*/gu) ?? [];
  if (!words.length) return '?';
  const head = (w: string | undefined) => (w ? [...w][0] ?? '' : '');
  const first = head(words[0]);
  const last = words.length > 1 ? head(words[words.length - 1]) : '';
  return (first + last).toLocaleUpperCase('da');
}
