// The Web Worker side of RecommenderWorker (worker-client.mjs): owns one Recommender
// and answers {id, method, args} messages with {id, ok, result | message}. Also runs
// as a Node worker_threads worker, so the same protocol is tested under Node.
import { Recommender, loadModule } from './engine.mjs';
import { nodeBuiltin } from './node-builtin.mjs';
import { recommenderMethods } from './methods.mjs';
import { verifySection } from './bundle-fetch.mjs';
// engine.mjs's own import, named here too so that the worker fetches it at the same time
// as engine.mjs rather than one import level later.
import '../dist/reco.mjs';

const port = typeof self !== 'undefined' && typeof self.postMessage === 'function'
  ? { post: (m) => self.postMessage(m), listen: (f) => self.addEventListener('message', (e) => f(e.data)) }
  : await (async () => {
    const { parentPort } = await nodeBuiltin('worker_threads');
    return { post: (m) => parentPort.postMessage(m), listen: (f) => parentPort.on('message', f) };
  })();

// performance.mark()s of the start (a worker's marks cost nothing on the page), for
// profiles and web/bench/widget.bench.mjs.
const mark = (name) => globalThis.performance?.mark?.(`reco:${name}`);
mark('worker-ready');

const methods = new Set(recommenderMethods);

let recommender = null;
// Files given ahead of 'load' ('stage'): file name -> Promise of the bytes once checked.
const staged = new Map();

// The bundle to load, with its staged files in place once each has passed its check.
async function withStaged(source) {
  if (!Array.isArray(source?.staged) || source.staged.length === 0) return source;
  try {
    const files = { ...source.files };
    for (const file of source.staged) {
      if (!staged.has(file)) throw new Error(`bundle file '${file}': not staged before 'load'`);
      files[file] = await staged.get(file);
    }
    return { ...source, files, staged: [] };
  } finally {
    staged.clear();
  }
}

// 'stage': the check starts on arrival, even while an earlier request (e.g. 'prepare')
// is still running; 'load', posted after, waits for its result.
function stage([name, entry, bytes]) {
  const checked = verifySection(name, entry, bytes).then(() => bytes);
  checked.catch(() => {});
  staged.set(entry.file, checked);
}

// Files the page left out of 'load' (source.deferred), asked for with {need: 'deferred'}
// when the recommender first needs one and answered by an 'attach' message.
let loadNumber = 0;
let deferred = null;
let deferredAnswer = null;

function deferredFiles() {
  if (deferred == null) {
    const asked = new Promise((resolve, reject) => { deferredAnswer = { resolve, reject }; });
    asked.catch(() => { if (deferred === asked) deferred = null; });  // asked again on the next need
    deferred = asked;
    port.post({ need: 'deferred', load: loadNumber });
  }
  return deferred;
}

function attach([load, files, problem]) {
  if (load !== loadNumber || deferredAnswer == null) return;
  const answer = deferredAnswer;
  deferredAnswer = null;
  if (files) answer.resolve(files);
  else answer.reject(new Error(problem));
}

async function handle({ method, args }) {
  if (method === 'prepare') {
    mark('prepare');
    // `module`: the page compiled reco.wasm and posted the WebAssembly.Module.
    await loadModule(args[0]?.wasmUrl ?? undefined, args[0]?.module ?? null);
    mark('module-ready');
    return null;
  }
  if (method === 'load') {
    mark('load');
    const [source, options = {}] = args;
    loadNumber = source?.load ?? loadNumber + 1;
    deferredAnswer?.reject(new Error('reco: another bundle was loaded'));
    deferred = null;
    deferredAnswer = null;
    const next = await Recommender.load(await withStaged(source), { ...options, deferredFiles });
    mark('engine-loaded');
    recommender?.dispose();
    recommender = next;
    return recommender.info();
  }
  if (method === 'dispose') {
    recommender?.dispose();
    recommender = null;
    return null;
  }
  if (!methods.has(method)) throw new Error(`reco worker: unknown method '${method}'`);
  if (recommender == null) throw new Error('reco worker: no bundle loaded');
  return recommender[method](...args);
}

// Requests are answered in arrival order: each waits for the one before, so a history
// change is always seen by the recommendation asked for after it. ('stage' is only
// recorded, at once; the 'load' it is for waits for its check.)
let queue = Promise.resolve();
port.listen((message) => {
  if (message.method === 'attach') {
    attach(message.args);
    return;
  }
  if (message.method === 'stage') {
    try {
      stage(message.args);
      port.post({ id: message.id, ok: true, result: null });
    } catch (e) {
      port.post({ id: message.id, ok: false, name: e?.name ?? 'Error', message: e?.message ?? String(e) });
    }
    return;
  }
  queue = queue.then(async () => {
    try {
      port.post({ id: message.id, ok: true, result: await handle(message) });
    } catch (e) {
      port.post({ id: message.id, ok: false, name: e?.name ?? 'Error', message: e?.message ?? String(e) });
    }
  });
});
