// The page side of the worker: the Recommender's methods, each an async call into a
// Web Worker (worker.mjs) that owns the model, so loading and ranking never block the
// page. Errors thrown in the worker are rethrown here with the same message.
import { bundleBase } from './bundle-fetch.mjs';
import { nodeBuiltin } from './node-builtin.mjs';

const isNode = typeof process !== 'undefined' && process.versions?.node != null && typeof window === 'undefined';

async function spawn(workerUrl) {
  const url = workerUrl ?? new URL('./worker.mjs', import.meta.url);
  if (isNode) {
    const { Worker } = await nodeBuiltin('worker_threads');
    const w = new Worker(url);
    return { post: (m) => w.postMessage(m), listen: (f, fail) => { w.on('message', f); w.on('error', fail); }, end: () => w.terminate() };
  }
  const w = new Worker(url, { type: 'module' });
  return {
    post: (m) => w.postMessage(m),
    listen: (f, fail) => {
      w.addEventListener('message', (e) => f(e.data));
      w.addEventListener('error', (e) => fail(new Error(`reco worker: ${e.message ?? 'failed to start'}`)));
    },
    end: () => w.terminate(),
  };
}

export class RecommenderWorker {
  #port;
  #pending = new Map();
  #next = 1;
  #failed = null;

  constructor(port) {
    this.#port = port;
    port.listen(
      (m) => {
        const p = this.#pending.get(m.id);
        if (!p) return;
        this.#pending.delete(m.id);
        if (m.ok) p.resolve(m.result);
        else {
          const error = m.name === 'TypeError' ? new TypeError(m.message) : m.name === 'RangeError' ? new RangeError(m.message) : new Error(m.message);
          p.reject(error);
        }
      },
      (error) => {
        this.#failed = error;
        for (const p of this.#pending.values()) p.reject(error);
        this.#pending.clear();
      },
    );
  }

  /** Starts a worker and loads a bundle in it (a folder URL, or {manifest, files}). */
  static async load(source, options = {}) {
    const { workerUrl, ...rest } = options;
    const port = await spawn(workerUrl);
    const client = new RecommenderWorker(port);
    // The worker resolves URLs against its own location, so they are made absolute here.
    const src = typeof source === 'string' || source instanceof URL ? bundleBase(source) : source;
    for (const key of ['wasmUrl', 'ortUrl', 'ortWasmPaths']) {
      if (rest[key] != null) rest[key] = new URL(String(rest[key]), globalThis.location?.href ?? import.meta.url).href;
    }
    try {
      await client.#call('load', [src, rest]);
    } catch (e) {
      port.end();
      throw e;
    }
    return client;
  }

  #call(method, args) {
    if (this.#failed) return Promise.reject(this.#failed);
    if (this.#port == null) return Promise.reject(new Error('reco: this recommender has been disposed'));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#port.post({ id, method, args });
    });
  }

  info() { return this.#call('info', []); }
  item(id) { return this.#call('item', [id]); }
  hasItem(id) { return this.#call('hasItem', [id]); }
  items(offset = 0, count = 100) { return this.#call('items', [offset, count]); }
  addEvent(id, strength = 1, timestamp = 0) { return this.#call('addEvent', [id, strength, timestamp]); }
  removeItem(id) { return this.#call('removeItem', [id]); }
  clearHistory() { return this.#call('clearHistory', []); }
  history() { return this.#call('history', []); }
  setHistory(events) { return this.#call('setHistory', [events]); }
  recommend(options = {}) { return this.#call('recommend', [options]); }
  similar(id, options = {}) { return this.#call('similar', [id, options]); }
  explain(id, options = {}) { return this.#call('explain', [id, options]); }
  embed(text) { return this.#call('embed', [text]); }
  search(text, options = {}) { return this.#call('search', [text, options]); }
  addItem(id, info) { return this.#call('addItem', [id, info]); }

  /** Frees the model and stops the worker. */
  async dispose() {
    if (this.#port == null) return;
    try {
      await this.#call('dispose', []);
    } finally {
      this.#port.end();
      this.#port = null;
    }
  }
}
