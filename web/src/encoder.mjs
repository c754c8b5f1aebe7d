// Runs the content encoder exported by `reco encoder` (encoder.onnx) with ONNX Runtime
// Web, single-threaded so it works on any page (no cross-origin isolation needed).
//
// The model takes already tokenised texts: for each text its feature ids and pooling
// weights, as the core's tokenizer produces them (natively, or in the WebAssembly
// module). Texts of different lengths are padded with id 0 and weight 0, which adds
// nothing to the pooled sum, so a text's embedding does not depend on its batch.
//
// ONNX Runtime Web is imported on first use: `import('onnxruntime-web/wasm')` (its CPU-only
// build, the one execution provider used here), which a bundler
// resolves, or from a URL given to loadOrt() (a page without a bundler, and any Web
// Worker, where import maps do not apply).

let ortPromise = null;
let ort = null;
let wasmPaths = null;

/**
 * Loads ONNX Runtime Web once: from `url` (an ES module such as
 * node_modules/onnxruntime-web/dist/ort.wasm.min.mjs, self-hosted) or the package.
 */
export function loadOrt(url = null) {
  if (ortPromise == null) {
    ortPromise = (url != null ? import(/* webpackIgnore: true */ String(url)) : import('onnxruntime-web/wasm')).then((m) => {
      ort = m.InferenceSession ? m : m.default;
      if (wasmPaths != null) ort.env.wasm.wasmPaths = wasmPaths;
      return ort;
    });
    ortPromise.catch(() => { ortPromise = null; });
  }
  return ortPromise;
}

/** Points ONNX Runtime at self-hosted copies of its .wasm files (a URL prefix). */
export function setOrtWasmPaths(prefix) {
  wasmPaths = prefix;
  if (ort != null) ort.env.wasm.wasmPaths = prefix;
}

export class TextEncoderSession {
  /** @param {object} session an ort.InferenceSession @param {number} dim */
  constructor(session, dim) {
    this.session = session;
    this.dim = dim;
  }

  /**
   * @param {Uint8Array|ArrayBuffer} modelBytes encoder.onnx
   * @returns {Promise<TextEncoderSession>}
   */
  static async create(modelBytes) {
    await loadOrt();
    ort.env.wasm.numThreads = 1;
    const bytes = modelBytes instanceof Uint8Array ? modelBytes : new Uint8Array(modelBytes);
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    for (const name of ['ids', 'weights']) {
      if (!session.inputNames.includes(name)) throw new Error(`encoder.onnx: missing input '${name}'`);
    }
    if (!session.outputNames.includes('embedding')) throw new Error("encoder.onnx: missing output 'embedding'");
    const probe = await session.run(packBatch([{ ids: [0], weights: [0] }]));
    return new TextEncoderSession(session, probe.embedding.dims[1]);
  }

  /**
   * Embeds a batch of tokenised texts.
   * @param {{ids: ArrayLike<number>, weights: ArrayLike<number>}[]} texts
   * @returns {Promise<Float32Array[]>} one unit vector of length `dim` per text
   */
  async embed(texts) {
    if (texts.length === 0) return [];
    const out = await this.session.run(packBatch(texts));
    const data = out.embedding.data;
    const result = [];
    for (let i = 0; i < texts.length; i++) result.push(data.slice(i * this.dim, (i + 1) * this.dim));
    return result;
  }
}

/** Pads texts into the model's [batch, length] input tensors. */
export function packBatch(texts) {
  let length = 1;
  texts.forEach((t, i) => {
    if (!t || t.ids == null || t.weights == null) throw new TypeError(`text ${i}: expected {ids, weights}`);
    if (t.ids.length !== t.weights.length)
      throw new RangeError(`text ${i}: ${t.ids.length} ids but ${t.weights.length} weights`);
    length = Math.max(length, t.ids.length);
  });
  const ids = new BigInt64Array(texts.length * length);
  const weights = new Float32Array(texts.length * length);
  texts.forEach((t, i) => {
    for (let l = 0; l < t.ids.length; l++) {
      const id = t.ids[l];
      if (!Number.isInteger(id) || id < 0) throw new RangeError(`text ${i}: feature id ${id} is not a non-negative integer`);
      const w = t.weights[l];
      if (!Number.isFinite(w)) throw new RangeError(`text ${i}: weight ${w} is not finite`);
      ids[i * length + l] = BigInt(id);
      weights[i * length + l] = w;
    }
  });
  if (ort == null) throw new Error('ONNX Runtime Web is not loaded (loadOrt())');
  return {
    ids: new ort.Tensor('int64', ids, [texts.length, length]),
    weights: new ort.Tensor('float32', weights, [texts.length, length]),
  };
}
