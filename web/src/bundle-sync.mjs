// Keeps a model bundle on the user's device and up to date (Cache API).
//
// Section files are content-addressed (their names carry their SHA-256 prefix), so each
// is stored under its URL once and never revalidated. manifest.json is the one file
// asked for on every load, with the ETag of the stored copy (If-None-Match): a 304 or an
// identical manifest means the stored model is current. A new manifest is made active
// only after every section it lists is downloaded, checked against the manifest's
// SHA-256 and stored; storing that manifest is the single write that switches versions.
// Until then, and whenever the network or a download fails, the last good version stays
// active, so a page that loaded once keeps working offline.
//
// Nothing here sends anything about the user: requests are plain GETs of bundle files.
import { bundleBase, parseManifest, verifySection } from './bundle-fetch.mjs';

const defaultCacheName = 'reco-bundles';
// performance.mark()s when the page asks for them (see widget.mjs).
const mark = (name) => globalThis.recoMarks === true && globalThis.performance?.mark?.(`reco:${name}`);

/**
 * The outcome of a sync.
 * status: 'downloaded' (first load), 'updated' (a new version was switched to),
 * 'current' (the stored version is the server's), 'offline' (the server could not be
 * reached; the stored version is used), 'kept' (the server's version could not be
 * used, see `problem`; the last good version is used), 'uncached' (no Cache API here:
 * downloaded, not stored).
 */
export class SyncResult {
  #readDeferred;

  constructor({ manifest, files, staged = [], deferred = [], readDeferred = null, status, previousVersion = null, problem = null }) {
    this.manifest = manifest;
    this.files = files;
    // Stored files handed to options.stage unchecked: not in `files`; whoever received
    // them checks them (RecommenderWorker does, before loading). Everything in `files`
    // has been checked.
    this.staged = staged;
    // Files of sections named by options.defer, not read yet: readDeferred() has them.
    this.deferred = deferred;
    this.verified = true;
    this.status = status;
    this.modelVersion = manifest.model_version;
    this.previousVersion = previousVersion;
    this.problem = problem;
    this.#readDeferred = readDeferred;
  }

  /**
   * The deferred files ({file name: bytes}), each checked against the manifest: the
   * stored copy if intact, else (a damaged copy is dropped) downloaded, checked and
   * stored again. Each call reads them afresh, so the caller may move the bytes.
   */
  readDeferred() {
    return this.#readDeferred == null ? Promise.resolve({}) : this.#readDeferred();
  }
}

function bytesResponse(bytes, headers = {}) {
  return new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream', ...headers } });
}

async function readStored(cache, url) {
  const response = await cache.match(url);
  return response ? { bytes: new Uint8Array(await response.arrayBuffer()), etag: response.headers.get('ETag') } : null;
}

async function downloadFile(fetchFn, url, what, init) {
  let response;
  try {
    response = await fetchFn(url, init);
  } catch (e) {
    const error = new Error(`${what}: download failed (${url}): ${e.message}`);
    error.offline = true;
    throw error;
  }
  return response;
}

/**
 * The sections of one sync: each stored copy is read at most once (so the stored
 * version's files are read while manifest.json is being revalidated, and a new version
 * reuses those it shares) and checked at most once; what is missing or damaged is
 * downloaded, checked and stored.
 */
function sectionSource(cache, fetchFn, base) {
  const reads = new Map();
  const checks = new Map();
  // The stored bytes of a section's file, or null.
  const storedBytes = (entry) => {
    const url = new URL(entry.file, base).href;
    if (!reads.has(url)) reads.set(url, readStored(cache, url).then((stored) => stored?.bytes ?? null));
    return reads.get(url);
  };
  // The stored copy of a section if it is intact, else null (a damaged copy is dropped).
  const checkedCopy = (name, entry) => {
    const key = `${entry.file} ${entry.bytes} ${entry.sha256}`;
    if (!checks.has(key)) {
      checks.set(key, (async () => {
        const bytes = await storedBytes(entry);
        if (bytes == null) return null;
        try {
          await verifySection(name, entry, bytes);
          return bytes;
        } catch {
          await cache.delete(new URL(entry.file, base).href);
          return null;
        }
      })());
    }
    return checks.get(key);
  };
  const download = async (name, entry) => {
    const url = new URL(entry.file, base).href;
    const what = `bundle section '${name}' (${entry.file})`;
    const response = await downloadFile(fetchFn, url, what);
    if (!response.ok) throw new Error(`${what}: HTTP ${response.status} for ${url}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    await verifySection(name, entry, bytes);
    await cache.put(url, bytesResponse(bytes));
    return bytes;
  };
  return {
    /** Starts reading the stored copies of `manifest`'s sections (but those in `skip`). */
    prefetch(manifest, skip = new Set()) {
      for (const [name, entry] of Object.entries(manifest.sections)) if (!skip.has(name)) storedBytes(entry).catch(() => {});
    },
    /**
     * The sections `list` ([name, entry]) as {file: bytes}, read afresh (not kept here,
     * so the caller may move them): each stored copy checked, or downloaded if damaged
     * or missing.
     */
    async checked(list) {
      const files = {};
      await Promise.all(list.map(async ([name, entry]) => {
        const url = new URL(entry.file, base).href;
        const stored = await readStored(cache, url);
        if (stored != null) {
          try {
            await verifySection(name, entry, stored.bytes);
            files[entry.file] = stored.bytes;
            return;
          } catch {
            await cache.delete(url);
          }
        }
        files[entry.file] = await download(name, entry);
      }));
      return files;
    },
    /**
     * Every section of `manifest`: {files, staged}. A stored copy is checked here, or,
     * with `stage`, handed unchecked (size aside) to stage(name, entry, bytes) and listed
     * in `staged` instead of `files`: the receiver checks its SHA-256 before any use.
     * A missing or damaged copy is downloaded and checked. Throws an Error naming the
     * first section that fails.
     */
    async collect(manifest, stage = null, skip = new Set()) {
      const files = {};
      const staged = [];
      await Promise.all(
        Object.entries(manifest.sections).filter(([name]) => !skip.has(name)).map(async ([name, entry]) => {
          if (stage) {
            const bytes = await storedBytes(entry);
            if (bytes != null && bytes.length === entry.bytes) {
              staged.push(entry.file);
              stage(name, entry, bytes);
              return;
            }
            if (bytes != null) await cache.delete(new URL(entry.file, base).href);
          } else {
            const bytes = await checkedCopy(name, entry);
            if (bytes != null) {
              files[entry.file] = bytes;
              return;
            }
          }
          files[entry.file] = await download(name, entry);
        }),
      );
      return { files, staged };
    },
  };
}

/** Drops stored files of this bundle that `manifest` no longer lists. */
async function prune(cache, base, manifest) {
  const keep = new Set(Object.values(manifest.sections).map((s) => new URL(s.file, base).href));
  keep.add(new URL('manifest.json', base).href);
  for (const request of await cache.keys()) {
    if (request.url.startsWith(base) && !request.url.slice(base.length).includes('/') && !keep.has(request.url)) {
      await cache.delete(request);
    }
  }
}

/** The stored (active) manifest of a bundle, or null: no download. */
export async function storedManifest(url, options = {}) {
  const cacheStorage = options.caches ?? globalThis.caches;
  if (cacheStorage == null) return null;
  const cache = await cacheStorage.open(options.cacheName ?? defaultCacheName);
  const stored = await readStored(cache, new URL('manifest.json', bundleBase(url)).href);
  return stored ? parseManifest(stored.bytes) : null;
}

/**
 * Brings the stored copy of the bundle at `url` up to date and returns the version to
 * use: {manifest, files, staged, deferred, verified, status, modelVersion, previousVersion,
 * problem}.
 * Throws only when there is neither a usable server version nor a stored one.
 *
 * With `stage`, the sections of a stored version that is used as is (status current,
 * offline or kept) are handed to stage(name, entry, bytes) as soon as each is read,
 * size-checked only, instead of being hashed here (their names are in `staged`); the
 * receiver must check their SHA-256 before using them, and on a mismatch sync again
 * without `stage`, which drops the damaged copy and downloads it. RecommenderWorker's
 * stage() is such a receiver, so hashing runs in the worker while the page reads the
 * next files. A new version is always checked here in full before it is switched to.
 *
 * With `defer` (manifest => section names, e.g. bundle-fetch.mjs's deferrableSections),
 * those sections of a stored version used as is are not read at all: they are listed
 * in `deferred` and read, checked (and repaired if damaged) by result.readDeferred()
 * when first needed. A new or downloaded version is never deferred.
 * @param {string|URL} url bundle folder
 * @param {{fetch?: typeof fetch, caches?: CacheStorage, cacheName?: string, stage?: (name: string, entry: object, bytes: Uint8Array) => void, defer?: (manifest: object) => string[]}} [options]
 */
export async function syncBundle(url, options = {}) {
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const cacheStorage = options.caches ?? globalThis.caches;
  const base = bundleBase(url);
  const manifestUrl = new URL('manifest.json', base).href;

  if (cacheStorage == null) {
    // No Cache API (e.g. a page on plain http other than localhost): download only.
    const { fetchBundle } = await import('./bundle-fetch.mjs');
    const bundle = await fetchBundle(base, { fetch: fetchFn });
    return new SyncResult({ manifest: bundle.manifest, files: bundle.files, status: 'uncached' });
  }
  const cache = await cacheStorage.open(options.cacheName ?? defaultCacheName);
  mark('cache-open');
  const stored = await readStored(cache, manifestUrl);
  mark('manifest-read');
  const storedManifestValue = stored ? parseManifest(stored.bytes) : null;
  const sections = sectionSource(cache, fetchFn, base);
  // Sections of the stored version left unread until readDeferred() (options.defer).
  const deferredNames = new Set(storedManifestValue && options.defer ? options.defer(storedManifestValue) : []);
  // The stored version is read and checked while the server is asked: it is what is
  // used unless the server has a new one (and then the sections they share are reused).
  if (storedManifestValue) sections.prefetch(storedManifestValue, deferredNames);

  // The last good version, used whenever the server's cannot be.
  const useStored = async (status, problem) => {
    mark('manifest-checked');
    const { files, staged } = await sections.collect(storedManifestValue, options.stage ?? null, deferredNames);
    mark('sections-ready');
    files['manifest.json'] = stored.bytes;
    const later = Object.entries(storedManifestValue.sections).filter(([name]) => deferredNames.has(name));
    return new SyncResult({
      manifest: storedManifestValue, files, staged, status, problem,
      deferred: later.map(([, entry]) => entry.file), readDeferred: () => sections.checked(later),
    });
  };

  let response;
  try {
    // no-store: the HTTP cache must not answer for the server; the ETag is sent by hand.
    response = await downloadFile(fetchFn, manifestUrl, 'manifest.json', {
      cache: 'no-store',
      headers: stored?.etag ? { 'If-None-Match': stored.etag } : {},
    });
  } catch (e) {
    if (stored) return useStored('offline', e.message);
    throw e;
  }
  if (response.status === 304 && stored) return useStored('current', null);
  if (!response.ok) {
    const problem = `manifest.json: HTTP ${response.status} for ${manifestUrl}`;
    if (stored) return useStored('kept', problem);
    throw new Error(problem);
  }

  const bytes = new Uint8Array(await response.arrayBuffer());
  const etag = response.headers.get('ETag');
  const same = stored && stored.bytes.length === bytes.length && stored.bytes.every((b, i) => b === bytes[i]);
  if (same) {
    // Same manifest (a server without ETags): keep it, remembering a new ETag if any.
    if (etag && etag !== stored.etag) await cache.put(manifestUrl, bytesResponse(bytes, { ETag: etag }));
    return useStored('current', null);
  }

  let manifest;
  let files;
  try {
    manifest = parseManifest(bytes);
    // A new version is checked here in full before it becomes the stored one.
    ({ files } = await sections.collect(manifest));
  } catch (e) {
    if (stored) return useStored('kept', e.message);
    throw e;
  }
  // The switch: from here on the new version is the stored one.
  await cache.put(manifestUrl, bytesResponse(bytes, etag ? { ETag: etag } : {}));
  await prune(cache, base, manifest);
  files['manifest.json'] = bytes;
  return new SyncResult({
    manifest,
    files,
    status: stored ? 'updated' : 'downloaded',
    previousVersion: storedManifestValue?.model_version ?? null,
  });
}
