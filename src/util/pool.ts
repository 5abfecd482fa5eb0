// A small pool of worker threads running one task function, for work that should use every core (tokenizing a corpus).
// Workers run compiled code (dist/*.js); under tsx (tests, `node --import tsx`) they load the .ts twin and tsx with it.
// Not a general job queue: tasks are independent, FIFO, and a task's failure is its own result, never the pool's.
import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData, type TransferListItem } from 'node:worker_threads';

type Reply<R> = { seq: number; ok: true; result: R } | { seq: number; ok: false; error: string };

/** URL of a worker script beside `importMetaUrl`, with the extension the caller itself runs from (.ts under tsx, .js from dist). */
export function workerScript(importMetaUrl: string, stem: string): URL {
  return new URL(`./${stem}${importMetaUrl.endsWith('.ts') ? '.ts' : '.js'}`, importMetaUrl);
}

/** Default pool size: one worker per core. */
export function defaultWorkers(): number {
  return availableParallelism();
}

/** Runs tasks on `size` workers; `run` resolves with the task's result or rejects with its error message. */
export class WorkerPool<T, R> {
  /** Tasks sent ahead to each worker, so it never waits for the main thread between two tasks. */
  private static readonly AHEAD = 2;
  private readonly busy = new Map<Worker, number>(); // live workers → tasks sent and not yet answered
  private readonly queue: number[] = []; // seqs not yet sent, in order
  private readonly pending = new Map<
    number,
    { task: T; resolve: (r: R) => void; reject: (e: Error) => void; worker?: Worker }
  >();
  private seq = 0;
  private closed = false;

  constructor(
    private readonly script: URL,
    private readonly data: unknown,
    size: number,
  ) {
    for (let i = 0; i < Math.max(1, size); i++) this.spawn();
  }

  /** Queues one task. */
  run(task: T): Promise<R> {
    if (this.closed || this.busy.size === 0)
      return Promise.reject(new Error(this.closed ? 'worker pool is closed' : 'no worker is running'));
    const seq = this.seq++;
    const done = new Promise<R>((resolve, reject) => this.pending.set(seq, { task, resolve, reject }));
    this.queue.push(seq);
    this.dispatch();
    return done;
  }

  /** Stops every worker (tasks still queued are rejected). */
  async close(): Promise<void> {
    this.closed = true;
    for (const seq of this.queue.splice(0)) this.settle(seq, undefined, 'worker pool closed');
    await Promise.all([...this.busy.keys()].map((w) => w.terminate()));
  }

  private spawn(): void {
    const worker = this.script.pathname.endsWith('.ts')
      ? // Node 20 workers do not get the main thread's tsx hooks: register them, then import the .ts entry.
        new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(this.script.href)}); })`,
          {
            eval: true,
            workerData: this.data,
          },
        )
      : new Worker(this.script, { workerData: this.data });
    this.busy.set(worker, 0);
    let answered = false;
    worker.on('message', (reply: Reply<R>) => {
      answered = true;
      this.busy.set(worker, this.busy.get(worker)! - 1);
      this.settle(reply.seq, reply.ok ? reply.result : undefined, reply.ok ? undefined : reply.error);
      this.dispatch();
    });
    // A worker that dies (out of memory, a crash in native code) fails only the task it was running (its oldest:
    // a worker answers in order), the tasks sent ahead go back to the front of the queue, and a fresh worker takes
    // its place. One that dies before answering anything is not replaced (its script cannot load), and when no
    // worker is left every queued task fails with its reason instead of waiting forever.
    const lost = (why: string): void => {
      if (!this.busy.delete(worker)) return;
      const mine = [...this.pending].filter(([, p]) => p.worker === worker).map(([seq]) => seq);
      if (mine.length > 0) this.settle(mine[0], undefined, why);
      for (const seq of mine.slice(1)) this.pending.get(seq)!.worker = undefined;
      this.queue.unshift(...mine.slice(1));
      if (this.closed) return;
      if (answered) this.spawn();
      if (this.busy.size === 0) for (const seq of this.queue.splice(0)) this.settle(seq, undefined, why);
      this.dispatch();
    };
    worker.on('error', (err) => lost(`worker failed: ${err.message}`));
    worker.on('exit', (code) => lost(`worker exited with code ${code}`));
  }

  /** Sends queued tasks to the least busy workers, up to AHEAD each. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let worker: Worker | undefined;
      for (const [w, n] of this.busy)
        if (n < WorkerPool.AHEAD && (worker === undefined || n < this.busy.get(worker)!)) worker = w;
      if (worker === undefined) return;
      this.busy.set(worker, this.busy.get(worker)! + 1);
      const seq = this.queue.shift()!;
      const p = this.pending.get(seq)!;
      p.worker = worker;
      worker.postMessage({ seq, task: p.task });
    }
  }

  private settle(seq: number, result: R | undefined, error: string | undefined): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    if (error === undefined) p.resolve(result as R);
    else p.reject(new Error(error));
  }
}

/** Inside a worker: answers each task with `handler` (its thrown message becomes the task's error). */
export function serveTasks<T, R>(
  handler: (task: T, data: unknown) => { result: R; transfer?: TransferListItem[] },
): void {
  if (isMainThread || !parentPort) throw new Error('serveTasks must run inside a worker thread');
  const port = parentPort;
  port.on('message', ({ seq, task }: { seq: number; task: T }) => {
    let reply: Reply<R>;
    let transfer: TransferListItem[] | undefined;
    try {
      const out = handler(task, workerData);
      reply = { seq, ok: true, result: out.result };
      transfer = out.transfer;
    } catch (err) {
      reply = { seq, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply, transfer);
  });
}
