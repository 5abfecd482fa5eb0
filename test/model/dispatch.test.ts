// Run-time CPU dispatch and the thread pool settings of the native core: CPUID/XGETBV detection
// against the kernel's own view (/proc/cpuinfo), setIsa/availableIsas and setBf16Path/availableBf16Paths,
// the MOTIF_ISA, MOTIF_BF16 and MOTIF_THREADS overrides (in child processes, since they are read at
// load), and the FLOP counts of the peak probes. Whether the kernels of each ISA agree is sgemm.test.ts's
// and the kernel tests' job.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { native, type Bf16Path, type IsaName } from '../../src/model/native.js';
import { restoreIsaAfter } from '../helpers/isa.js';

const initialIsa = native.isa();
const initialBf16 = native.bf16Path();
restoreIsaAfter();
after(() => native.setBf16Path(initialBf16));

/** Loads the core in a fresh Node with extra environment and prints `expression` of it. */
function inChild(env: Record<string, string>, expression: string): string {
  const script = `import { native } from ${JSON.stringify(new URL('../../src/model/native.ts', import.meta.url).href)};
    console.log(JSON.stringify(${expression}));`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: childEnv,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `child failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').at(-1) ?? '';
}

describe('CPU feature detection', () => {
  const features = native.cpuFeatures();

  it(
    'agrees with the flags the Linux kernel reports',
    { skip: !existsSync('/proc/cpuinfo') && 'no /proc/cpuinfo' },
    () => {
      const line =
        readFileSync('/proc/cpuinfo', 'utf8')
          .split('\n')
          .find((l) => /^(flags|Features)\s*:/.test(l)) ?? '';
      const flags = new Set(line.split(':')[1]?.trim().split(/\s+/) ?? []);
      const has = (...names: string[]) => names.every((n) => flags.has(n));
      assert.equal(features.avx2, has('avx2', 'fma', 'f16c'), 'avx2');
      assert.equal(
        features.avx512,
        has('avx2', 'fma', 'f16c', 'avx512f', 'avx512dq', 'avx512bw', 'avx512vl'),
        'avx512',
      );
      assert.equal(features.avx512bf16, features.avx512 && has('avx512_bf16'), 'avx512bf16');
      // Linux lists amx_* only where CPUID has them and the kernel supports tile state.
      assert.equal(features.amxCpu && features.amxOs, has('amx_tile', 'amx_bf16'), 'amx_tile, amx_bf16');
      assert.equal(features.amx, features.amxCpu && features.amxOs && features.amxPermitted && features.avx512, 'amx');
    },
  );

  it('lists exactly the bf16 paths the features allow, best last, and starts on the best', () => {
    const expected: Bf16Path[] = ['generic'];
    if (features.avx512bf16) expected.push('avx512bf16');
    if (features.amx) expected.push('amx');
    assert.deepEqual(native.availableBf16Paths(), expected);
    assert.equal(features.bestBf16, expected.at(-1));
    if (!process.env.MOTIF_BF16) assert.equal(initialBf16, features.bestBf16);
  });

  it('lists exactly the ISAs the features allow, best last, and starts on the best', () => {
    const expected: IsaName[] = ['generic'];
    if (features.avx2) expected.push('avx2');
    if (features.avx512) expected.push('avx512');
    assert.deepEqual(native.availableIsas(), expected);
    assert.equal(features.best, expected.at(-1));
    if (!process.env.MOTIF_ISA) assert.equal(initialIsa, features.best);
  });
});

describe('choosing the ISA', () => {
  it('setIsa switches among the available ISAs and refuses the others', () => {
    const all: IsaName[] = ['generic', 'avx2', 'avx512'];
    for (const isa of all) {
      const available = native.availableIsas().includes(isa);
      const before = native.isa();
      assert.equal(native.setIsa(isa), available, isa);
      assert.equal(native.isa(), available ? isa : before);
    }
    assert.throws(() => native.setIsa('sse9' as IsaName), /unknown ISA 'sse9'/);
  });

  it('MOTIF_ISA picks the table at load; an unusable value falls back to the best with a warning', () => {
    for (const isa of native.availableIsas())
      assert.equal(inChild({ MOTIF_ISA: isa }, 'native.isa()'), JSON.stringify(isa));
    assert.equal(inChild({ MOTIF_ISA: 'bogus' }, 'native.isa()'), JSON.stringify(native.cpuFeatures().best));
  });
});

describe('choosing the bf16 path', () => {
  it('setBf16Path switches among the available paths and refuses the others', () => {
    for (const path of ['generic', 'avx512bf16', 'amx'] as Bf16Path[]) {
      const available = native.availableBf16Paths().includes(path);
      const before = native.bf16Path();
      assert.equal(native.setBf16Path(path), available, path);
      assert.equal(native.bf16Path(), available ? path : before);
    }
    assert.throws(() => native.setBf16Path('fp8' as Bf16Path), /unknown bf16 path 'fp8'/);
  });

  it('MOTIF_BF16 picks the path at load, apart from MOTIF_ISA; an unusable value falls back to the best', () => {
    for (const path of native.availableBf16Paths())
      assert.equal(
        inChild({ MOTIF_BF16: path, MOTIF_ISA: 'generic' }, '[native.bf16Path(), native.isa()]'),
        JSON.stringify([path, 'generic']),
      );
    const unusable = native.cpuFeatures().amx ? 'bogus' : 'amx';
    assert.equal(inChild({ MOTIF_BF16: unusable }, 'native.bf16Path()'), JSON.stringify(native.cpuFeatures().bestBf16));
  });
});

describe('threads', () => {
  it('MOTIF_THREADS sets the count at load; setThreads changes it and rejects nonsense', () => {
    assert.equal(inChild({ MOTIF_THREADS: '3' }, 'native.threads()'), '3');
    native.setThreads(1);
    assert.equal(native.threads(), 1);
    native.setThreads(2);
    assert.equal(native.threads(), 2);
    assert.throws(() => native.setThreads(0), RangeError);
  });
});

describe('the FMA peak probe', () => {
  it('counts FLOPs in proportion to iterations and threads, for every ISA', () => {
    for (const isa of native.availableIsas()) {
      native.setIsa(isa);
      native.setThreads(1);
      const one = native.fmaPeak(1000);
      assert.ok(one > 0 && Number.isInteger(one / 1000), `${isa}: ${one} FLOPs for 1000 iterations`);
      assert.equal(native.fmaPeak(3000), 3 * one, isa);
      native.setThreads(2);
      assert.equal(native.fmaPeak(1000), 2 * one, isa);
    }
  });

  it('the bf16 probes count 2 FLOPs per multiply-add (VDPBF16PS 64 per instruction, TDPBF16PS 16,384), per thread', () => {
    const perIteration: Record<Bf16Path, number> = { generic: 0, avx512bf16: 12 * 64, amx: 4 * 16384 };
    for (const path of native.availableBf16Paths()) {
      native.setBf16Path(path);
      if (path === 'generic') {
        assert.throws(() => native.bf16Peak(10), /no bf16 instruction/);
        continue;
      }
      native.setThreads(1);
      assert.equal(native.bf16Peak(1000), 1000 * perIteration[path], path);
      native.setThreads(2);
      assert.equal(native.bf16Peak(1000), 2000 * perIteration[path], path);
    }
  });
});
