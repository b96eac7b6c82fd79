// UI text of joining by code (views/JoinCode.tsx; merged into the dictionaries of ./i18n).

export const daJoinCode = {
  'code.title': 'Deltag med kode',
  'code.help': 'Skriv de seks tegn, der står på skærmen i lokalet.',
  'code.label': 'Kode',
  'code.go': 'Deltag',
  'code.unknown': 'Ingen workshop har koden {code}. Tjek koden på skærmen.',
  'code.tooMany': 'For mange forsøg lige nu. Vent et øjeblik, og prøv igen.',
  'code.failed': 'Koden kunne ikke slås op: {message}',
  'code.shareTitle': 'Kode til at deltage',
  'code.shareHint': 'Gå til {host} og skriv koden',
  'code.new': 'Ny kode',
  'code.newConfirm': 'Lav en ny kode? Den gamle kode holder op med at virke. Dem, der allerede er med, beholder deres plads.',
  'code.none': 'Koden kunne ikke hentes: {message}',
};

export const enJoinCode: Record<keyof typeof daJoinCode, string> = {
  'code.title': 'Join with a code',
  'code.help': 'Type the six characters shown on the screen in the room.',
  'code.label': 'Code',
  'code.go': 'Join',
  'code.unknown': 'No workshop has the code {code}. Check the code on the screen.',
  'code.tooMany': 'Too many tries right now. Wait a moment and try again.',
  'code.failed': 'The code could not be looked up: {message}',
  'code.shareTitle': 'Code to join',
  'code.shareHint': 'Go to {host} and type the code',
  'code.new': 'New code',
  'code.newConfirm': 'Make a new code? The old code stops working. Those already in keep their place.',
  'code.none': 'The code could not be fetched: {message}',
};
