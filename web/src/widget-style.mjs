// The <reco-widget>'s own styles (inside its shadow root). A host page restyles it
// through the custom properties below and the exported parts (::part(card), ...).
export const widgetStyle = `
:host {
  --reco-font: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  --reco-fg: #1d2330;
  --reco-muted: #5d6677;
  --reco-bg: #ffffff;
  --reco-card-bg: #f6f7fb;
  --reco-accent: #c2185b;
  --reco-border: #dde1ea;
  --reco-radius: 10px;
  --reco-gap: 12px;
  --reco-card-width: 210px;
  display: block;
  font-family: var(--reco-font);
  color: var(--reco-fg);
  background: var(--reco-bg);
  container-type: inline-size;
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
header { display: flex; align-items: baseline; justify-content: space-between; gap: var(--reco-gap); margin-bottom: 8px; }
h2 { font-size: 1.05rem; margin: 0; }
.version { color: var(--reco-muted); font-size: .75rem; }
ol { list-style: none; margin: 0; padding: 0; display: grid; gap: var(--reco-gap); }
:host([layout="grid"]) ol, :host(:not([layout])) ol { grid-template-columns: repeat(auto-fill, minmax(var(--reco-card-width), 1fr)); }
:host([layout="list"]) ol { grid-template-columns: 1fr; }
:host([layout="row"]) ol { grid-auto-flow: column; grid-auto-columns: var(--reco-card-width); overflow-x: auto; padding-bottom: 6px; }
li.card { background: var(--reco-card-bg); border: 1px solid var(--reco-border); border-radius: var(--reco-radius); padding: 10px 12px; display: flex; flex-direction: column; gap: 6px; min-width: 0; }
.top { display: flex; align-items: flex-start; gap: 8px; }
.title { flex: 1; font-weight: 600; font-size: .95rem; color: inherit; text-decoration: none; background: none; border: 0; padding: 0; text-align: left; font: inherit; font-weight: 600; cursor: pointer; overflow-wrap: anywhere; }
.title:hover, .title:focus-visible { color: var(--reco-accent); text-decoration: underline; }
.like { border: 1px solid var(--reco-border); background: var(--reco-bg); color: var(--reco-accent); border-radius: 999px; width: 2rem; height: 2rem; cursor: pointer; font-size: 1rem; line-height: 1; flex: none; }
.like:hover, .like:focus-visible { background: var(--reco-accent); color: var(--reco-bg); }
.reason { font-size: .8rem; color: var(--reco-muted); margin: 0; }
.tags { display: flex; flex-wrap: wrap; gap: 4px; margin: 0; padding: 0; list-style: none; }
.tag { font-size: .7rem; border: 1px solid var(--reco-border); border-radius: 999px; padding: 1px 7px; color: var(--reco-muted); }
.status { font-size: .8rem; color: var(--reco-muted); min-height: 1em; margin: 6px 0; }
.status.problem { color: #b3261e; }
details { margin-top: var(--reco-gap); border-top: 1px solid var(--reco-border); padding-top: 8px; font-size: .85rem; }
summary { cursor: pointer; color: var(--reco-muted); }
.history-list { list-style: none; padding: 0; margin: 8px 0; max-height: 16rem; overflow-y: auto; }
.history-list li { display: flex; gap: 8px; align-items: center; padding: 3px 0; }
.history-list .what { flex: 1; overflow-wrap: anywhere; }
.history-list .kind { color: var(--reco-muted); font-size: .75rem; }
.actions { display: flex; gap: 8px; flex-wrap: wrap; }
button.action, button.remove { font: inherit; font-size: .8rem; border: 1px solid var(--reco-border); background: var(--reco-bg); color: var(--reco-fg); border-radius: 6px; padding: 3px 10px; cursor: pointer; }
button.remove { padding: 0 7px; }
button.action:hover, button.remove:hover { border-color: var(--reco-accent); color: var(--reco-accent); }
.private { color: var(--reco-muted); font-size: .75rem; margin: 6px 0 0; }
`;
