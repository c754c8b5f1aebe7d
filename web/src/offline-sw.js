// A service worker for pages that use reco: it keeps the page's own files (HTML,
// scripts, the WebAssembly module, ONNX Runtime) so that after one visit the page opens
// and ranks without a network. Model bundles are not its business: bundle-sync.mjs keeps
// them in its own cache and asks for manifest.json with cache: 'no-store', which this
// worker lets through, so a new model is seen as soon as the server is reachable.
//
// Register it from the page's root: navigator.serviceWorker.register('/reco-sw.js').
// If `reco-precache.json` (a JSON array of URLs relative to the scope) is served beside
// it, those files are stored at install, before the page needs them a second time.
const cacheName = 'reco-app-v1';
const sectionFile = /\/[A-Za-z0-9_]+\.[0-9a-f]{16}\.[A-Za-z0-9]+$/;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(cacheName);
    const listUrl = new URL('reco-precache.json', self.registration.scope);
    try {
      const response = await fetch(listUrl, { cache: 'no-store' });
      if (response.ok) {
        const urls = await response.json();
        await cache.addAll(urls.map((u) => new URL(u, self.registration.scope).href));
      }
    } catch (e) {
      // Without the list the files are still stored as the page fetches them.
      console.warn(`reco-sw: precaching from ${listUrl} failed: ${e.message}`);
    }
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

// Stores a response unless the stored copy is already the same file: a strong ETag names
// exact bytes, so an equal one means there is nothing to write (most loads, since the
// server answers a revalidation with the same file).
async function keep(cache, request, response) {
  const etag = response.headers.get('ETag');
  if (etag && !etag.startsWith('W/')) {
    const stored = await cache.match(request);
    if (stored && stored.headers.get('ETag') === etag) {
      await response.body?.cancel();
      return;
    }
  }
  await cache.put(request, response);
}

// Network first (a page always gets current files when online), the stored copy when
// the network fails.
self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || request.cache === 'no-store') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || sectionFile.test(url.pathname) || url.pathname.includes('/api/')) return;
  event.respondWith((async () => {
    const cache = await caches.open(cacheName);
    try {
      const response = await fetch(request);
      if (response.ok && response.type === 'basic') event.waitUntil(keep(cache, request, response.clone()));
      return response;
    } catch (error) {
      const stored = await cache.match(request, { ignoreSearch: request.mode === 'navigate' });
      if (stored) return stored;
      throw error;
    }
  })());
});
