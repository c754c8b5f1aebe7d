// <reco-widget>: recommendations ranked on the user's device, for any page.
//
//   <script type="module" src="/reco/src/widget.mjs"></script>
//   <reco-widget bundle="/bundles/ml-latest-small/" count="8" layout="grid"></reco-widget>
//
// The widget keeps the bundle in the Cache API (bundle-sync.mjs), the user's history in
// IndexedDB (history-store.mjs), and ranks in a Web Worker (createRecommender). The
// history never leaves the device: every request it makes is a GET of a bundle file.
//
// Attributes: bundle (folder URL), count (1..100, default 6), layout (grid | list | row),
// mode (hybrid | cf | content), diversity (0..1), history-key (namespace of the stored
// history; default the bundle URL), item-href (link template, "{id}" is replaced),
// heading, and for self-hosting: wasm-url, worker-url, ort-url, ort-wasm-paths.
// Events (bubbling, composed): reco-ready, reco-render, reco-open (cancelable), reco-like,
// reco-history, reco-update, reco-error.
import { RecommenderWorker } from './worker-client.mjs';
import { bundleBase, deferrableSections } from './bundle-fetch.mjs';
import { syncBundle } from './bundle-sync.mjs';
import { HistoryStore, checkRecord, kindStrength } from './history-store.mjs';
import { widgetStyle } from './widget-style.mjs';

// performance.mark()s ('reco:…') of the start, for profiles and web/bench/widget.bench.mjs,
// when the page sets globalThis.recoMarks = true (off by default: Chromium reports each
// mark of a page to its page-load metrics, which costs the page's thread time).
const mark = (name) => globalThis.recoMarks === true && globalThis.performance?.mark?.(`reco:${name}`);
mark('widget-module');

const verbs = { like: 'liked', watch: 'watched', view: 'viewed' };
const modes = new Set(['hybrid', 'cf', 'content']);
const layouts = new Set(['grid', 'list', 'row']);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'part' || key.startsWith('data-') || key.startsWith('aria-')) node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children.filter((c) => c != null));
  return node;
}

function clampInt(text, lo, hi, fallback) {
  const n = Number.parseInt(text ?? '', 10);
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : fallback;
}

/** "Because you liked A and watched B": the top contributions, in the user's own words. */
export function reasonText(item, kinds, source) {
  if (source === 'popular') return 'Popular with other viewers';
  const [first, second] = item.because.map((b) => ({ verb: verbs[kinds.get(b.id)] ?? 'chose', title: b.title }));
  if (first == null) return 'Close in content to what you chose';
  if (second == null) return `Because you ${first.verb} ${first.title}`;
  return `Because you ${first.verb} ${first.title} and ${second.verb === first.verb ? '' : `${second.verb} `}${second.title}`;
}

export class RecoWidget extends HTMLElement {
  static observedAttributes = ['bundle', 'count', 'layout', 'mode', 'diversity', 'heading', 'item-href'];

  #root;
  #parts = {};
  #store = null;
  #recommender = null;
  #history = [];
  #manifest = null;
  #started = null;
  #renderSeq = 0;
  #lastResult = null;
  #sync = null;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    const style = el('style', { textContent: widgetStyle });
    const heading = el('h2', { part: 'heading' }, el('slot', { name: 'heading', textContent: this.getAttribute('heading') ?? 'Recommended for you' }));
    const version = el('span', { className: 'version', part: 'version' });
    const list = el('ol', { part: 'list', 'aria-live': 'polite' });
    const status = el('p', { className: 'status', part: 'status', role: 'status', textContent: 'Loading recommendations…' });
    const historyList = el('ul', { className: 'history-list', part: 'history-list' });
    const summary = el('summary', { part: 'history-summary' });
    const fileInput = el('input', { type: 'file', accept: 'application/json,.json', hidden: true });
    const actions = el('div', { className: 'actions' },
      el('button', { className: 'action', part: 'button', type: 'button', textContent: 'Export', onclick: () => this.#download() }),
      el('button', { className: 'action', part: 'button', type: 'button', textContent: 'Import', onclick: () => fileInput.click() }),
      el('button', { className: 'action', part: 'button', type: 'button', textContent: 'Clear history', onclick: () => this.#userAction(() => this.clearHistory()) }),
      fileInput);
    fileInput.addEventListener('change', () => {
      const [file] = fileInput.files;
      fileInput.value = '';
      if (file) this.#userAction(async () => this.#say(`Imported ${await this.importHistory(await file.text())} events`));
    });
    const details = el('details', { part: 'history' }, summary, historyList, actions,
      el('p', { className: 'private', textContent: 'Your history is kept in this browser only; it is never sent anywhere.' }));
    this.#parts = { heading, version, list, status, historyList, summary, details };
    this.#root.append(style, el('header', { part: 'header' }, heading, version), status, list, details);
  }

  connectedCallback() {
    if (this.#started == null && this.hasAttribute('bundle')) this.#started = this.#start();
  }

  disconnectedCallback() {
    // Moving the element within the page reconnects it at once; only a real removal frees the model.
    queueMicrotask(() => {
      if (!this.isConnected) this.#stop();
    });
  }

  attributeChangedCallback(name, old, value) {
    if (old === value) return;
    if (name === 'heading') this.#parts.heading.firstChild.textContent = value ?? 'Recommended for you';
    else if (name === 'bundle') {
      this.#stop();
      if (this.isConnected && value) this.#started = this.#start();
    } else if (name !== 'layout' && this.#recommender) this.refresh();
  }

  /** Resolves once the first recommendations are shown (rejects if the model cannot load). */
  get ready() {
    return this.#started ?? Promise.reject(new Error("reco-widget: no 'bundle' attribute"));
  }

  /** The async recommender (see @reco/web); changes when a new model version is switched to. */
  get recommender() { return this.#recommender; }
  get modelVersion() { return this.#manifest?.model_version ?? null; }
  get manifest() { return this.#manifest; }
  /** How the model was last synced: {status, modelVersion, previousVersion, problem} (see bundle-sync.mjs). */
  get syncStatus() { return this.#sync; }
  /** The last result shown: {items, source, cfWeight, candidates}. */
  get lastResult() { return this.#lastResult; }

  get count() { return clampInt(this.getAttribute('count'), 1, 100, 6); }
  get mode() {
    const m = this.getAttribute('mode');
    return modes.has(m) ? m : 'hybrid';
  }

  async #start() {
    const t0 = performance.now();
    mark('start');
    const bundle = this.getAttribute('bundle');
    // The worker starts (and the page compiles the WebAssembly module for it) while the
    // history and the stored bundle are read; each stored file goes to the worker as soon
    // as it is read, and the worker checks its SHA-256 while the page reads the next.
    const worker = RecommenderWorker.start(this.#options());
    const staging = [];
    // (Only the posting is awaited: a file that fails its check fails the load.)
    const stage = (name, entry, bytes) => staging.push(worker.then((w) => { w.stage(name, entry, bytes).catch(() => {}); }));
    try {
      const [store, synced] = await Promise.all([
        HistoryStore.open(this.getAttribute('history-key') ?? bundleBase(bundle)).then((s) => { mark('history-open'); return s; }),
        // The sections the first ranking does not read (the encoder; the indexes of a
        // catalog the core scores exactly) stay stored until the worker asks for them.
        syncBundle(bundle, { stage, defer: deferrableSections }),
      ]);
      this.#store = store;
      this.#reportSync(synced);
      await Promise.all(staging);
      try {
        await this.#switchTo(synced, await worker);
      } catch (e) {
        if (synced.staged.length === 0) throw e;
        // A stored file failed its check in the worker: sync again with every check on
        // the page, which drops the damaged copy and downloads it.
        console.warn(`reco-widget: ${e.message}; reading the model again`);
        const again = await syncBundle(bundle);
        this.#reportSync(again);
        await this.#switchTo(again);
      }
      this.#emit('reco-ready', { modelVersion: this.modelVersion, status: this.#sync.status, problem: this.#sync.problem, ms: performance.now() - t0 });
    } catch (e) {
      worker.then((w) => (w === this.#recommender ? null : w.dispose())).catch(() => {});
      this.#fail(e);
      throw e;
    }
  }

  #stop() {
    const old = this.#recommender;
    this.#recommender = null;
    this.#started = null;
    old?.dispose().catch(() => {});
  }

  #reportSync(synced) {
    const { status, modelVersion, previousVersion, problem } = synced;
    this.#sync = { status, modelVersion, previousVersion, problem };
    if (synced.status === 'kept') {
      console.error(`reco-widget: the new model could not be used (${synced.problem}); still using version ${synced.modelVersion}`);
      this.#emit('reco-error', { message: synced.problem, modelVersion: synced.modelVersion });
    } else if (synced.status === 'offline') {
      console.info(`reco-widget: offline; using the stored model version ${synced.modelVersion}`);
    }
  }

  #options() {
    const options = {};
    for (const [attr, key] of [['wasm-url', 'wasmUrl'], ['worker-url', 'workerUrl'], ['ort-url', 'ortUrl'], ['ort-wasm-paths', 'ortWasmPaths']]) {
      if (this.hasAttribute(attr)) options[key] = new URL(this.getAttribute(attr), document.baseURI).href;
    }
    return options;
  }

  // Loads `synced` in a new worker, gives it the history and only then makes it the
  // one the widget uses, so a page never sees a half-loaded model.
  async #switchTo(synced, worker = null) {
    const next = worker ?? (await RecommenderWorker.start(this.#options()));
    try {
      // The files are moved to the worker, not copied (the page keeps no copy).
      await next.loadBundle(synced, { transfer: true });
      mark('engine-loaded');
    } catch (e) {
      next.dispose().catch(() => {});
      throw e;
    }
    const history = await this.#store.all();
    await this.#applyHistory(next, history);
    mark('history-applied');
    const old = this.#recommender;
    this.#recommender = next;
    this.#manifest = synced.manifest;
    this.#history = history;
    this.#parts.version.textContent = `model ${this.modelVersion}`;
    old?.dispose().catch(() => {});
    await this.refresh();
  }

  // The engine gets the stored history minus items this model does not have (they stay
  // stored: a later model may have them again).
  async #applyHistory(recommender, history) {
    const known = await Promise.all(history.map((r) => recommender.hasItem(r.item)));
    await recommender.setHistory(history.filter((_, i) => known[i]).map((r) => ({ item: r.item, strength: r.strength, timestamp: r.timestamp })));
  }

  /** Re-ranks and redraws (after a change of history, count or mode). */
  async refresh() {
    const recommender = this.#recommender;
    if (recommender == null) return null;
    const seq = ++this.#renderSeq;
    const t0 = performance.now();
    const diversity = Number.parseFloat(this.getAttribute('diversity') ?? '0');
    const result = await recommender.recommend({
      k: this.count, explain: 3, signals: this.mode, diversity: Number.isFinite(diversity) ? Math.min(1, Math.max(0, diversity)) : 0,
    });
    if (seq !== this.#renderSeq || recommender !== this.#recommender) return result;
    const first = this.#lastResult == null;
    this.#lastResult = result;
    this.#draw(result);
    if (first) mark('drawn');
    this.#emit('reco-render', { items: result.items, source: result.source, cfWeight: result.cfWeight, mode: this.mode, ms: performance.now() - t0 });
    return result;
  }

  #draw(result) {
    const kinds = new Map(this.#history.map((r) => [r.item, r.kind]));
    const template = this.getAttribute('item-href');
    const cards = result.items.map((item) => {
      const title = template
        ? el('a', { className: 'title', part: 'title', href: template.replaceAll('{id}', encodeURIComponent(item.id)), textContent: item.title })
        : el('button', { className: 'title', part: 'title', type: 'button', textContent: item.title });
      title.addEventListener('click', (event) => {
        const go = this.#emit('reco-open', { id: item.id, title: item.title }, true);
        if (!go) event.preventDefault();
      });
      const like = el('button', { className: 'like', part: 'like', type: 'button', textContent: '♥', title: `Like ${item.title}`, 'aria-label': `Like ${item.title}` });
      like.addEventListener('click', () => this.#userAction(async () => {
        await this.report(item.id, 'like', { title: item.title });
        this.#emit('reco-like', { id: item.id, title: item.title });
      }));
      const tags = item.sharedTags.length > 0
        ? el('ul', { className: 'tags', part: 'tags', 'aria-label': 'Shared with your history' }, ...item.sharedTags.slice(0, 4).map((t) => el('li', { className: 'tag', part: 'tag', textContent: t })))
        : null;
      return el('li', { className: 'card', part: 'card', 'data-id': item.id },
        el('div', { className: 'top' }, title, like),
        el('p', { className: 'reason', part: 'reason', textContent: reasonText(item, kinds, result.source) }),
        tags);
    });
    this.#parts.list.replaceChildren(...cards);
    this.#say(cards.length === 0 ? 'Nothing to recommend yet.' : '');
    this.#drawHistory();
  }

  #drawHistory() {
    const { summary, historyList } = this.#parts;
    summary.textContent = `Your history (${this.#history.length})`;
    historyList.replaceChildren(...[...this.#history].reverse().map((r) => el('li', { part: 'history-item', 'data-id': r.item },
      el('span', { className: 'what', textContent: r.title || r.item }),
      el('span', { className: 'kind', textContent: verbs[r.kind] }),
      el('button', {
        className: 'remove', part: 'button', type: 'button', textContent: '×', title: `Forget ${r.title || r.item}`, 'aria-label': `Forget ${r.title || r.item}`,
        onclick: () => this.#userAction(() => this.forget(r.item)),
      }))));
  }

  async #changed(update) {
    await update;
    this.#history = await this.#store.all();
    if (this.#recommender) await this.#applyHistory(this.#recommender, this.#history);
    this.#emit('reco-history', { length: this.#history.length });
    return this.refresh();
  }

  async #live() {
    if (this.#recommender == null) await this.ready;
  }

  /**
   * Records an interaction the host page saw (kind 'like', 'watch' or 'view') and
   * re-ranks. The record stays on this device.
   */
  async report(id, kind = 'like', { title, timestamp } = {}) {
    await this.#live();
    const known = await this.#recommender.hasItem(String(id));
    const name = title ?? (known ? (await this.#recommender.item(String(id))).title : '');
    const record = checkRecord({ item: String(id), kind, title: name, timestamp: timestamp ?? Math.floor(Date.now() / 1000) }, `report(${JSON.stringify(id)})`);
    await this.#changed(this.#store.add(record));
    return record;
  }

  /** Forgets one item of the history. */
  async forget(id) {
    await this.#live();
    await this.#changed(this.#store.remove(String(id)));
  }

  /** Forgets the whole history (of this widget's history-key). */
  async clearHistory() {
    await this.#live();
    await this.#changed(this.#store.clear());
  }

  /** The stored history, oldest first: [{item, kind, strength, timestamp, title}]. */
  async history() {
    await this.#live();
    return this.#store.all();
  }

  /** The history as a JSON document (format 'reco-history'). */
  async exportHistory() {
    await this.#live();
    return this.#store.export();
  }

  /** Merges an exported history (object or JSON text); returns how many events it had. */
  async importHistory(document) {
    await this.#live();
    let count = 0;
    await this.#changed((async () => { count = await this.#store.import(document); })());
    return count;
  }

  /**
   * Checks the server for a new model version and switches to it when it is complete
   * and intact. Returns the sync status ('updated', 'current', 'offline', 'kept').
   */
  async checkForUpdate() {
    await this.#live();
    const synced = await syncBundle(this.getAttribute('bundle'));
    this.#reportSync(synced);
    if (synced.modelVersion !== this.modelVersion || synced.status === 'updated') {
      const from = this.modelVersion;
      await this.#switchTo(synced);
      this.#emit('reco-update', { from, to: this.modelVersion });
    }
    return synced.status;
  }

  async #download() {
    const doc = await this.exportHistory();
    const url = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 1)], { type: 'application/json' }));
    const a = el('a', { href: url, download: 'reco-history.json' });
    this.#root.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  #userAction(action) {
    action().catch((e) => this.#fail(e));
  }

  #say(text, problem = false) {
    this.#parts.status.textContent = text;
    this.#parts.status.classList.toggle('problem', problem);
  }

  #fail(error) {
    const message = error?.message ?? String(error);
    console.error(`reco-widget: ${message}`);
    this.#say(message, true);
    this.#emit('reco-error', { message });
  }

  #emit(type, detail, cancelable = false) {
    return this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable }));
  }
}

if (globalThis.customElements && !customElements.get('reco-widget')) customElements.define('reco-widget', RecoWidget);

export { kindStrength };
