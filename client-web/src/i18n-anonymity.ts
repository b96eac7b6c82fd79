// UI text of anonymity per room (merged into the dictionaries of ./i18n; docs/API.md, "Anonymity").

export const daAnonymity = {
  'anon.legend': 'Anonymitet',
  'anon.none': 'Navne vises',
  'anon.noneDesc': 'Alle kan se, hvem der skrev hvert kort.',
  'anon.participants': 'Deltagerne ser ikke, hvem der skrev hvad',
  'anon.participantsDesc': 'Kortene viser ingen navne for deltagerne; du som facilitator ser stadig, hvem der skrev hvad.',
  'anon.full': 'Ingen ser, hvem der skrev hvad (heller ikke facilitator)',
  'anon.fullDesc': 'Hverken kort, svar, dokumentationsark eller eksport nævner, hvem der skrev hvad. Deltagerlisten viser stadig, hvem der er med.',
  'anon.fixed': 'Valget kan ikke ændres, når workshoppen er oprettet.',
  'anon.title': 'Anonym workshop',
  'anon.bannerParticipant': 'de andre deltagere kan ikke se, hvem der skrev hvad (facilitator kan).',
  'anon.bannerParticipantFull': 'ingen kan se, hvem der skrev hvad – heller ikke facilitator.',
  'anon.bannerFacilitator': 'deltagerne ser ikke, hvem der skrev hvad; du ser det.',
  'anon.bannerFacilitatorFull': 'ingen ser, hvem der skrev hvad – heller ikke du. Deltagerlisten viser stadig, hvem der er med.',
  'anon.typing': 'Nogen skriver…',
  'anon.doneSent': 'Facilitator kan se, at I er færdige.',
  'err.anonymous': 'Workshoppen er anonym: en ændring, der sagde, hvem der skrev den, blev afvist og ikke gemt. Genindlæs siden.',
};

export const enAnonymity: Record<keyof typeof daAnonymity, string> = {
  'anon.legend': 'Anonymity',
  'anon.none': 'Names are shown',
  'anon.noneDesc': 'Everyone can see who wrote each card.',
  'anon.participants': 'Participants do not see who wrote what',
  'anon.participantsDesc': 'Cards show participants no names; you as facilitator still see who wrote what.',
  'anon.full': 'Nobody sees who wrote what (not even the facilitator)',
  'anon.fullDesc': 'No card, answer, documentation sheet or export says who wrote what. The people list still shows who takes part.',
  'anon.fixed': 'This cannot be changed once the workshop is created.',
  'anon.title': 'Anonymous workshop',
  'anon.bannerParticipant': 'the other participants cannot see who wrote what (the facilitator can).',
  'anon.bannerParticipantFull': 'nobody can see who wrote what – not even the facilitator.',
  'anon.bannerFacilitator': 'participants do not see who wrote what; you do.',
  'anon.bannerFacilitatorFull': 'nobody sees who wrote what – not even you. The people list still shows who takes part.',
  'anon.typing': 'Someone is typing…',
  'anon.doneSent': 'The facilitator can see that you are done.',
  'err.anonymous': 'The workshop is anonymous: a change that said who wrote it was refused and not saved. Reload the page.',
};
