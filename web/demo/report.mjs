// The evaluation report of the model the demo uses: the `metrics` of its manifest as a
// table and a bar chart. It reads the manifest the widget stored (so it shows the
// version actually loaded, offline too) and downloads it only when none is stored.
import { storedManifest } from './reco/src/bundle-sync.mjs';
import { bundleBase, parseManifest } from './reco/src/bundle-fetch.mjs';

const params = new URLSearchParams(location.search);
const bundle = params.get('bundle') ?? 'bundles/ml-latest-small/';
const $ = (id) => document.getElementById(id);
const svgNs = 'http://www.w3.org/2000/svg';

function cell(tag, text) {
  const c = document.createElement(tag);
  c.textContent = text;
  return c;
}

function table(target, header, rows) {
  const head = document.createElement('tr');
  head.append(...header.map((h) => cell('th', h)));
  target.replaceChildren(head, ...rows.map((r) => {
    const tr = document.createElement('tr');
    tr.append(...r.map((v, i) => cell(i === 0 ? 'th' : 'td', v)));
    return tr;
  }));
}

const fmt = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : String(v ?? ''));

function svg(tag, attrs, text) {
  const node = document.createElementNS(svgNs, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text != null) node.textContent = text;
  return node;
}

// Grouped horizontal bars: one group per metric, one bar per model, scaled to the
// largest value shown.
function chart(models, metrics, values) {
  const colors = ['#7986cb', '#4db6ac', '#c2185b', '#f9a825', '#8d6e63'];
  const bar = 14;
  const gap = 12;
  const labelWidth = 110;
  const width = 760;
  const plot = width - labelWidth - 60;
  const max = Math.max(...metrics.flatMap((m) => models.map((name) => values[name][m] ?? 0)), 1e-9);
  const groupHeight = models.length * bar + gap;
  const height = metrics.length * groupHeight + 30;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': 'Metrics per model' });
  metrics.forEach((metric, g) => {
    const y0 = g * groupHeight;
    root.append(svg('text', { x: 0, y: y0 + (models.length * bar) / 2 + 4 }, metric));
    models.forEach((name, i) => {
      const v = values[name][metric] ?? 0;
      const y = y0 + i * bar;
      root.append(svg('rect', { x: labelWidth, y, width: Math.max(1, (v / max) * plot), height: bar - 2, fill: colors[i % colors.length] }));
      root.append(svg('text', { x: labelWidth + (v / max) * plot + 4, y: y + bar - 4 }, v.toFixed(3)));
    });
  });
  models.forEach((name, i) => {
    const x = labelWidth + i * 130;
    root.append(svg('rect', { x, y: height - 16, width: 12, height: 12, fill: colors[i % colors.length] }));
    root.append(svg('text', { x: x + 16, y: height - 6 }, name));
  });
  return root;
}

async function manifestOfBundle() {
  const stored = await storedManifest(bundle).catch(() => null);
  if (stored) return { manifest: stored, where: 'the version stored in this browser' };
  const response = await fetch(new URL('manifest.json', bundleBase(bundle)), { cache: 'no-store' });
  if (!response.ok) throw new Error(`manifest.json: HTTP ${response.status}`);
  return { manifest: parseManifest(new Uint8Array(await response.arrayBuffer())), where: 'downloaded' };
}

try {
  $('demo-link').href = `./?bundle=${encodeURIComponent(bundle)}`;
  const { manifest, where } = await manifestOfBundle();
  const m = manifest.metrics ?? {};
  const d = manifest.dataset ?? {};
  $('model').textContent = `model ${manifest.model_version} (${where}) · ${d.name ?? ''} · ${manifest.items} items · created ${manifest.created ?? '?'}`;
  $('protocol').textContent = `Split ${m.split ?? '?'}; ${m.protocol ?? ''}`;
  const models = Object.keys(m).filter((k) => m[k] && typeof m[k] === 'object' && Object.keys(m[k]).some((key) => key.startsWith('ndcg@')));
  const metrics = [...new Set(models.flatMap((name) => Object.keys(m[name]).filter((key) => key.includes('@'))))];
  if (models.length === 0) throw new Error('this bundle has no evaluation metrics');
  $('chart').replaceChildren(chart(models, metrics, m));
  table($('metrics'), ['model', ...metrics, 'users'], models.map((name) => [name, ...metrics.map((k) => fmt(m[name][k])), fmt(m[name].users)]));
  const index = m.index_recall ?? {};
  const agreement = m.top10_agreement ?? {};
  table($('index'), ['setting', 'value'], [
    ...Object.entries(index).map(([k, v]) => [k, fmt(v)]),
    ...Object.entries(agreement).map(([k, v]) => [`float vs quantized top-10: ${k}`, fmt(v)]),
  ]);
  document.body.dataset.ready = 'true';
} catch (e) {
  $('model').textContent = `No report: ${e.message}`;
  document.body.dataset.ready = 'failed';
}
