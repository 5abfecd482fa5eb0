// Musical form labels (prelude, fugue, sonata, etude, ...) parsed from titles and folder names, for
// colouring maps. Words only: nothing is inferred from the notes, and a title naming no known form is
// 'other'.

/** The forms motif tells apart; dance movements of suites share one label. */
export const FORMS = [
  'prelude',
  'fugue',
  'sonata',
  'etude',
  'ballade',
  'nocturne',
  'waltz',
  'mazurka',
  'scherzo',
  'polonaise',
  'impromptu',
  'variations',
  'rhapsody',
  'fantasy',
  'toccata',
  'suite',
  'barcarolle',
  'intermezzo',
  'concerto',
  'other',
] as const;

/** One of FORMS. */
export type Form = (typeof FORMS)[number];

// Whole words after lower-casing, accent stripping and turning _ - . into spaces; plurals and the
// French, German and Italian spellings met in MAESTRO and ASAP titles.
const PATTERNS: ReadonlyArray<[Exclude<Form, 'other'>, RegExp]> = [
  ['prelude', /\b(preludes?|preludio|praeludium)\b/],
  ['fugue', /\b(fugues?|fuga|fughetta)\b/],
  ['sonata', /\b(sonata|sonatas|sonate|sonaten|sonatina|sonatinas)\b/],
  ['etude', /\b(etudes?|studies|study)\b/],
  ['ballade', /\b(ballades?|ballads?|ballata)\b/],
  ['nocturne', /\b(nocturnes?|notturno)\b/],
  ['waltz', /\b(waltz|waltzes|valses?|walzer)\b/],
  ['mazurka', /\b(mazurkas?)\b/],
  ['scherzo', /\b(scherzos?|scherzi)\b/],
  ['polonaise', /\b(polonaises?|polacca)\b/],
  ['impromptu', /\b(impromptus?)\b/],
  ['variations', /\b(variations?|variazioni|variationen)\b/],
  ['rhapsody', /\b(rhapsody|rhapsodies|rhapsodie|rhapsodien|rapsodia)\b/],
  ['fantasy', /\b(fantasy|fantasie|fantasia|fantaisie|fantasies|fantasiestucke?)\b/],
  ['toccata', /\b(toccatas?)\b/],
  [
    'suite',
    /\b(suites?|partitas?|allemandes?|courantes?|sarabandes?|gigues?|gavottes?|bourrees?|minuets?|menuets?|passepieds?)\b/,
  ],
  ['barcarolle', /\b(barcarolles?)\b/],
  ['intermezzo', /\b(intermezzos?|intermezzi)\b/],
  ['concerto', /\b(concerto|concertos|concerti)\b/],
];

/**
 * The form a title names; when it names several ("Prelude and Fugue", "Sonata: Scherzo"), the one
 * named first, since titles lead with the larger unit. Folder names are tried when the title names none.
 */
export function formFromTitle(title: string | undefined, folder?: string): Form {
  for (const text of [title, folder]) {
    if (!text) continue;
    const words = text
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[_\-./,:;()]+/g, ' ');
    let best: Form = 'other';
    let at = Infinity;
    for (const [form, re] of PATTERNS) {
      const m = re.exec(words);
      if (m && m.index < at) {
        best = form;
        at = m.index;
      }
    }
    if (best !== 'other') return best;
  }
  return 'other';
}
