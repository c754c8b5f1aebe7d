// Downloads a model bundle (manifest.json plus the section files it lists) and checks
// every file's size and SHA-256 against the manifest with WebCrypto before anything
// uses it. The core checks them again when it loads the bytes; this check names the
// failing download, so a widget can keep its last good model.

/** Lower-case hex SHA-256 of bytes (WebCrypto; browsers and Node 18+). */
export async function sha256Hex(bytes) {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Resolves a bundle folder URL against the page (browsers) and gives it a trailing slash. */
export function bundleBase(url) {
  const text = String(url);
  const withSlash = text.endsWith('/') ? text : `${text}/`;
  return new URL(withSlash, globalThis.location?.href).href;
}

async function download(fetchFn, url, what) {
  let response;
  try {
    response = await fetchFn(url);
  } catch (e) {
    throw new Error(`${what}: download failed (${url}): ${e.message}`);
  }
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} for ${url}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Checks one section file against its manifest entry; throws an Error naming it. */
export async function verifySection(name, entry, bytes) {
  const what = `bundle section '${name}' (${entry.file})`;
  if (bytes.length !== entry.bytes)
    throw new Error(`${what}: ${bytes.length} bytes, the manifest says ${entry.bytes}${bytes.length < entry.bytes ? ' (truncated)' : ''}`);
  const hash = await sha256Hex(bytes);
  if (hash !== entry.sha256) throw new Error(`${what}: SHA-256 ${hash} does not match the manifest's ${entry.sha256}`);
}

/**
 * The sections of a bundle that its first ranking does not read, so a warm start may
 * leave them in storage until something needs them: the text encoder (search, addItem)
 * and, for a catalog the core ranks by scoring every item (items <= ranker.exact_below),
 * both HNSW indexes (addItem; the core restores them when it first needs them).
 */
export function deferrableSections(manifest) {
  const names = ['encoder'];
  const exactBelow = manifest?.ranker?.exact_below;
  if (Number.isInteger(manifest?.items) && Number.isInteger(exactBelow) && manifest.items <= exactBelow) names.push('hnsw_factors', 'hnsw_content');
  return names.filter((name) => manifest?.sections?.[name] != null);
}

/** Parses manifest.json bytes far enough to download the sections. */
export function parseManifest(bytes) {
  let manifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new Error(`manifest.json: not valid JSON: ${e.message}`);
  }
  if (manifest === null || typeof manifest !== 'object' || manifest.format !== 'reco-bundle')
    throw new Error("manifest.json: not a reco bundle manifest (format is not 'reco-bundle')");
  if (manifest.sections === null || typeof manifest.sections !== 'object')
    throw new Error("manifest.json: field 'sections': expected an object");
  for (const [name, s] of Object.entries(manifest.sections)) {
    if (s === null || typeof s !== 'object' || typeof s.file !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(s.file))
      throw new Error(`manifest.json: section '${name}': 'file' must be a plain file name`);
    if (!Number.isInteger(s.bytes) || s.bytes < 0) throw new Error(`manifest.json: section '${name}': 'bytes' must be a non-negative integer`);
    if (typeof s.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(s.sha256))
      throw new Error(`manifest.json: section '${name}': 'sha256' must be 64 lowercase hex digits`);
  }
  return manifest;
}

/**
 * Fetches and verifies a bundle.
 * @param {string|URL} url the bundle folder (holding manifest.json)
 * @param {{fetch?: typeof fetch}} [options]
 * @returns {Promise<{manifest: object, files: Record<string, Uint8Array>, verified: true}>}
 */
export async function fetchBundle(url, options = {}) {
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = bundleBase(url);
  const manifestBytes = await download(fetchFn, new URL('manifest.json', base).href, 'manifest.json');
  const manifest = parseManifest(manifestBytes);
  const files = { 'manifest.json': manifestBytes };
  await Promise.all(
    Object.entries(manifest.sections).map(async ([name, entry]) => {
      const what = `bundle section '${name}' (${entry.file})`;
      const bytes = await download(fetchFn, new URL(entry.file, base).href, what);
      await verifySection(name, entry, bytes);
      files[entry.file] = bytes;
    }),
  );
  return { manifest, files, verified: true };
}
