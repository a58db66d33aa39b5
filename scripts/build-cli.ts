/**
 * Bundles incidentctl into one file at build time (`npm run build`): one file to read and compile
 * instead of hundreds of modules to resolve, so a command starts sooner (`npm run bench:cli` measures
 * it beside the compiled modules). bin/incidentctl.js runs it when present.
 */
import path from 'node:path';
import { build } from 'esbuild';

async function main(root: string) {
  const started = Date.now();
  const outfile = path.join(root, 'dist/incidentctl.cjs');
  const result = await build({
    entryPoints: [path.join(root, 'client/cli/bin.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    minifyWhitespace: true,
    metafile: true,
    logLevel: 'warning',
  });
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  console.log(`incidentctl bundle: ${outfile} (${Math.round(bytes / 1024)} KiB, ${Date.now() - started} ms)`);
}

main(path.resolve(__dirname, '../..')).catch((error: Error) => {
  console.error(error.stack);
  process.exit(1);
});
