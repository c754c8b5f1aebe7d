// A host application that uses the package through a bundler (web/test/bundler.test.mjs
// builds it with esbuild): the package is imported by name, and the files a bundler does
// not follow (the worker entry, reco.wasm, ONNX Runtime's .wasm) are given by URL.
import { createRecommender, RecommenderWorker } from '@reco/web';

window.runReco = async (bundleUrl, history, query) => {
  const reco = await createRecommender(bundleUrl, {
    workerUrl: new URL('./reco-worker.js', import.meta.url),
    wasmUrl: new URL('./reco.wasm', import.meta.url).href,
    ortWasmPaths: new URL('./ort/', import.meta.url).href,
  });
  for (const e of history) await reco.addEvent(e.item, e.strength, e.timestamp);
  const result = {
    worker: reco instanceof RecommenderWorker,
    recommended: await reco.recommend({ k: 10 }),
    searched: await reco.search(query, { k: 10, explain: 0 }),
  };
  await reco.dispose();
  return result;
};
