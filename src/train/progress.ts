// Progress of a training run on stderr: a cli-progress bar with ETA over all steps, with epoch lines
// logged above it, when stderr is a terminal; otherwise (logs, CI, --no-progress) plain lines: one per
// epoch and evaluation, and a step line with ETA once a minute.
// Purely cosmetic: nothing here feeds results.
import cliProgress from 'cli-progress';

/** What the trainer reports after each step and each epoch. */
export interface ProgressReporter {
  step(step: number, values: { epoch: number; loss: number; tokensPerSec: number }): void;
  line(text: string): void;
  stop(): void;
}

/** How a run shows progress: a bar on a terminal (plain lines otherwise), plain lines always, or nothing. */
export type ProgressMode = 'auto' | 'lines' | 'off';

// In plain-line mode a step line at most this often: a sign of life in logs without flooding them.
const STEP_LINE_MS = 60_000;

/** A reporter for `totalSteps`, starting at `startStep`. */
export function progressReporter(
  totalSteps: number,
  startStep: number,
  epochs: number,
  mode: ProgressMode,
): ProgressReporter {
  if (mode === 'off') return { step() {}, line() {}, stop() {} };
  if (mode === 'lines' || !process.stderr.isTTY) return lineReporter(totalSteps);
  // A MultiBar (of one bar) because only it can print lines above the bar without tearing it.
  const bars = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: `epoch {ep}/${epochs} |{bar}| {value}/{total} steps | loss {loss} | {tps} tok/s | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(totalSteps, startStep, { ep: '-', loss: '-', tps: '-' });
  return {
    step(step, v) {
      bar.update(step, { ep: v.epoch.toFixed(2), loss: v.loss.toFixed(4), tps: Math.round(v.tokensPerSec) });
    },
    line(text) {
      bars.log(text + '\n');
    },
    stop() {
      bars.stop();
    },
  };
}

function lineReporter(totalSteps: number): ProgressReporter {
  // The rate is timed from the first step reported, not from the start: an evaluation comes first.
  let first: { step: number; time: number } | undefined;
  let lastLine = Date.now();
  return {
    step(step, v) {
      const now = Date.now();
      first ??= { step, time: now };
      if (now - lastLine < STEP_LINE_MS || step === first.step) return;
      lastLine = now;
      const eta = ((now - first.time) / (step - first.step)) * (totalSteps - step);
      process.stderr.write(
        `step ${step}/${totalSteps} | epoch ${v.epoch.toFixed(2)} | loss ${v.loss.toFixed(4)} | ${Math.round(v.tokensPerSec)} tok/s | ETA ${minutes(eta)}\n`,
      );
    },
    line: (text) => void process.stderr.write(text + '\n'),
    stop() {},
  };
}

function minutes(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
