// UI text of undo and redo ("Fortryd" / "Gentag"; merged into the dictionaries of ./i18n).

export const daUndo = {
  'undo.toolbar': 'Fortryd og gentag dine egne ændringer',
  'undo.undo': 'Fortryd',
  'undo.redo': 'Gentag',
  'undo.undoLabel': 'Fortryd din seneste ændring (Ctrl+Z)',
  'undo.redoLabel': 'Gentag det, du fortrød (Ctrl+Shift+Z)',
  'undo.nothing': 'Der er intet at fortryde.',
  'undo.nothingRedo': 'Der er intet at gentage.',
  'undo.done': 'Fortrudt: din seneste ændring er taget tilbage.',
  'undo.redone': 'Gentaget: ændringen er sat ind igen.',
  'undo.blocked': 'Kan ikke fortryde lige nu: workshoppen er lukket for ændringer.',
  'undo.blockedRedo': 'Kan ikke gentage lige nu: workshoppen er lukket for ændringer.',
};

export const enUndo: Record<keyof typeof daUndo, string> = {
  'undo.toolbar': 'Undo and redo your own changes',
  'undo.undo': 'Undo',
  'undo.redo': 'Redo',
  'undo.undoLabel': 'Undo your last change (Ctrl+Z)',
  'undo.redoLabel': 'Redo what you undid (Ctrl+Shift+Z)',
  'undo.nothing': 'There is nothing to undo.',
  'undo.nothingRedo': 'There is nothing to redo.',
  'undo.done': 'Undone: your last change was taken back.',
  'undo.redone': 'Redone: the change is back.',
  'undo.blocked': 'Cannot undo now: the workshop is closed for changes.',
  'undo.blockedRedo': 'Cannot redo now: the workshop is closed for changes.',
};
