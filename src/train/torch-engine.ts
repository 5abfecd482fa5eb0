// The PyTorch engine of `motif train --engine torch`: finds a Python with PyTorch, runs python/train_torch.py
// on a run directory (through torch.distributed.run, PyTorch's torchrun, for more than one process), passes
// stop requests on, and reads back how the invocation ended. The training is the Python script's; the run
// directory is the one format both engines read and write (docs/run-directory.md). No training logic here.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJsonFile } from '../util/json-file.js';
import type { TrainResult } from './trainer.js';

/** The trainer script, beside src/ and dist/ alike. */
export const TORCH_TRAINER = fileURLToPath(new URL('../../python/train_torch.py', import.meta.url));

/** How the PyTorch engine runs: processes on this node, device, precision of the training steps. */
export interface TorchOptions {
  nproc: number;
  device?: 'cpu' | 'cuda';
  precision?: 'bf16' | 'fp32';
}

/** One invocation of the engine on an existing run directory. */
export interface TorchInvocation extends TorchOptions {
  runDir: string;
  /** Stop with a checkpoint once the run has done this many steps. */
  maxSteps?: number;
  /** Time budget of this invocation in minutes. */
  maxMinutes?: number;
  /** Aborting it asks the processes to stop after their current step, with a checkpoint. */
  signal?: AbortSignal;
  /** Leave the engine's lines on stderr (false: keep them, and show them only if it fails). */
  showOutput: boolean;
}

/**
 * The Python to run PyTorch with: $MOTIF_PYTHON when set, else the first of python3 (PATH) and
 * /usr/bin/python3 (Debian's python3-torch) that imports torch and numpy. Throws saying what to install.
 */
export function torchPython(): string {
  const candidates = process.env.MOTIF_PYTHON ? [process.env.MOTIF_PYTHON] : ['python3', '/usr/bin/python3'];
  const found = candidates.find(
    (python) => spawnSync(python, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0,
  );
  if (found) return found;
  throw new Error(
    `the torch engine needs PyTorch and numpy for Python 3, and ${candidates.join(' and ')} cannot import them: ` +
      'on Debian or Ubuntu install python3-torch (apt install python3-torch), elsewhere pip install torch numpy; ' +
      'or set MOTIF_PYTHON to a Python that has them. The native engine (--engine native) needs neither.',
  );
}

/** The command line of an invocation: the script itself for one process, torch.distributed.run for more. */
export function torchCommand(python: string, t: TorchInvocation, resultFile: string, logDir: string): string[] {
  const script = [TORCH_TRAINER, '--out', t.runDir, '--resume', '--result', resultFile];
  if (t.maxSteps !== undefined) script.push('--max-steps', String(t.maxSteps));
  if (t.maxMinutes !== undefined) script.push('--max-minutes', String(t.maxMinutes));
  if (t.device) script.push('--device', t.device);
  if (t.precision) script.push('--precision', t.precision);
  return t.nproc === 1 ? [python, ...script] : [python, ...torchrunArgs(t.nproc, logDir), ...script];
}

/** `python` arguments that start torchrun on this one machine with `nproc` processes (the script and its flags follow). */
export function torchrunArgs(nproc: number, logDir: string): string[] {
  // --redirects 1 --tee 1: Debian's torch 1.13 on Python 3.11 fails on torchrun's default 0 for both (IntFlag
  // iteration skips the zero member); 1 sends each worker's stdout to its log and the console. Progress is on stderr.
  return [
    '-m',
    'torch.distributed.run',
    '--standalone',
    '--nnodes',
    '1',
    '--nproc_per_node',
    String(nproc),
    '--redirects',
    '1',
    '--tee',
    '1',
    '--log_dir',
    logDir,
  ];
}

/** Runs the engine on `runDir` (which must hold config.json) until it finishes or stops; resolves with how it ended. */
export async function trainWithTorch(t: TorchInvocation): Promise<TrainResult> {
  if (!Number.isInteger(t.nproc) || t.nproc < 1) throw new Error(`--nproc must be a positive integer, got ${t.nproc}`);
  const python = torchPython();
  const scratch = mkdtempSync(join(tmpdir(), 'motif-torch-'));
  const resultFile = join(scratch, 'result.json');
  try {
    const [cmd, ...args] = torchCommand(python, t, resultFile, join(scratch, 'logs'));
    const child = spawn(cmd, args, {
      stdio: ['ignore', t.showOutput ? 'inherit' : 'pipe', t.showOutput ? 'inherit' : 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => void (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => void (output += d.toString()));
    // torchrun passes SIGTERM on to its workers, which stop after their step with a checkpoint.
    const stop = (): void => void child.kill('SIGTERM');
    t.signal?.addEventListener('abort', stop, { once: true });
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal }));
    }).finally(() => t.signal?.removeEventListener('abort', stop));
    // A stop request can end torchrun with an error while its workers checkpointed and reported: the report decides.
    if (existsSync(resultFile)) {
      const r = readJsonFile<Omit<TrainResult, 'bestValLoss'> & { bestValLoss: number | null }>(resultFile);
      return { ...r, bestValLoss: r.bestValLoss ?? Infinity };
    }
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const tail = output.trim().split('\n').slice(-15).join('\n');
    throw new Error(
      `the torch engine (${[cmd, ...args].join(' ')}) ${how}` +
        (t.showOutput ? '; its messages are above' : tail ? `:\n${tail}` : ''),
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
