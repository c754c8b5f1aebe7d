// The page side of the worker: the Recommender's methods, each an async call into a
// Web Worker (worker.mjs) that owns the model, so loading and ranking never block the
// page. Errors thrown in the worker are rethrown here with the same message.
import { bundleBase } from './bundle-fetch.mjs';
import { nodeBuiltin } from './node-builtin.mjs';
import { recommenderMethods } from './methods.mjs';

const isNode = typeof process !== 'undefined' && process.versions?.node != null && typeof window === 'undefined';

// reco.wasm compiled on this page, once per URL, and posted to each worker. Besides
// starting the compilation before the worker has even loaded its scripts, this keeps the
// compiled module referenced by the page's thread: when the page is reloaded, the
// browser can find that module (with the optimised code its worker produced) and reuse
// it instead of starting again from baseline code. A failure here only means each
// worker fetches and compiles the file itself, as without this.
const compiledModules = new Map();

function compileOnPage(wasmUrl) {
  if (isNode || typeof WebAssembly?.compileStreaming !== 'function' || typeof fetch !== 'function') return Promise.resolve(null);
  const url = wasmUrl ?? new URL('../dist/reco.wasm', import.meta.url).href;
  if (!compiledModules.has(url)) {
    const compiled = (async () => {
      const response = await fetch(url, { credentials: 'same-origin' });
      if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
      // compileStreaming needs the application/wasm type; other servers get compile().
      if (response.headers.get('Content-Type') === 'application/wasm') return WebAssembly.compileStreaming(response);
      return WebAssembly.compile(await response.arrayBuffer());
    })();
    compiled.catch(() => compiledModules.delete(url));
    compiledModules.set(url, compiled);
  }
  return compiledModules.get(url).catch(() => null);
}

async function spawn(workerUrl) {
  const url = workerUrl ?? new URL('./worker.mjs', import.meta.url);
  if (isNode) {
    const { Worker } = await nodeBuiltin('worker_threads');
    const w = new Worker(url);
    return { post: (m, transfer) => w.postMessage(m, transfer), listen: (f, fail) => { w.on('message', f); w.on('error', fail); }, end: () => w.terminate() };
  }
  const w = new Worker(url, { type: 'module' });
  return {
    post: (m, transfer) => w.postMessage(m, transfer),
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
  #options = {};
  #prepared = Promise.resolve();
  // The bundle being loaded or loaded, when it has deferred files, and which load it is.
  #deferredSource = null;
  #loads = 0;

  constructor(port) {
    this.#port = port;
    port.listen(
      (m) => {
        if (m.need === 'deferred') {
          this.#sendDeferred(m.load);
          return;
        }
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

  /**
   * Starts a worker and has it compile the WebAssembly module at once, so that this
   * overlaps with whatever the caller does before loadBundle (e.g. reading a stored bundle).
   */
  static async start(options = {}) {
    const { workerUrl, ...rest } = options;
    // The worker resolves URLs against its own location, so they are made absolute here.
    for (const key of ['wasmUrl', 'ortUrl', 'ortWasmPaths']) {
      if (rest[key] != null) rest[key] = new URL(String(rest[key]), globalThis.location?.href ?? import.meta.url).href;
    }
    const compiled = compileOnPage(rest.wasmUrl);
    const port = await spawn(workerUrl);
    const client = new RecommenderWorker(port);
    client.#options = rest;
    // 'prepare' is posted once the page's compilation is settled (with the module, or
    // without it: the worker then compiles the file itself); loadBundle waits for that so
    // the worker sees 'prepare' first. A failure shows again, with its message, when
    // loadBundle needs the module.
    client.#prepared = compiled.then((module) => {
      client.#call('prepare', [module ? { ...rest, module } : rest]).catch(() => {});
    });
    return client;
  }

  /**
   * Hands one section's bytes to the worker ahead of loadBundle, unchecked: the worker
   * starts checking the size and SHA-256 against `entry` at once and loadBundle fails,
   * naming the section, if they do not match. The bytes are moved, not copied. (This is
   * syncBundle's `stage` receiver: the worker hashes while the page reads more files.)
   */
  stage(name, entry, bytes) {
    return this.#call('stage', [name, { file: entry.file, bytes: entry.bytes, sha256: entry.sha256 }, bytes], [bytes.buffer]);
  }

  /**
   * Loads a bundle in the worker (a folder URL, or {manifest, files}, where `staged`
   * lists files given earlier with stage()); returns its info. With {transfer: true}
   * the files' buffers are moved to the worker instead of copied (the caller's arrays
   * are then empty).
   */
  async loadBundle(source, { transfer = false } = {}) {
    const src = typeof source === 'string' || source instanceof URL ? bundleBase(source) : source;
    const buffers = transfer && src.files ? [...new Set(Object.values(src.files).map((b) => b.buffer))] : [];
    // A synced bundle's deferred files (syncBundle's `defer`) are read when the worker
    // first asks for them (#sendDeferred).
    const load = ++this.#loads;
    this.#deferredSource = src.deferred?.length > 0 && typeof src.readDeferred === 'function' ? src : null;
    await this.#prepared;
    // (Functions cannot be posted: a plain source's own readDeferred stays here.)
    const message = typeof src === 'string' ? src : { ...src, load, readDeferred: undefined };
    return this.#call('load', [message, this.#options], buffers);
  }

  // The worker needs the deferred files of load `load`: read (and checked) here, moved to it.
  #sendDeferred(load) {
    const source = this.#deferredSource;
    const send = (args, transfer = []) => {
      if (this.#port != null && !this.#failed) this.#port.post({ id: 0, method: 'attach', args }, transfer);
    };
    if (load !== this.#loads || source == null) {
      send([load, null, 'reco: the bundle has no deferred files here']);
      return;
    }
    source.readDeferred().then(
      (files) => send([load, files], [...new Set(Object.values(files).map((b) => b.buffer))]),
      (e) => send([load, null, e?.message ?? String(e)]),
    );
  }

  /** Starts a worker and loads a bundle in it (a folder URL, or {manifest, files}). */
  static async load(source, options = {}) {
    const client = await RecommenderWorker.start(options);
    try {
      await client.loadBundle(source);
    } catch (e) {
      client.#port.end();
      client.#port = null;
      throw e;
    }
    return client;
  }

  #call(method, args, transfer = []) {
    if (this.#failed) return Promise.reject(this.#failed);
    if (this.#port == null) return Promise.reject(new Error('reco: this recommender has been disposed'));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#port.post({ id, method, args }, transfer);
    });
  }

  /** Calls `method` of the Recommender in the worker (the methods below all do). */
  call(method, args) {
    return this.#call(method, args);
  }

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

// Each Recommender method, forwarded as is (defaults are applied in the worker).
for (const name of recommenderMethods) {
  RecommenderWorker.prototype[name] = function forward(...args) {
    return this.call(name, args);
  };
}
