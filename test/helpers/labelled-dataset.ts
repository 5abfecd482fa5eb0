// A labelled ASAP-style dataset and a tiny run for the embedding tests: three composers, two pieces each
// (one train, one test), two performances per piece (the same notes, stretched and louder), one bad file;
// a BPE tokenizer trained on them, and a run directory whose snapshots are untrained tiny models.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTokenizer } from '../../src/data/tokenizer-file.js';
import { notesToArray, notesFrom, type Notes } from '../../src/midi/notes.js';
import { readMidi } from '../../src/midi/read.js';
import { applySustain } from '../../src/midi/sustain.js';
import { writeMidi } from '../../src/midi/write.js';
import { Transformer } from '../../src/model/transformer.js';
import { MidiTokenizer } from '../../src/tokenizer/midi-tokenizer.js';
import { createScheme } from '../../src/tokenizer/schemes.js';
import { resolveTrainOptions } from '../../src/run/train-options.js';
import { createRunDir } from '../../src/run/config.js';
import { MODEL_FILE, snapshotName } from '../../src/run/layout.js';
import { randomNotes } from './mixed-dataset.js';

/** Seed of the run: the snapshot of epoch 1 is initialised with it, so it equals the run's random init. */
export const RUN_SEED = 5;
/** The bad file listed in metadata.csv. */
export const BAD_ID = 'Chopin/Ballade_1/Bad01.mid';

/** One performance of a piece: stretched in time by `stretch`, velocities raised by `louder`. */
function perform(notes: Notes, stretch: number, louder: number): Notes {
  return notesFrom(
    notesToArray(notes).map((n) => ({
      ...n,
      start: n.start * stretch,
      end: n.end * stretch,
      velocity: Math.min(127, n.velocity + louder),
    })),
  );
}

/** Writes the dataset under `root`; returns the ids of the good performances, in metadata order. */
export function writeLabelledDataset(root: string): string[] {
  const rows = ['composer,title,folder,midi_performance,split'];
  const ids: string[] = [];
  const works = [
    ['Bach', 'Prelude in C major BWV 846', 'Fugue in C minor BWV 847'],
    ['Chopin', 'Ballade No. 1 in G minor', 'Nocturne Op. 9 No. 2'],
    ['Liszt', 'Etude S. 139', 'Sonata in B minor'],
  ] as const;
  works.forEach(([composer, ...titles], c) => {
    titles.forEach((title, p) => {
      const folder = `${composer}/${title.split(' ')[0]}_${p + 1}`;
      const base = randomNotes(100 + 10 * c + p, 160);
      for (let k = 0; k < 2; k++) {
        const id = `${folder}/Perf${k}${c}.mid`;
        mkdirSync(join(root, folder), { recursive: true });
        writeFileSync(join(root, id), writeMidi(perform(base, 1 + 0.07 * k, 5 * k)));
        rows.push(`${composer},"${title}",${folder},${id},${p === 0 ? 'train' : 'test'}`);
        ids.push(id);
      }
    });
  });
  mkdirSync(join(root, 'Chopin/Ballade_1'), { recursive: true });
  writeFileSync(join(root, BAD_ID), 'not a MIDI file\n');
  rows.push(`Chopin,"Ballade No. 1 in G minor",Chopin/Ballade_1,${BAD_ID},test`);
  writeFileSync(join(root, 'metadata.csv'), rows.join('\n') + '\n');
  return ids;
}

/** The notes motif reads from a dataset file (musical pedal rule, as the run's default). */
export function readNotes(path: string): Notes {
  return applySustain(readMidi(readFileSync(path), path), { rule: 'musical' });
}

/** A run directory for `ids` under `root`: tokenizer trained on them, snapshots of epochs 1 (seed RUN_SEED) and 2 (another seed). */
export function writeTinyRun(
  dataRoot: string,
  ids: readonly string[],
  runDir: string,
): { tokenizer: MidiTokenizer; config: Record<string, number> } {
  const tokenizer = MidiTokenizer.train(
    createScheme('exptime', {}),
    ids.map((id) => readNotes(join(dataRoot, id))),
    { vocabSize: 300 },
  );
  const tokPath = join(runDir + '-tokenizer.json');
  writeTokenizer(tokenizer, tokPath);
  createRunDir(runDir, {
    data: join(runDir + '-no-shards'),
    preset: 'tiny',
    model: {},
    train: resolveTrainOptions({ seqLen: 48, batchSize: 3, seed: RUN_SEED }),
    tokenizer: { path: tokPath, sha256: createHash('sha256').update(readFileSync(tokPath)).digest('hex') },
  });
  const config = { vocabSize: tokenizer.vocabSize, maxLen: 64, dModel: 32, nLayers: 2, nHeads: 2, dFF: 64, dropout: 0 };
  for (const [epoch, seed] of [
    [1, RUN_SEED],
    [2, 77],
  ]) {
    const dir = join(runDir, 'snapshots', snapshotName(epoch));
    mkdirSync(dir, { recursive: true });
    Transformer.create(config, seed).save(join(dir, MODEL_FILE), { optimizer: false });
  }
  return { tokenizer, config };
}
