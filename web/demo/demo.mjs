// The demo page: the catalog (browse and text search) on the left, a <reco-widget> on
// the right. Likes and watches go to the widget (report), which stores them on the
// device and re-ranks; the page only reads the widget's recommender for the catalog.
//
// ?bundle=URL picks the model bundle (default bundles/ml-latest-small/).
import './reco/src/widget.mjs';

const pageSize = 24;

const $ = (id) => document.getElementById(id);
const widget = $('widget');
// index.html sets the widget's bundle from ?bundle= (default bundles/ml-latest-small/).
const bundle = widget.getAttribute('bundle');
const catalog = $('catalog');
let offset = 0;
let total = 0;
let query = '';
let history = new Map();


$('report-link').href = `report.html?bundle=${encodeURIComponent(bundle)}`;

function button(text, className, onclick, label) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className;
  b.textContent = text;
  b.setAttribute('aria-label', label);
  b.addEventListener('click', onclick);
  return b;
}

function card(item) {
  const li = document.createElement('li');
  li.dataset.id = item.id;
  const title = document.createElement('span');
  title.className = 'title';
  title.textContent = item.title;
  const meta = document.createElement('span');
  meta.className = 'meta';
  meta.textContent = (item.genres ?? []).join(' · ');
  const state = history.get(item.id);
  const like = button(state === 'like' ? '♥ Liked' : '♡ Like', 'like', () => act(item, 'like'), `Like ${item.title}`);
  const watch = button(state === 'watch' ? '▶ Watched' : '▷ Watch', 'watch', () => act(item, 'watch'), `Watch ${item.title}`);
  like.setAttribute('aria-pressed', String(state === 'like'));
  watch.setAttribute('aria-pressed', String(state === 'watch'));
  li.append(title, meta, like, watch);
  return li;
}

async function act(item, kind) {
  // Pressing the same button again takes the interaction back.
  if (history.get(item.id) === kind) await widget.forget(item.id);
  else await widget.report(item.id, kind, { title: item.title });
}

async function showCatalog() {
  const recommender = widget.recommender;
  let items;
  if (query) {
    $('catalog-status').textContent = `Searching for “${query}”…`;
    const t0 = performance.now();
    const result = await recommender.search(query, { k: pageSize, explain: 0, excludeHistory: false });
    items = await Promise.all(result.items.map((r) => recommender.item(r.id)));
    $('catalog-status').textContent = `Best matches for “${query}” (${(performance.now() - t0).toFixed(0)} ms, encoder and ranking in this browser)`;
    $('page').textContent = '';
  } else {
    items = await recommender.items(offset, pageSize);
    $('catalog-status').textContent = '';
    $('page').textContent = `${offset + 1}–${offset + items.length} of ${total}`;
  }
  $('prev').disabled = query !== '' || offset === 0;
  $('next').disabled = query !== '' || offset + pageSize >= total;
  catalog.replaceChildren(...items.map(card));
}

function fail(e) {
  console.error(`demo: ${e.message}`);
  $('catalog-status').textContent = e.message;
}

async function readHistory() {
  history = new Map((await widget.history()).map((r) => [r.item, r.kind]));
}

widget.addEventListener('reco-render', (e) => {
  const { cfWeight, mode, ms, source } = e.detail;
  const weight = source === 'popular' ? 'no history yet: popular items' : `collaborative ${cfWeight.toFixed(2)} · content ${(1 - cfWeight).toFixed(2)}`;
  $('fusion').textContent = `${mode} · fusion weight: ${weight} · ranked in ${ms.toFixed(1)} ms`;
});
widget.addEventListener('reco-history', () => readHistory().then(showCatalog).catch(fail));
widget.addEventListener('reco-update', (e) => { $('model').textContent = `model ${e.detail.to} (updated from ${e.detail.from})`; });

document.querySelectorAll('input[name=mode]').forEach((radio) => radio.addEventListener('change', () => widget.setAttribute('mode', radio.value)));
$('search').addEventListener('submit', (e) => {
  e.preventDefault();
  query = $('query').value.trim();
  showCatalog().catch(fail);
});
$('browse').addEventListener('click', () => {
  query = '';
  $('query').value = '';
  showCatalog().catch(fail);
});
$('prev').addEventListener('click', () => { offset = Math.max(0, offset - pageSize); showCatalog().catch(fail); });
$('next').addEventListener('click', () => { offset += pageSize; showCatalog().catch(fail); });

try {
  await widget.ready;
  const info = await widget.recommender.info();
  total = info.items;
  const { name, events } = info.dataset ?? {};
  const sync = { offline: ' · offline: the stored model', kept: ' · the new model failed its checks: the previous one is used', updated: ' · just updated' }[widget.syncStatus?.status] ?? '';
  $('model').textContent = `model ${info.modelVersion} · ${name ?? 'catalog'} · ${total} items${events ? ` · trained on ${events} events` : ''}${sync}`;
  await readHistory();
  await showCatalog();
  document.body.dataset.ready = 'true';
  // Offline support is set up once the model is shown, so that storing the page's
  // files (ONNX Runtime's is 14 MB) never delays the first recommendations.
  if ('serviceWorker' in navigator) {
    await navigator.serviceWorker.register('reco-sw.js').catch((e) => console.warn(`demo: no offline support: ${e.message}`));
  }
} catch (e) {
  $('model').textContent = `The model could not be loaded: ${e.message}`;
  document.body.dataset.ready = 'failed';
}
