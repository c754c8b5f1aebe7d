// The recommender on the calling thread: the WebAssembly core (dist/reco.mjs) holding
// one bundle and the user's history, plus ONNX Runtime Web for text. Most calls are
// synchronous and take well under a millisecond; index.mjs runs this in a Web Worker
// by default so even loading never blocks a page.
//
// Options and results use camelCase; the core's JSON (reco/rank_json.h) uses
// snake_case, and the two conversions below are the only difference.
import createRecoModule from '../dist/reco.mjs';
import { fetchBundle } from './bundle-fetch.mjs';
import { nodeBuiltin } from './node-builtin.mjs';

let defaultWasmUrl = null;

/** Where reco.wasm is served from, for bundlers that move it (default: beside reco.mjs). */
export function setWasmUrl(url) {
  defaultWasmUrl = url == null ? null : String(url);
}

const isNode = typeof process !== 'undefined' && process.versions?.node != null && typeof window === 'undefined';

const modules = new Map();

/**
 * The WebAssembly module, instantiated once per wasm URL. `compiled` (a WebAssembly.Module
 * of that URL's file, e.g. compiled by the page and posted to a worker) is instantiated
 * instead of fetching and compiling the file again; if that fails, the file is fetched.
 */
export function loadModule(wasmUrl = defaultWasmUrl, compiled = null) {
  const key = wasmUrl ?? '';
  if (!modules.has(key)) {
    const url = wasmUrl ?? new URL('../dist/reco.wasm', import.meta.url).href;
    const ready = (async () => {
      if (compiled instanceof WebAssembly.Module) {
        try {
          return await instantiateCompiled(compiled);
        } catch {
          // Not this build's module (or not instantiable here): fetch the file instead.
        }
      }
      if (isNode) {
        // The module is built for browsers; under Node it runs given the wasm bytes.
        const { readFile } = await nodeBuiltin('fs/promises');
        const wasmBinary = await readFile(url.startsWith('file:') ? new URL(url) : url);
        return createRecoModule({ wasmBinary });
      }
      return createRecoModule({ locateFile: (file) => (file.endsWith('.wasm') ? url : file) });
    })();
    ready.catch(() => modules.delete(key));
    modules.set(key, ready);
  }
  return modules.get(key);
}

// Emscripten's glue with an already compiled module (its instantiateWasm hook); a failed
// instantiation rejects instead of leaving the glue waiting.
function instantiateCompiled(compiled) {
  let fail;
  const failed = new Promise((_, reject) => { fail = reject; });
  const ready = createRecoModule({
    instantiateWasm(imports, receive) {
      WebAssembly.instantiate(compiled, imports).then((instance) => receive(instance, compiled), fail);
      return {};
    },
  });
  return Promise.race([ready, failed]);
}

const requestKeys = {
  history: 'history', query: 'query', queryEmbedding: 'query_embedding', k: 'k', excludeHistory: 'exclude_history',
  allow: 'allow', deny: 'deny', tags: 'tags', diversity: 'diversity', now: 'now', explain: 'explain', signals: 'signals',
};

/** camelCase options -> the core's request JSON text. Unknown keys pass through (the core names them). */
export function requestJson(options, what = 'options') {
  if (options == null) return '{}';
  if (typeof options !== 'object' || Array.isArray(options)) throw new TypeError(`${what}: expected an object`);
  const out = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    let v = value;
    if (key === 'queryEmbedding' && ArrayBuffer.isView(v)) v = Array.from(v);
    if (typeof v === 'number' && !Number.isFinite(v)) throw new RangeError(`${what}.${key}: must be a finite number, got ${v}`);
    out[requestKeys[key] ?? key] = v;
  }
  return JSON.stringify(out);
}

function convertItem(r) {
  const out = { id: r.id, title: r.title, score: r.score, cf: r.cf, content: r.content };
  out.because = r.because.map((b) => ({ id: b.id, title: b.title, score: b.score }));
  out.sharedTags = r.shared_tags;
  return out;
}

/** The core's result JSON -> {items, source, cfWeight, candidates}. */
export function convertResult(r) {
  return { items: r.items.map(convertItem), source: r.source, cfWeight: r.cf_weight, candidates: r.candidates };
}

function check(value, test, what) {
  if (!test(value)) throw new TypeError(what);
  return value;
}

export class Recommender {
  #engine;
  #files;
  #manifest;
  #encoder = null;
  #ortWasmPaths;
  #ortUrl;
  // Files of the bundle not given to load (a synced bundle's `deferred`), and how to get them.
  #deferred;
  #deferredFiles;

  constructor(module, engine, manifest, files, options = {}) {
    this.#ortWasmPaths = options.ortWasmPaths;
    this.#ortUrl = options.ortUrl;
    this.#engine = engine;
    this.#manifest = manifest;
    this.#files = files;
    this.#deferred = new Set(options.deferred ?? []);
    this.#deferredFiles = options.deferredFiles ?? null;
  }

  /**
   * Loads a bundle: a folder URL (fetched and verified), or {manifest, files} as
   * fetchBundle returns.
   */
  static async load(source, options = {}) {
    const module = await loadModule(options.wasmUrl ?? defaultWasmUrl);
    const bundle = typeof source === 'string' || source instanceof URL ? await fetchBundle(source, options) : source;
    if (bundle == null || typeof bundle.files !== 'object') throw new TypeError('load: expected a bundle URL or {manifest, files}');
    // fetchBundle has checked every section's SHA-256 with WebCrypto; the core then
    // skips its own (slower) hashing of the same bytes. Other sources are hashed there.
    // Files left out (syncBundle's `defer`: the encoder, and the HNSW indexes when the
    // core scores every item) are asked for when first needed: options.deferredFiles
    // (the worker's, from the page) or the synced bundle's own readDeferred().
    const deferred = Array.isArray(bundle.deferred) ? bundle.deferred : [];
    const deferredFiles = options.deferredFiles ?? (typeof bundle.readDeferred === 'function' ? () => bundle.readDeferred() : null);
    const engine = module.Engine.load(bundle.files, bundle.verified === true);
    const manifest = bundle.manifest ?? JSON.parse(new TextDecoder().decode(bundle.files['manifest.json']));
    return new Recommender(module, engine, manifest, bundle.files, { ...options, deferred, deferredFiles });
  }

  // Makes sure the files of these sections are here (and the indexes' in the core),
  // fetching the deferred ones once. Files checked by whoever supplies them.
  async #need(sections) {
    const files = sections.map((name) => this.#manifest.sections?.[name]?.file).filter((f) => f != null);
    if (!files.some((f) => this.#deferred.has(f))) return;
    if (this.#deferredFiles == null) throw new Error(`reco: bundle files ${files.join(', ')} were not loaded`);
    const got = await this.#deferredFiles();
    const forCore = {};
    for (const [file, bytes] of Object.entries(got)) {
      if (!this.#deferred.has(file)) continue;
      this.#deferred.delete(file);
      this.#files[file] = bytes;
      if (file === this.#manifest.sections.hnsw_factors?.file || file === this.#manifest.sections.hnsw_content?.file) forCore[file] = bytes;
    }
    if (Object.keys(forCore).length > 0) this.#live().addFiles(forCore, true);
    const missing = files.filter((f) => this.#deferred.has(f));
    if (missing.length > 0) throw new Error(`reco: bundle files ${missing.join(', ')} were not supplied`);
  }

  #live() {
    if (this.#engine == null) throw new Error('reco: this recommender has been disposed');
    return this.#engine;
  }

  /** Model version, sizes, data set, metrics and ranker parameters of the bundle. */
  info() {
    const i = JSON.parse(this.#live().info());
    return {
      modelVersion: i.model_version, items: i.items, factorDim: i.factor_dim, contentDim: i.content_dim,
      matrixDtype: i.matrix_dtype, hasEncoder: i.has_tokenizer, dataset: i.dataset, metrics: i.metrics,
      ranker: i.ranker, historyLength: i.history_length,
    };
  }

  item(id) { return JSON.parse(this.#live().item(String(id))); }
  hasItem(id) { return this.#live().findItem(String(id)) >= 0; }
  items(offset = 0, count = 100) { return JSON.parse(this.#live().items(offset, count)); }

  /** Records an interaction: strength 1 for a bare event (e.g. a rating for explicit data). */
  addEvent(id, strength = 1, timestamp = 0) {
    this.#live().addEvent(String(id), strength, timestamp);
  }
  removeItem(id) { return this.#live().removeItem(String(id)); }
  clearHistory() { this.#live().clearHistory(); }
  history() { return JSON.parse(this.#live().history()); }
  /** Replaces the history: [{item, strength?, timestamp?}] or item ids. */
  setHistory(events) {
    check(events, Array.isArray, 'setHistory: expected an array of events');
    this.#live().setHistory(JSON.stringify(events));
  }

  /** The top items for the history (or options.history), with explanations. */
  recommend(options = {}) { return convertResult(JSON.parse(this.#live().recommend(requestJson(options)))); }
  /** Items for someone who liked just `id`. */
  similar(id, options = {}) { return convertResult(JSON.parse(this.#live().similar(String(id), requestJson(options)))); }
  /** Why `id` would be recommended for the history. */
  explain(id, options = {}) { return convertItem(JSON.parse(this.#live().explain(String(id), requestJson(options)))); }

  async #encoderSession() {
    if (this.#encoder == null) {
      const entry = this.#manifest.sections?.encoder;
      if (entry == null) throw new Error('reco: this bundle has no text encoder');
      await this.#need(['encoder']);
      const { TextEncoderSession, setOrtWasmPaths, loadOrt } = await import('./encoder.mjs');
      if (this.#ortWasmPaths != null) setOrtWasmPaths(this.#ortWasmPaths);
      await loadOrt(this.#ortUrl);
      this.#encoder = TextEncoderSession.create(this.#files[entry.file]);
      this.#encoder.catch(() => { this.#encoder = null; });
    }
    return this.#encoder;
  }

  /** The content embedding of a text (the bundle's encoder, through ONNX Runtime Web). */
  async embed(text) {
    check(text, (t) => typeof t === 'string', 'embed: text must be a string');
    const tokens = JSON.parse(this.#live().tokenize(text));
    const [embedding] = await (await this.#encoderSession()).embed([tokens]);
    return embedding;
  }

  /** Items matching a text query, blended with the history's taste (cfWeight <= 0.3). */
  async search(text, options = {}) {
    const embedding = await this.embed(text);
    return this.recommend({ ...options, queryEmbedding: embedding });
  }

  /** Adds an item known only by its metadata ({title, genres, tags, text}); it can be recommended at once. */
  async addItem(id, info) {
    const infoJson = JSON.stringify(check(info, (i) => i != null && typeof i === 'object', 'addItem: info must be an object'));
    const tokens = JSON.parse(this.#live().tokenizeItem(infoJson));
    const [embedding] = await (await this.#encoderSession()).embed([tokens]);
    await this.#need(['hnsw_factors', 'hnsw_content']);  // the core adds the item to both indexes
    return this.#live().addItem(String(id), infoJson, embedding);
  }

  /** Frees the model's memory; the object cannot be used afterwards. */
  dispose() {
    if (this.#engine != null) {
      this.#engine.delete();
      this.#engine = null;
      this.#files = null;
    }
  }
}
