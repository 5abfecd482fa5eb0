// Progress of a training run on stderr: a cli-progress bar with ETA over all steps, with epoch lines
// logged above it, when stderr is a terminal; otherwise (logs, CI) one plain line per epoch.
// Purely cosmetic: nothing here feeds results.
import cliProgress from 'cli-progress';

/** What the trainer reports after each step and each epoch. */
export interface ProgressReporter {
  step(step: number, values: { epoch: number; loss: number; tokensPerSec: number }): void;
  line(text: string): void;
  stop(): void;
}

/** A reporter for `totalSteps`, starting at `startStep`; `enabled` false gives a silent one. */
export function progressReporter(totalSteps: number, startStep: number, epochs: number, enabled: boolean): ProgressReporter {
  if (!enabled) return { step() {}, line() {}, stop() {} };
  if (!process.stderr.isTTY) {
    return { step() {}, line: (text) => void process.stderr.write(text + '\n'), stop() {} };
  }
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
