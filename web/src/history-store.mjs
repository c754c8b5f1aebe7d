// The user's history on their device (IndexedDB), one record per item and namespace.
//
// A record is {item, kind, strength, timestamp, title}: `kind` is what the user did
// ('like', 'watch' or 'view'), `strength` the weight the ranker gives it, `timestamp`
// seconds since 1970, `title` the item's title when recorded (so the history can be
// shown even for items a later model no longer has). Records are never sent anywhere;
// export() hands the user a JSON document and import() merges one back.

/** The weight of each kind of interaction in the ranker (ratings on MovieLens' 0.5–5 scale). */
export const kindStrength = Object.freeze({ like: 5, watch: 3, view: 1 });

export const historyFormat = 'reco-history';
const dbName = 'reco-history';
const storeName = 'events';

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

function openDb(indexedDB) {
  const request = indexedDB.open(dbName, 1);
  request.onupgradeneeded = () => {
    const store = request.result.createObjectStore(storeName, { keyPath: ['ns', 'item'] });
    store.createIndex('ns', 'ns');
  };
  return promised(request);
}

/** Checks one imported or reported record; throws an Error naming `where` and the field. */
export function checkRecord(value, where) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: expected an object`);
  const { item, kind, timestamp = 0, title = '' } = value;
  if (typeof item !== 'string' || item.length === 0 || item.length > 256) throw new Error(`${where}: field 'item': expected a non-empty string id (at most 256 characters)`);
  if (!Object.hasOwn(kindStrength, kind)) throw new Error(`${where}: field 'kind': expected one of ${Object.keys(kindStrength).join(', ')}, got ${JSON.stringify(kind)}`);
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) throw new Error(`${where}: field 'timestamp': expected seconds since 1970 (a non-negative number)`);
  if (typeof title !== 'string' || title.length > 1000) throw new Error(`${where}: field 'title': expected a string (at most 1000 characters)`);
  return { item, kind, strength: kindStrength[kind], timestamp, title };
}

// A stronger interaction is never replaced by a weaker one (a like stays a like when
// the item is opened again); the time is the latest.
function merge(old, next) {
  if (old == null) return next;
  const stronger = next.strength >= old.strength ? next : old;
  return { ...stronger, timestamp: Math.max(old.timestamp, next.timestamp), title: next.title || old.title };
}

export class HistoryStore {
  #db;
  #ns;

  constructor(db, namespace) {
    this.#db = db;
    this.#ns = namespace;
  }

  /** Opens the history of `namespace` (e.g. the bundle's URL). */
  static async open(namespace, options = {}) {
    const indexedDB = options.indexedDB ?? globalThis.indexedDB;
    if (indexedDB == null) throw new Error('reco: IndexedDB is not available, so the history cannot be kept on this device');
    return new HistoryStore(await openDb(indexedDB), String(namespace));
  }

  #store(mode) {
    return this.#db.transaction(storeName, mode).objectStore(storeName);
  }

  /** Every record, oldest first. */
  async all() {
    const rows = await promised(this.#store('readonly').index('ns').getAll(this.#ns));
    return rows.map(({ ns, ...r }) => r).sort((a, b) => a.timestamp - b.timestamp || a.item.localeCompare(b.item));
  }

  /** Records an interaction ({item, kind, timestamp?, title?}); returns the stored record. */
  async add(record) {
    const next = checkRecord(record, 'history event');
    const tx = this.#db.transaction(storeName, 'readwrite');
    const store = tx.objectStore(storeName);
    const old = await promised(store.get([this.#ns, next.item]));
    const merged = merge(old && { ...old }, next);
    store.put({ ns: this.#ns, ...merged });
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    return merged;
  }

  /** Forgets one item; true when it was there. */
  async remove(item) {
    const store = this.#store('readwrite');
    const had = (await promised(store.count([this.#ns, String(item)]))) > 0;
    await promised(store.delete([this.#ns, String(item)]));
    return had;
  }

  /** Forgets every record of this namespace. */
  async clear() {
    const store = this.#store('readwrite');
    const keys = await promised(store.index('ns').getAllKeys(this.#ns));
    await Promise.all(keys.map((k) => promised(store.delete(k))));
  }

  /** The history as a JSON-ready document for the user to keep. */
  async export() {
    return { format: historyFormat, version: 1, namespace: this.#ns, exported: new Date().toISOString(), events: await this.all() };
  }

  /**
   * Merges an exported document (an object or its JSON text). Every event is checked
   * before any is stored, so a bad file changes nothing. Returns the number merged.
   */
  async import(document) {
    let doc = document;
    if (typeof doc === 'string') {
      try {
        doc = JSON.parse(doc);
      } catch (e) {
        throw new Error(`history import: not valid JSON: ${e.message}`);
      }
    }
    if (doc === null || typeof doc !== 'object' || doc.format !== historyFormat) throw new Error(`history import: not a ${historyFormat} document (field 'format')`);
    if (doc.version !== 1) throw new Error(`history import: field 'version': expected 1, got ${JSON.stringify(doc.version)}`);
    if (!Array.isArray(doc.events)) throw new Error("history import: field 'events': expected an array");
    if (doc.events.length > 100000) throw new Error("history import: field 'events': more than 100000 events");
    const records = doc.events.map((e, i) => checkRecord(e, `history import: events[${i}]`));
    for (const r of records) await this.add(r);
    return records.length;
  }
}
