// Types of @reco/web (src/index.mjs).

/** One interaction of the user's history. */
export interface HistoryEvent {
  item: string;
  /** The interaction's value (a rating, a count); 1 for a bare event. */
  strength?: number;
  /** Seconds since 1970; 0 when unknown. */
  timestamp?: number;
}

export interface RecommendOptions {
  /** Number of items (1..10000, default 10). */
  k?: number;
  /** Rank for this history instead of the stored one. */
  history?: Array<HistoryEvent | string>;
  /** A text query's embedding (from embed()); search() fills it in. */
  queryEmbedding?: Float32Array | number[];
  /** Leave out items already in the history (default true). */
  excludeHistory?: boolean;
  /** Only these items may be recommended. */
  allow?: string[];
  /** These items are never recommended. */
  deny?: string[];
  /** Items must carry one of these genres/tags (case-insensitive). */
  tags?: string[];
  /** 0 (default): by relevance only; up to 1: more varied results (MMR). */
  diversity?: number;
  /** Reference time for recency weighting, seconds since 1970. */
  now?: number;
  /** History items listed per recommendation in `because` (0..100, default 3). */
  explain?: number;
  /** Which signals rank: both (default), collaborative only, or content only. */
  signals?: 'hybrid' | 'cf' | 'content';
}

export interface Contribution {
  id: string;
  title: string;
  /** This history item's additive share of the collaborative score. */
  score: number;
}

export interface Recommendation {
  id: string;
  title: string;
  /** Fused score (z-score units over the candidates). */
  score: number;
  /** Raw collaborative score (0 without history). */
  cf: number;
  /** Raw cosine to the history's content profile or the query. */
  content: number;
  /** The history items that contribute most ("because you liked ..."). */
  because: Contribution[];
  /** Genres/tags the item shares with the history. */
  sharedTags: string[];
}

export interface RecommendResult {
  items: Recommendation[];
  /** 'hybrid', 'query' (text search) or 'popular' (no history). */
  source: string;
  /** The collaborative signal's weight a in s = a z_cf + (1 - a) z_content. */
  cfWeight: number;
  candidates: number;
}

export interface Item {
  id: string;
  title: string;
  genres: string[];
  tags: string[];
  popularity: number;
}

export interface ItemInfo {
  title?: string;
  genres?: string[];
  tags?: string[];
  text?: string;
}

export interface BundleInfo {
  modelVersion: string;
  items: number;
  factorDim: number;
  contentDim: number;
  matrixDtype: string;
  hasEncoder: boolean;
  dataset: Record<string, unknown>;
  metrics: Record<string, unknown>;
  ranker: Record<string, unknown>;
  historyLength: number;
}

export interface FetchedBundle {
  manifest: Record<string, any>;
  files: Record<string, Uint8Array>;
  /** Every section's SHA-256 was checked against the manifest (fetchBundle sets it); the core then skips its own check. */
  verified?: boolean;
}

export interface LoadOptions {
  /** Where reco.wasm is served (default: beside dist/reco.mjs). */
  wasmUrl?: string;
  /** URL prefix of ONNX Runtime Web's self-hosted .wasm files. */
  ortWasmPaths?: string;
  /** URL of ONNX Runtime Web's ES module (e.g. .../onnxruntime-web/dist/ort.wasm.min.mjs); default: import('onnxruntime-web'). Needed without a bundler. */
  ortUrl?: string;
  fetch?: typeof fetch;
}

export interface CreateOptions extends LoadOptions {
  /** Run the engine in a Web Worker (default: wherever Worker exists). */
  worker?: boolean;
  /** URL of src/worker.mjs when a bundler moves it. */
  workerUrl?: string | URL;
}

/** The asynchronous interface both the worker and the in-thread runner offer. */
export interface RecommenderClient {
  info(): Promise<BundleInfo>;
  item(id: string): Promise<Item>;
  hasItem(id: string): Promise<boolean>;
  items(offset?: number, count?: number): Promise<Item[]>;
  addEvent(id: string, strength?: number, timestamp?: number): Promise<void>;
  removeItem(id: string): Promise<number>;
  clearHistory(): Promise<void>;
  history(): Promise<Required<HistoryEvent>[]>;
  setHistory(events: Array<HistoryEvent | string>): Promise<void>;
  recommend(options?: RecommendOptions): Promise<RecommendResult>;
  similar(id: string, options?: RecommendOptions): Promise<RecommendResult>;
  explain(id: string, options?: RecommendOptions): Promise<Recommendation>;
  embed(text: string): Promise<Float32Array>;
  search(text: string, options?: RecommendOptions): Promise<RecommendResult>;
  addItem(id: string, info: ItemInfo): Promise<number>;
  dispose(): Promise<void>;
}

export function createRecommender(source: string | URL | FetchedBundle, options?: CreateOptions): Promise<RecommenderClient>;

/** The in-thread runner: synchronous except loading, text and added items. */
export class Recommender {
  static load(source: string | URL | FetchedBundle, options?: LoadOptions): Promise<Recommender>;
  info(): BundleInfo;
  item(id: string): Item;
  hasItem(id: string): boolean;
  items(offset?: number, count?: number): Item[];
  addEvent(id: string, strength?: number, timestamp?: number): void;
  removeItem(id: string): number;
  clearHistory(): void;
  history(): Required<HistoryEvent>[];
  setHistory(events: Array<HistoryEvent | string>): void;
  recommend(options?: RecommendOptions): RecommendResult;
  similar(id: string, options?: RecommendOptions): RecommendResult;
  explain(id: string, options?: RecommendOptions): Recommendation;
  embed(text: string): Promise<Float32Array>;
  search(text: string, options?: RecommendOptions): Promise<RecommendResult>;
  addItem(id: string, info: ItemInfo): Promise<number>;
  dispose(): void;
}

/** The worker-backed recommender (what createRecommender returns in a browser). */
export interface RecommenderWorker extends RecommenderClient {
  /** Calls one Recommender method in the worker. */
  call(method: string, args: unknown[]): Promise<unknown>;
  /** Moves one section's bytes to the worker before loadBundle; the worker checks their size and SHA-256 against `entry`, and the load that lists the file in `staged` fails if they do not match. */
  stage(name: string, entry: { file: string; bytes: number; sha256: string }, bytes: Uint8Array): Promise<void>;
  /**
   * Loads a bundle (a folder URL, or {manifest, files, staged?}); with transfer, the files' buffers are moved rather than copied.
   * A synced bundle's `deferred` files are read with its readDeferred() when the worker first needs them.
   */
  loadBundle(source: string | URL | (FetchedBundle & { staged?: string[]; deferred?: string[]; readDeferred?: () => Promise<Record<string, Uint8Array>> }), options?: { transfer?: boolean }): Promise<BundleInfo>;
}
export declare const RecommenderWorker: {
  load(source: string | URL | FetchedBundle, options?: CreateOptions): Promise<RecommenderWorker>;
  prototype: RecommenderWorker;
};

/** Sets the default URL of reco.wasm (for bundlers that rename or move it). */
export function setWasmUrl(url: string | URL | null): void;
/** The instantiated WebAssembly module (once per URL); `compiled` is a WebAssembly.Module of that file to instantiate instead of fetching it. */
export function loadModule(wasmUrl?: string | null, compiled?: WebAssembly.Module | null): Promise<unknown>;
/** Downloads manifest.json and every section, checking sizes and SHA-256 (WebCrypto). */
export function fetchBundle(url: string | URL, options?: { fetch?: typeof fetch }): Promise<FetchedBundle>;
export function sha256Hex(bytes: BufferSource): Promise<string>;
/** Sections a first ranking does not read: the encoder, and both HNSW indexes when items <= ranker.exact_below. */
export function deferrableSections(manifest: object): string[];
export function verifySection(name: string, entry: { file: string; bytes: number; sha256: string }, bytes: Uint8Array): Promise<void>;
export function parseManifest(bytes: Uint8Array): Record<string, any>;
