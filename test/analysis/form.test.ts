// Form labels: title shapes from MAESTRO and ASAP, and every ASAP (CC BY-NC-SA 4.0) title checked
// against the form its folder's collection implies. Skipped, visibly, where the data is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FORMS, formFromTitle } from '../../src/analysis/form.js';
import { readAsapMetadata } from '../../src/data/metadata.js';
import { ASAP, skipWithoutAsap } from '../helpers/asap.js';

test('formFromTitle reads MAESTRO-style titles, spellings and plurals', () => {
  const cases: Array<[string, string]> = [
    ['Sonata in C-sharp Minor, Op. 27 No. 2', 'sonata'],
    ['Prelude and Fugue in D Major, WTC I, BWV 850', 'prelude'],
    ['Fugue in G minor', 'fugue'],
    ['Étude Op. 10 No. 4', 'etude'],
    ['Transcendental Études', 'etude'],
    ['Grande Valse Brillante in E-flat Major, Op. 18', 'waltz'],
    ['Mazurkas, Op. 59', 'mazurka'],
    ['Nocturne in E-flat Major, Op. 9 No. 2', 'nocturne'],
    ['Polonaise-Fantaisie in A-flat Major, Op. 61', 'polonaise'],
    ['Fantasie in C Major, Op. 17', 'fantasy'],
    ['Wanderer Fantasy', 'fantasy'],
    ['Variations Sérieuses, Op. 54', 'variations'],
    ['Hungarian Rhapsody No. 2', 'rhapsody'],
    ['French Suite No. 5: Gigue', 'suite'],
    ['Sarabande', 'suite'],
    ['Scherzo No. 2 in B-flat Minor, Op. 31', 'scherzo'],
    ['Impromptu Op. 90 No. 4', 'impromptu'],
    ['Toccata in C Major, Op. 7', 'toccata'],
    ['Ballade No. 4', 'ballade'],
    ['Islamey', 'other'],
    ['Sonatina in G Major', 'sonata'],
    ['Consolation No. 3', 'other'],
  ];
  for (const [title, expected] of cases) assert.equal(formFromTitle(title), expected, title);
  assert.equal(formFromTitle('Kreisleriana 1', 'Schumann/Fantasiestucke/1'), 'fantasy', 'falls back to the folder');
  assert.equal(formFromTitle(undefined), 'other');
});

// The form each ASAP collection folder (second path segment) stands for; collections without one are 'other'.
const COLLECTION_FORM: Record<string, string> = {
  Fugue: 'fugue',
  Prelude: 'prelude',
  Piano_Sonatas: 'sonata',
  Keyboard_Sonatas: 'sonata',
  Sonatas: 'sonata',
  Sonata: 'sonata',
  Sonata_2: 'sonata',
  Sonata_3: 'sonata',
  Etudes_op_10: 'etude',
  Etudes_op_25: 'etude',
  Etudes_op_8: 'etude',
  Transcendental_Etudes: 'etude',
  Concert_Etude_S145: 'etude',
  Gran_Etudes_de_Paganini: 'etude',
  Ballades: 'ballade',
  Ballade_2: 'ballade',
  Scherzos: 'scherzo',
  Preludes_op_23: 'prelude',
  Preludes_op_32: 'prelude',
  'Impromptu_op.90_D.899': 'impromptu',
  Impromptu_op142: 'impromptu',
  Toccata: 'toccata',
  Toccata_repeat: 'toccata',
  Hungarian_Rhapsodies: 'rhapsody',
  Fantasie_475: 'fantasy',
  Wanderer_fantasie: 'fantasy',
  Barcarolle: 'barcarolle',
  Italian_concerto: 'concerto',
};

test('every ASAP title gets the form its collection implies', { skip: skipWithoutAsap }, (t) => {
  const items = readAsapMetadata(`${ASAP}metadata.csv`, ASAP, false);
  const counts = new Map<string, number>();
  const pieces = new Map<string, string>();
  for (const item of items) {
    const form = formFromTitle(item.title, item.piece);
    assert.ok((FORMS as readonly string[]).includes(form), `${item.title}: ${form}`);
    const collection = (item.piece ?? '').split('/')[1];
    assert.equal(form, COLLECTION_FORM[collection] ?? 'other', `${item.title} (${item.piece})`);
    counts.set(form, (counts.get(form) ?? 0) + 1);
    pieces.set(item.piece as string, form);
  }
  const pieceCounts = new Map<string, number>();
  for (const form of pieces.values()) pieceCounts.set(form, (pieceCounts.get(form) ?? 0) + 1);
  t.diagnostic(`performances per form: ${JSON.stringify(Object.fromEntries(counts))}`);
  // Spot checks against ASAP's folder counts: 25 fugues, 22 WTC + 3 Rachmaninoff preludes, 4 Chopin + 1 Liszt ballades.
  assert.equal(pieceCounts.get('fugue'), 25);
  assert.equal(pieceCounts.get('prelude'), 25);
  assert.equal(pieceCounts.get('ballade'), 5);
  assert.equal(pieceCounts.get('scherzo'), 3);
});
