// Assembles the demo site: a folder any static server (or `reco serve --web`) can serve.
//
//   node web/scripts/build-site.mjs [--out build/site]
//
//   index.html, report.html, embed.html, demo.mjs, report.mjs, demo.css   (web/demo/)
//   reco-sw.js             the offline service worker (web/src/offline-sw.js)
//   reco-precache.json     the files it stores at install
//   reco/src/*.mjs         the @reco/web package; widget.mjs and worker.mjs are bundled
//                          (esbuild) with the modules they import, so that the page and the
//                          widget's worker each fetch one script instead of six
//   reco/dist/reco.mjs, reco/dist/reco.wasm   the WebAssembly core (scripts/build.sh --wasm)
//   reco/ort/...           ONNX Runtime Web's CPU build, for text search
//
// Model bundles are served beside it under bundles/ (`reco serve --bundles DIR`, or a
// copy for another server).
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = resolve(outIndex >= 0 ? args[outIndex + 1] ?? '' : join(web, '..', 'build', 'site'));

const ortDist = join(web, 'node_modules', 'onnxruntime-web', 'dist');
const copies = [
  ...readdirSync(join(web, 'demo')).map((f) => [join(web, 'demo', f), f]),
  [join(web, 'src', 'offline-sw.js'), 'reco-sw.js'],
  ...readdirSync(join(web, 'src')).filter((f) => f.endsWith('.mjs')).map((f) => [join(web, 'src', f), `reco/src/${f}`]),
  [join(web, 'dist', 'reco.mjs'), 'reco/dist/reco.mjs'],
  [join(web, 'dist', 'reco.wasm'), 'reco/dist/reco.wasm'],
  ...['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'].map((f) => [join(ortDist, f), `reco/ort/${f}`]),
];

const missing = copies.filter(([from]) => !existsSync(from)).map(([from]) => from);
if (missing.length > 0) {
  console.error(`build-site: missing ${missing.join(', ')}\n(run bash scripts/setup.sh and bash scripts/build.sh --wasm first)`);
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
for (const [from, to] of copies) {
  mkdirSync(dirname(join(out, to)), { recursive: true });
  copyFileSync(from, join(out, to));
}
// The two entry points, each with its imports in one file (same code, same place, so
// URLs relative to import.meta.url still resolve). The text encoder stays a separate file
// loaded on first use, as in the package.
for (const entry of ['widget.mjs', 'worker.mjs']) {
  esbuild.buildSync({
    entryPoints: [join(web, 'src', entry)],
    outfile: join(out, 'reco', 'src', entry),
    allowOverwrite: true,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    external: ['./encoder.mjs'],
    logLevel: 'error',
  });
}
// The service worker stores these at install: everything but itself and its list.
const precache = ['./', ...copies.map(([, to]) => to).filter((to) => to !== 'reco-sw.js')];
writeFileSync(join(out, 'reco-precache.json'), `${JSON.stringify(precache, null, 1)}\n`);
console.log(`build-site: ${copies.length} files in ${out}`);
