// motif's public library entry: what a program embedding motif imports (`import { ... } from 'motif'`).
// The CLI (src/cli/) imports the modules directly, so this file is the stable surface, not the CLI's path.
// API groups, in pipeline order:
//   MIDI       read/write Standard MIDI Files as typed notes; which instruments are kept; the sustain pedal; errors that name the file
//   Tokenizer  base schemes (exptime = reference-compatible, logbin), BPE, Hugging Face tokenizer.json
//   Data       datasets (folder, ASAP, MAESTRO), encoding on every core, tokenizer training, token shards + index
//   Generation generate(model, tokenizer, options) and its pieces: logits processors, sampler, stopping
//              criteria, the event follower that masks and repairs (none of these loads the native core;
//              the model they are given does)
// Model, training, embeddings and analysis are added here as they land; internal modules stay unexported.

// MIDI
export type { Notes, PedalEvent, Performance } from './midi/notes.js';
export { allocNotes, notesFrom, notesToArray } from './midi/notes.js';
export { MidiError } from './midi/errors.js';
export type { ReadMidiOptions } from './midi/read.js';
export { readMidi } from './midi/read.js';
export type { Dropped, DroppedNotes, IgnoredPedal, InstrumentPolicy } from './midi/instruments.js';
export { DEFAULT_INSTRUMENTS, INSTRUMENT_POLICIES, describeDropped } from './midi/instruments.js';
export type { SustainRule } from './midi/sustain.js';
export { applySustain } from './midi/sustain.js';
export type { WriteMidiOptions } from './midi/write.js';
export { writeMidi } from './midi/write.js';

// Tokenizer
export type { BaseTokenizer, SchemeName } from './tokenizer/scheme.js';
export { SCHEME_NAMES, createScheme, defaultParams, tokenNames } from './tokenizer/schemes.js';
export { MidiTokenizer, SPECIAL_TOKENS } from './tokenizer/midi-tokenizer.js';

// Data
export type { Dataset, DatasetLayout, OpenDatasetOptions } from './data/dataset.js';
export type { DatasetItem } from './data/dataset-item.js';
export { isMidiPath, openDataset, selectSplit } from './data/dataset.js';
export type { EncodedFile, EncodedItem, EncodeOptions, EncoderSpec } from './data/encode.js';
export type { FileReading, ReadingReport } from './data/reading-report.js';
export { encodeItems, makeFileEncoder } from './data/encode.js';
export type { TrainTokenizerOptions, TrainTokenizerResult } from './data/train-tokenizer.js';
export { trainTokenizer } from './data/train-tokenizer.js';
export type { TokenizeOptions, TokenizeResult } from './data/tokenize.js';
export { tokenizeDataset } from './data/tokenize.js';
export type { ShardFailure, ShardHeader, ShardIndex, ShardPiece, Shards, TokenDtype } from './data/shards.js';
export { ShardWriter, dtypeFor, openShards } from './data/shards.js';
export type { TokenizerFile } from './data/tokenizer-file.js';
export { parseTokenizer, readTokenizer, writeTokenizer } from './data/tokenizer-file.js';

// Generation
export type { GenerateOptions, GeneratedSample, Generation } from './generate/generate.js';
export { cropPrompt, generate } from './generate/generate.js';
export type { LogitsProcessor } from './generate/logits-processors.js';
export { applyProcessors, minP, softmax, temperature, topK, topP } from './generate/logits-processors.js';
export { Sampler } from './generate/sampler.js';
export type { StoppingCriterion, StreamProgress } from './generate/stopping.js';
export { atEos, maxNotes, maxSeconds, maxTokens, shouldStop } from './generate/stopping.js';
export { EventState } from './generate/event-state.js';
