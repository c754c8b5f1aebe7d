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

/**
 * The outcome of a sync.
 * status: 'downloaded' (first load), 'updated' (a new version was switched to),
 * 'current' (the stored version is the server's), 'offline' (the server could not be
 * reached; the stored version is used), 'kept' (the server's version could not be
 * used, see `problem`; the last good version is used), 'uncached' (no Cache API here:
 * downloaded, not stored).
 */
export class SyncResult {
  constructor({ manifest, files, status, previousVersion = null, problem = null }) {
    this.manifest = manifest;
    this.files = files;
    this.verified = true;
    this.status = status;
    this.modelVersion = manifest.model_version;
    this.previousVersion = previousVersion;
    this.problem = problem;
  }
}

function bytesResponse(bytes, headers = {}) {
  return new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream', ...headers } });
}

async function readStored(cache, url) {
  const response = await cache.match(url);
  return response ? { bytes: new Uint8Array(await response.arrayBuffer()), etag: response.headers.get('ETag') } : null;
}

async function download(fetchFn, url, what, init) {
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
 * Every section of `manifest`, from the cache where present and checked, else
 * downloaded, checked and stored. Throws an Error naming the first section that fails.
 */
async function collectSections(cache, fetchFn, base, manifest) {
  const files = {};
  await Promise.all(
    Object.entries(manifest.sections).map(async ([name, entry]) => {
      const url = new URL(entry.file, base).href;
      const stored = await readStored(cache, url);
      if (stored) {
        try {
          await verifySection(name, entry, stored.bytes);
          files[entry.file] = stored.bytes;
          return;
        } catch {
          // A damaged stored copy is dropped and fetched again.
          await cache.delete(url);
        }
      }
      const what = `bundle section '${name}' (${entry.file})`;
      const response = await download(fetchFn, url, what);
      if (!response.ok) throw new Error(`${what}: HTTP ${response.status} for ${url}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      await verifySection(name, entry, bytes);
      await cache.put(url, bytesResponse(bytes));
      files[entry.file] = bytes;
    }),
  );
  return files;
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
 * use: {manifest, files, verified, status, modelVersion, previousVersion, problem}.
 * Throws only when there is neither a usable server version nor a stored one.
 * @param {string|URL} url bundle folder
 * @param {{fetch?: typeof fetch, caches?: CacheStorage, cacheName?: string}} [options]
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
  const stored = await readStored(cache, manifestUrl);
  const storedManifestValue = stored ? parseManifest(stored.bytes) : null;

  // The last good version, used whenever the server's cannot be.
  const useStored = async (status, problem) => {
    const files = await collectSections(cache, fetchFn, base, storedManifestValue);
    files['manifest.json'] = stored.bytes;
    return new SyncResult({ manifest: storedManifestValue, files, status, problem });
  };

  let response;
  try {
    // no-store: the HTTP cache must not answer for the server; the ETag is sent by hand.
    response = await download(fetchFn, manifestUrl, 'manifest.json', {
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
    files = await collectSections(cache, fetchFn, base, manifest);
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
