// The Web Worker side of RecommenderWorker (worker-client.mjs): owns one Recommender
// and answers {id, method, args} messages with {id, ok, result | message}. Also runs
// as a Node worker_threads worker, so the same protocol is tested under Node.
import { Recommender, loadModule } from './engine.mjs';
import { nodeBuiltin } from './node-builtin.mjs';
import { recommenderMethods } from './methods.mjs';

const port = typeof self !== 'undefined' && typeof self.postMessage === 'function'
  ? { post: (m) => self.postMessage(m), listen: (f) => self.addEventListener('message', (e) => f(e.data)) }
  : await (async () => {
    const { parentPort } = await nodeBuiltin('worker_threads');
    return { post: (m) => parentPort.postMessage(m), listen: (f) => parentPort.on('message', f) };
  })();

const methods = new Set(recommenderMethods);

let recommender = null;

async function handle({ method, args }) {
  if (method === 'prepare') {
    await loadModule(args[0]?.wasmUrl ?? undefined);
    return null;
  }
  if (method === 'load') {
    const next = await Recommender.load(...args);
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
// change is always seen by the recommendation asked for after it.
let queue = Promise.resolve();
port.listen((message) => {
  queue = queue.then(async () => {
    try {
      port.post({ id: message.id, ok: true, result: await handle(message) });
    } catch (e) {
      port.post({ id: message.id, ok: false, name: e?.name ?? 'Error', message: e?.message ?? String(e) });
    }
  });
});
