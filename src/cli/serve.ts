// `motif serve`: the web explorer over an embedding store. A thin verb over src/server/explorer.ts: it
// parses flags, starts listening and says where; Ctrl-C closes the server.
import { Command, InvalidArgumentError, Option } from 'commander';
import { printJson, UsageError, type CliContext } from './output.js';
import { seedValue } from './shared.js';

interface ServeOptions {
  store: string;
  model?: string;
  host: string;
  port: number;
  method: 'tsne' | 'umap';
  seed: number;
  json?: boolean;
}

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port number 0..65535 (0: any free port)');
  return n;
};

/** Registers `serve`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .summary('Explore a store in the browser: the map, listen, find similar pieces, upload, continue.')
    .description(
      'Serves a local web page over an embedding store (motif embed --out): the map of every piece (zoom, pan, colour by ' +
        'composer, key or form, search by title), hover for the metadata, click to see the piano roll, play it with piano ' +
        'samples and list its nearest pieces; drop a MIDI file to place it on the map among its neighbours; "Continue" ' +
        "generates a continuation with the model. Works offline. Uploads are embedded with the store's own run; continuations " +
        "use --model (default: the store's run, or for an embedding model the language model it was fine-tuned from). The map is computed once and cached in the store folder (explorer-map.json).\n\n" +
        'The JSON API (GET /api/health, /api/pieces, /api/pieces/<id>/midi|notes|similar; POST /api/similar, /api/notes, ' +
        '/api/generate with a MIDI body) is described in the README.',
    )
    .requiredOption('--store <dir>', 'embedding store (motif embed --out)')
    .option(
      '--model <dir>',
      "run or exported model folder for continuations (default: the store's run, or the language model it was fine-tuned from)",
    )
    .option('--host <address>', 'address to listen on (127.0.0.1: this machine only)', '127.0.0.1')
    .option('--port <n>', 'port (0: any free port)', port, 4873)
    .addOption(new Option('--method <name>', 'map projection').choices(['tsne', 'umap']).default('tsne'))
    .option('--seed <n>', 'projection seed (same seed, same map)', seedValue, 42)
    .option('--json', 'print {"url", "pieces", ...} as JSON once listening')
    .addHelpText(
      'after',
      '\nExample:\n  motif serve --store runs/demo/store        # then open http://127.0.0.1:4873/\n',
    )
    .action(async (opts: ServeOptions) => {
      const { createExplorer } = await import('../server/explorer.js');
      let explorer;
      try {
        explorer = await createExplorer({
          store: opts.store,
          model: opts.model,
          method: opts.method,
          seed: opts.seed,
          onNote: (m) => ctx.io.err(`${m}\n`),
        });
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      let address: string;
      try {
        address = await explorer.app.listen({ host: opts.host, port: opts.port });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new UsageError(
          e.code === 'EADDRINUSE'
            ? `port ${opts.port} is in use; pass another --port (or 0 for any free one)`
            : `cannot listen on ${opts.host}:${opts.port} (${e.message})`,
        );
      }
      const url = `${address.replace('://[::1]', '://localhost')}/`;
      if (opts.json)
        printJson(ctx.io, { url, pieces: explorer.pieces, embed: explorer.canEmbed, generate: explorer.canGenerate });
      else ctx.io.out(`motif explorer: ${explorer.pieces} pieces of ${opts.store} at ${url}  (Ctrl-C stops it)\n`);
      // Listening keeps the process alive; Ctrl-C closes the server so open requests finish.
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void explorer.app.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
