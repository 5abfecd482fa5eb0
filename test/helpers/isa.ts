// Running native-core tests on every kernel table (ISA) this CPU has, and putting the core's ISA and
// thread count back afterwards so that one test file's choice never leaks into the next test.
// Not a dispatch test: whether setIsa and the overrides work is test/model/dispatch.test.ts's job.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { native, type IsaName } from '../../src/model/native.js';

/** An ISA and a thread count to run a suite under. */
export interface IsaConfig {
  readonly isa: IsaName;
  readonly threads: number;
}

/** Every available ISA on the default threads, then the best ISA on 3 threads (uneven partitions, more threads than cores). */
export function isaConfigs(): IsaConfig[] {
  const threads = native.threads();
  return [...native.availableIsas().map((isa) => ({ isa, threads })), { isa: native.isa(), threads: 3 }];
}

/** Registers hooks in the current suite: switch to `config` before its tests, restore ISA and threads after them. */
export function useIsa(config: IsaConfig): void {
  const initial = { isa: native.isa(), threads: native.threads() };
  before(() => {
    assert.ok(native.setIsa(config.isa));
    native.setThreads(config.threads);
  });
  after(() => restore(initial));
}

/** Registers a hook that restores the ISA and threads of now when the current suite (or file) ends. */
export function restoreIsaAfter(): void {
  const initial = { isa: native.isa(), threads: native.threads() };
  after(() => restore(initial));
}

/** Runs `fn` on `isa`, then restores the previous ISA, also when `fn` throws. */
export function withIsa<T>(isa: IsaName, fn: () => T): T {
  const previous = native.isa();
  assert.ok(native.setIsa(isa));
  try {
    return fn();
  } finally {
    native.setIsa(previous);
  }
}

function restore({ isa, threads }: IsaConfig): void {
  native.setIsa(isa);
  native.setThreads(threads);
}
